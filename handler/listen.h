/* SPDX-License-Identifier: MIT */
/* listen.h - the standalone listener: one forked handler per connection. */
#pragma once

#include <sys/types.h>

#include "handler.h"

/* Create a listening unix socket at path, mode 0600.  A live socket there
 * (an agent answers) is refused; a stale one is replaced; anything that is
 * not a socket, a socket of another user, an empty path and a directory
 * others may change are left alone and refused.  Every failure is logged. */
struct listen_path {
	char *path;
	dev_t dev; /* the socket file we made */
	ino_t ino;
	char *dir; /* a directory made for it alone, removed with it; or NULL */
};
/* own_dir: path's directory was made for this socket alone, just now
 * (mkdtemp): no other agent can be starting on it, so no start-up lock. */
int listen_create(const char *path, bool own_dir, int *ret_fd, struct listen_path *ret_lp);
/* Remove the socket file we made, if it is still ours, and its own
 * directory when it has one (emptied of it); frees the path. */
void listen_path_remove(struct listen_path *lp);

/* Accept connections on fd and fork one handler per connection until
 * SIGTERM/SIGINT/SIGHUP; then remove the socket lp names (when not NULL)
 * and return.  At most cfg->max_connections handlers run at once (0: no
 * cap); more connections wait in the backlog until one ends.  Handlers
 * are reaped as they end; one killed by a signal is logged. */
int listen_loop(int fd, struct listen_path *lp, const struct handler_config *cfg);
