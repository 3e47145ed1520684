/* conn.c - one connection: peer check, then frames in, replies out. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* Read exactly len bytes.  Returns the number read before EOF (< len on
 * EOF), or -1 on error. */
static ssize_t read_full(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int handler_serve(struct handler_ctx *ctx, int in_fd, int out_fd)
{
	_cleanup_(buf_freep) struct buf *req = buf_new(AGENT_MAX_LEN);
	_cleanup_(buf_freep) struct buf *resp = buf_new(AGENT_MAX_LEN);
	_cleanup_(buf_freep) struct buf *frame = buf_new(AGENT_MAX_LEN + 4);
	uint8_t hdr[4], *body;
	uint32_t len;
	ssize_t n;
	int r;

	if (!req || !resp || !frame)
		return TA_ERR_NOMEM;
	for (;;) {
		n = read_full(in_fd, hdr, sizeof(hdr));
		if (n == 0)
			return 0; /* clean EOF between frames */
		if (n < 0)
			return TA_ERR_SYSTEM;
		if (n < (ssize_t)sizeof(hdr))
			return TA_ERR_INCOMPLETE;
		len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
		      (uint32_t)hdr[2] << 8 | hdr[3];
		/* An empty message has no type: close, as OpenSSH's agent does. */
		if (len == 0) {
			log_debug("pid %d sent an empty frame: closing", (int)ctx->peer_pid);
			return TA_ERR_FORMAT;
		}
		/* Check the length before allocating for the body. */
		if (len > AGENT_MAX_LEN) {
			log_error("pid %d sent a %u-byte frame (limit %u): closing",
				  (int)ctx->peer_pid, len, AGENT_MAX_LEN);
			return TA_ERR_TOO_LARGE;
		}
		buf_reset(req);
		r = buf_reserve(req, len, &body);
		if (r < 0)
			return r;
		n = read_full(in_fd, body, len);
		if (n < 0)
			return TA_ERR_SYSTEM;
		if ((size_t)n < len) {
			log_debug("pid %d closed mid-frame", (int)ctx->peer_pid);
			return TA_ERR_INCOMPLETE;
		}
		handler_process_message(ctx, req, resp);
		buf_reset(frame);
		if ((r = buf_put_stringb(frame, resp)) != 0 ||
		    (r = write_full(out_fd, buf_ptr(frame), buf_len(frame))) != 0)
			return r;
	}
}
