/* SPDX-License-Identifier: MIT */
/* frame.c - agent-protocol framing on struct buf (see agent.h). */
#include <errno.h>
#include <unistd.h>

#include "agent.h"
#include "err.h"
#include "sysutil.h"

/* Read exactly len bytes: the number read before EOF (< len on EOF), or
 * -1 on error. */
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

int frame_read(int fd, struct buf *msg)
{
	_cleanup_(buf_freep) struct buf *hdr = NULL;
	uint8_t raw[4], *body;
	uint32_t len;
	ssize_t n;
	int r;

	buf_reset(msg);
	n = read_full(fd, raw, sizeof(raw));
	if (n < 0)
		return TA_ERR_SYSTEM;
	if (n == 0)
		return TA_ERR_EOF;
	if (n < (ssize_t)sizeof(raw))
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
	n = read_full(fd, body, len);
	if (n < 0) {
		buf_reset(msg);
		return TA_ERR_SYSTEM;
	}
	if ((size_t)n < len) {
		buf_reset(msg);
		return TA_ERR_INCOMPLETE;
	}
	return 0;
}

int frame_write(int fd, const struct buf *msg)
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
	return write_full(fd, buf_ptr(frame), buf_len(frame));
}
