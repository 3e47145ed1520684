/* SPDX-License-Identifier: MIT */
/* conn.c - one connection: its state, the peer check, then frames in,
 * replies out. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "err.h"
#include "fallback.h"
#include "handler.h"
#include "log.h"
#include "sandbox.h"
#include "sysutil.h"

void handler_conn_init(struct handler_conn *c, const struct handler_config *cfg, int fd)
{
	*c = (struct handler_conn){ .cfg = cfg, .fd = fd, .tpm = cfg->tpm };
}

void handler_conn_done(struct handler_conn *c)
{
	cache_close(c->cache);
	cache_close(c->state);
	handler_bindings_clear(c);
	fallback_close_all(c);
	identity_list_free(c->fallback_seen);
	keyfile_free(c->hier_keys[0]);
	keyfile_free(c->hier_keys[1]);
	free(c->keyidx_path);
	secret_free(c->owner_pw);
	free(c->peer.exe);
	*c = (struct handler_conn){ .fd = -1 };
}

int handler_conn_cache(struct handler_conn *c, struct cache **ret)
{
	int r;

	if (!c->cache) {
		r = cache_open(c->cfg->cache, c->cfg->cache_timeout, &c->cache);
		if (r < 0)
			return r;
	}
	*ret = c->cache;
	return 0;
}

char *handler_peer_cmdline(const struct handler_conn *c)
{
	char path[64], buf[257];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)c->peer.pid);
	fd = c->peer.pid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return strdup("?");
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	text_sanitize(buf);
	return strdup(buf);
}

int handler_conn_state(struct handler_conn *c, struct cache **ret)
{
	int r;

	/* CACHE_NONE for passphrases; every other kind is the keyring's. */
	if (!c->state) {
		r = cache_open(CACHE_NONE, 0, &c->state);
		if (r < 0)
			return r;
	}
	*ret = c->state;
	return 0;
}

int handler_check_peer(struct handler_conn *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_error("cannot get peer credentials: %s", strerror(errno));
		return TA_ERR_SYSTEM;
	}
	c->peer.pid = cred.pid;
	c->peer.uid = cred.uid;
	if (cred.uid != 0 && cred.uid != geteuid()) {
		log_error("refusing connection from pid %d uid %u (only uid %u and root may use this agent)",
			  (int)cred.pid, (unsigned)cred.uid, (unsigned)geteuid());
		errno = EPERM;
		return TA_ERR_SYSTEM;
	}
	return 0;
}

const char *handler_peer_exe(struct handler_conn *c)
{
	char link[64], exe[4096];
	ssize_t n;

	/* Looked up when first wanted, not for every connection. */
	if (!c->peer.exe && c->peer.pid > 0) {
		snprintf(link, sizeof(link), "/proc/%d/exe", (int)c->peer.pid);
		n = readlink(link, exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = '\0';
			c->peer.exe = strdup(exe);
		}
	}
	return c->peer.exe ? c->peer.exe : "?";
}

bool handler_peer_gone(const struct handler_conn *c)
{
	struct pollfd p = { .fd = c->fd };

	/* POLLHUP: the peer closed (a shutdown of its writing side alone,
	 * as "send the request, then wait for the answer" does, is not). */
	return c->fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

int handler_serve(struct handler_conn *c, int in_fd, int out_fd)
{
	_cleanup_(buf_freep) struct buf *req = buf_new(AGENT_MAX_LEN);
	_cleanup_(buf_freep) struct buf *resp = buf_new(AGENT_MAX_LEN);
	int r;

	if (!req || !resp)
		return TA_ERR_NOMEM;
	for (;;) {
		r = frame_read_bounded(in_fd, req, c->cfg->frame_ms);
		switch (r) {
		case 0:
			break;
		case TA_ERR_EOF:
			return 0; /* clean EOF between frames */
		case TA_ERR_FORMAT:
			log_debug("pid %d sent an empty frame: closing", (int)c->peer.pid);
			return r;
		case TA_ERR_TOO_LARGE:
			log_error("pid %d sent a frame over the %u-byte limit: closing",
				  (int)c->peer.pid, AGENT_MAX_LEN);
			return r;
		case TA_ERR_INCOMPLETE:
			log_debug("pid %d closed mid-frame", (int)c->peer.pid);
			return r;
		case TA_ERR_TIMEOUT:
			log_error("pid %d did not send the rest of a request within %u ms of its first byte: closing",
				  (int)c->peer.pid, c->cfg->frame_ms);
			return r;
		default:
			return r;
		}
		handler_process_message(c, req, resp);
		r = frame_write_bounded(out_fd, resp, c->cfg->frame_ms);
		if (r == TA_ERR_TIMEOUT)
			log_error("pid %d has not read its replies (one waited %u ms to be sent): closing",
				  (int)c->peer.pid, c->cfg->frame_ms);
		if (r < 0)
			return r;
	}
}

int handler_run_connection(const struct handler_config *cfg, int in_fd, int out_fd)
{
	struct handler_conn c;
	int r;

	handler_conn_init(&c, cfg, in_fd);
	r = handler_check_peer(&c, in_fd);
	if (r == 0)
		r = handler_sandbox(&c);
	if (r == 0) {
		r = handler_serve(&c, in_fd, out_fd);
		if (r < 0)
			log_debug_r(r, "connection from pid %d closed", (int)c.peer.pid);
	}
	handler_conn_done(&c);
	return r < 0 ? 1 : 0;
}
