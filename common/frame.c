/* SPDX-License-Identifier: MIT */
/* frame.c - agent-protocol framing on struct buf (see agent.h). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "err.h"
#include "sysutil.h"

/* Until fd is ready for events (or has hung up: the read or write that
 * follows says how): 0; TA_ERR_TIMEOUT once the deadline (monotonic ms,
 * 0: none) has passed. */
static int wait_ready(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		long long left = deadline ? deadline - monotonic_ms() : -1;
		int n;

		if (deadline && left <= 0)
			return TA_ERR_TIMEOUT;
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return TA_ERR_SYSTEM;
		if (n > 0)
			return 0;
	}
}

/* Read exactly len bytes into p, *got of them already there.  Each read
 * comes after a wait for input that ends at the deadline (0: none), so
 * no read blocks past it.  0 with *got < len at EOF; TA_ERR_TIMEOUT,
 * TA_ERR_SYSTEM. */
static int read_full(int fd, uint8_t *p, size_t len, size_t *got, long long deadline)
{
	ssize_t n;
	int r;

	while (*got < len) {
		if (deadline) {
			r = wait_ready(fd, POLLIN, deadline);
			if (r < 0)
				return r;
		}
		n = read(fd, p + *got, len - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return TA_ERR_SYSTEM;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

int frame_read_bounded(int fd, struct buf *msg, unsigned frame_ms)
{
	_cleanup_(buf_freep) struct buf *hdr = NULL;
	uint8_t raw[4], *body;
	long long deadline = 0;
	size_t got;
	uint32_t len;
	ssize_t n;
	int r;

	buf_reset(msg);
	/* Between frames the wait is the client's to choose: no bound. */
	do
		n = read(fd, raw, sizeof(raw));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return TA_ERR_SYSTEM;
	if (n == 0)
		return TA_ERR_EOF;
	got = (size_t)n;
	if (frame_ms)
		deadline = monotonic_ms() + frame_ms;
	r = read_full(fd, raw, sizeof(raw), &got, deadline);
	if (r < 0)
		return r;
	if (got < sizeof(raw))
		return TA_ERR_INCOMPLETE;
	hdr = buf_from(raw, sizeof(raw));
	if (!hdr)
		return TA_ERR_NOMEM;
	r = buf_get_u32(hdr, &len);
	if (r < 0)
		return r;
	if (len == 0)
		return TA_ERR_FORMAT;
	if (len > buf_max(msg))
		return TA_ERR_TOO_LARGE;
	r = buf_reserve(msg, len, &body);
	if (r < 0)
		return r;
	got = 0;
	r = read_full(fd, body, len, &got, deadline);
	if (r < 0 || got < len) {
		buf_reset(msg);
		return r < 0 ? r : TA_ERR_INCOMPLETE;
	}
	return 0;
}

int frame_read(int fd, struct buf *msg)
{
	return frame_read_bounded(fd, msg, 0);
}

/* Everything, by the deadline.  A socket is written without blocking
 * (MSG_DONTWAIT: nothing else's view of it changes) and waited for in
 * poll; anything else (a file, /dev/null for the fuzzer) plainly. */
static int write_bounded(int fd, const uint8_t *p, size_t len, long long deadline)
{
	ssize_t n;
	int r;

	while (len > 0) {
		n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			return write_full(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			r = wait_ready(fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return TA_ERR_SYSTEM;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int frame_write_bounded(int fd, const struct buf *msg, unsigned frame_ms)
{
	_cleanup_(buf_freep) struct buf *frame = NULL;
	int r;

	if (buf_len(msg) > AGENT_MAX_LEN)
		return TA_ERR_TOO_LARGE;
	frame = buf_new(buf_len(msg) + 4);
	if (!frame)
		return TA_ERR_NOMEM;
	if ((r = buf_put_stringb(frame, msg)) != 0)
		return r;
	if (!frame_ms)
		return write_full(fd, buf_ptr(frame), buf_len(frame));
	return write_bounded(fd, buf_ptr(frame), buf_len(frame), monotonic_ms() + frame_ms);
}

int frame_write(int fd, const struct buf *msg)
{
	return frame_write_bounded(fd, msg, 0);
}
