/* listen.h - the standalone listener: one forked handler per connection. */
#pragma once

#include "handler.h"

/* Create a listening unix socket at path, mode 0600.  A live socket there
 * (an agent answers) is refused; a stale one is replaced; anything that is
 * not a socket, a socket of another user, an empty path and a directory
 * others may change are left alone and refused.  Every failure is logged. */
int listen_create(const char *path, int *ret_fd);

/* Accept connections on fd and fork one handler per connection until
 * SIGTERM/SIGINT/SIGHUP; then remove path (when not NULL) and return. */
int listen_loop(int fd, const char *path, const struct handler_ctx *tmpl);

/* The per-connection work shared by every entry mode: peer check, serve.
 * Returns the process exit status. */
int handler_run_connection(struct handler_ctx *ctx, int in_fd, int out_fd);
