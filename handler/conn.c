/* conn.c - one connection: peer check, then frames in, replies out. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "err.h"
#include "handler.h"
#include "log.h"
#include "sysutil.h"

int handler_check_peer(struct handler_ctx *ctx, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_error("cannot get peer credentials: %s", strerror(errno));
		return TA_ERR_SYSTEM;
	}
	ctx->peer_pid = cred.pid;
	ctx->peer_uid = cred.uid;
	if (cred.uid != 0 && cred.uid != geteuid()) {
		log_error("refusing connection from pid %d uid %u (only uid %u and root may use this agent)",
			  (int)cred.pid, (unsigned)cred.uid, (unsigned)geteuid());
		errno = EPERM;
		return TA_ERR_SYSTEM;
	}
	return 0;
}

bool handler_peer_gone(const struct handler_ctx *ctx)
{
	struct pollfd p = { .fd = ctx->conn_fd };

	/* POLLHUP: the peer closed (a shutdown of its writing side alone,
	 * as "send the request, then wait for the answer" does, is not). */
	return ctx->conn_fd >= 0 && poll(&p, 1, 0) > 0 &&
	       (p.revents & (POLLHUP | POLLERR));
}

int handler_serve(struct handler_ctx *ctx, int in_fd, int out_fd)
{
	_cleanup_(buf_freep) struct buf *req = buf_new(AGENT_MAX_LEN);
	_cleanup_(buf_freep) struct buf *resp = buf_new(AGENT_MAX_LEN);
	int r;

	if (!req || !resp)
		return TA_ERR_NOMEM;
	for (;;) {
		r = frame_read(in_fd, req);
		switch (r) {
		case 0:
			break;
		case TA_ERR_EOF:
			return 0; /* clean EOF between frames */
		case TA_ERR_FORMAT:
			log_debug("pid %d sent an empty frame: closing", (int)ctx->peer_pid);
			return r;
		case TA_ERR_TOO_LARGE:
			log_error("pid %d sent a frame over the %u-byte limit: closing",
				  (int)ctx->peer_pid, AGENT_MAX_LEN);
			return r;
		case TA_ERR_INCOMPLETE:
			log_debug("pid %d closed mid-frame", (int)ctx->peer_pid);
			return r;
		default:
			return r;
		}
		handler_process_message(ctx, req, resp);
		r = frame_write(out_fd, resp);
		if (r < 0)
			return r;
	}
}
