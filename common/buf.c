/* SPDX-License-Identifier: MIT */
/* buf.c - bounded byte buffer for SSH wire data (see buf.h). */
#include "buf.h"

#include <openssl/crypto.h>
#include <string.h>

#include "err.h"

struct buf {
	uint8_t *d;     /* storage */
	size_t off;     /* read position */
	size_t size;    /* end of data */
	size_t alloc;   /* allocated bytes */
	size_t max;     /* hard cap on size */
	bool readonly;  /* view of memory we do not own */
};

struct buf *buf_new(size_t max)
{
	struct buf *b;

	if (max == 0 || max > BUF_MAX_CAP)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->max = max;
	return b;
}

struct buf *buf_from(const void *data, size_t len)
{
	struct buf *b;

	if (len > BUF_MAX_CAP || (len > 0 && !data))
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->d = (uint8_t *)(uintptr_t)data;
	b->size = b->alloc = b->max = len;
	b->readonly = true;
	return b;
}

void buf_free(struct buf *b)
{
	if (!b)
		return;
	if (!b->readonly && b->d) {
		OPENSSL_cleanse(b->d, b->alloc);
		free(b->d);
	}
	OPENSSL_cleanse(b, sizeof(*b));
	free(b);
}

size_t buf_len(const struct buf *b)
{
	return b->size - b->off;
}

const uint8_t *buf_ptr(const struct buf *b)
{
	return buf_len(b) > 0 ? b->d + b->off : NULL;
}

size_t buf_max(const struct buf *b)
{
	return b->max;
}

void buf_reset(struct buf *b)
{
	if (b->readonly) {
		b->off = b->size = 0;
		return;
	}
	if (b->d)
		OPENSSL_cleanse(b->d, b->alloc);
	b->off = b->size = 0;
}

int buf_consume(struct buf *b, size_t n)
{
	if (n > buf_len(b))
		return TA_ERR_INCOMPLETE;
	b->off += n;
	return 0;
}

int buf_reserve(struct buf *b, size_t n, uint8_t **ret_ptr)
{
	size_t need, nalloc;
	uint8_t *nd;

	if (b->readonly)
		return TA_ERR_INTERNAL;
	if (n == 0) {
		*ret_ptr = NULL;
		return 0;
	}
	/* The cap applies to unread data: drop consumed bytes first. */
	if (n > b->max || buf_len(b) > b->max - n)
		return TA_ERR_TOO_LARGE;
	if (b->off > 0 && b->size + n > b->alloc) {
		memmove(b->d, b->d + b->off, buf_len(b));
		OPENSSL_cleanse(b->d + buf_len(b), b->off);
		b->size -= b->off;
		b->off = 0;
	} else if (b->off > 0 && b->off == b->size) {
		b->off = b->size = 0;
	}
	need = b->size + n;
	if (need > b->alloc) {
		nalloc = b->alloc ? b->alloc : 256;
		while (nalloc < need)
			nalloc *= 2;
		if (nalloc > b->max)
			nalloc = b->max;
		nd = malloc(nalloc);
		if (!nd)
			return TA_ERR_NOMEM;
		if (b->d) {
			memcpy(nd, b->d, b->size);
			OPENSSL_cleanse(b->d, b->alloc);
			free(b->d);
		}
		b->d = nd;
		b->alloc = nalloc;
	}
	*ret_ptr = b->d + b->size;
	b->size = need;
	return 0;
}

int buf_get(struct buf *b, void *out, size_t len)
{
	if (len > buf_len(b))
		return TA_ERR_INCOMPLETE;
	if (len > 0)
		memcpy(out, b->d + b->off, len);
	b->off += len;
	return 0;
}

int buf_get_u8(struct buf *b, uint8_t *ret)
{
	*ret = 0;
	if (buf_len(b) < 1)
		return TA_ERR_INCOMPLETE;
	*ret = b->d[b->off++];
	return 0;
}

bool buf_bytes_equal(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	/* Key blobs of one type share their first bytes (type and curve
	 * names): the last byte tells most apart without a memcmp call. */
	return a_len == b_len &&
	       (a_len == 0 || (a[a_len - 1] == b[b_len - 1] && memcmp(a, b, a_len) == 0));
}

int buf_peek_u32(const struct buf *b, uint32_t *ret)
{
	const uint8_t *p;

	*ret = 0;
	if (buf_len(b) < 4)
		return TA_ERR_INCOMPLETE;
	p = b->d + b->off;
	*ret = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
	return 0;
}

int buf_get_u16(struct buf *b, uint16_t *ret)
{
	*ret = 0;
	if (buf_len(b) < 2)
		return TA_ERR_INCOMPLETE;
	*ret = (uint16_t)(b->d[b->off] << 8 | b->d[b->off + 1]);
	b->off += 2;
	return 0;
}

int buf_get_u32(struct buf *b, uint32_t *ret)
{
	int r = buf_peek_u32(b, ret);

	if (r < 0)
		return r;
	b->off += 4;
	return 0;
}

int buf_get_u64(struct buf *b, uint64_t *ret)
{
	const uint8_t *p;
	uint64_t v = 0;

	*ret = 0;
	if (buf_len(b) < 8)
		return TA_ERR_INCOMPLETE;
	p = b->d + b->off;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	b->off += 8;
	*ret = v;
	return 0;
}

int buf_get_string_direct(struct buf *b, const uint8_t **ret, size_t *ret_len)
{
	uint32_t len;
	int r;

	*ret = NULL;
	*ret_len = 0;
	r = buf_peek_u32(b, &len);
	if (r < 0)
		return r;
	if (len > BUF_MAX_CAP)
		return TA_ERR_TOO_LARGE;
	if ((size_t)len > buf_len(b) - 4)
		return TA_ERR_INCOMPLETE;
	*ret = b->d + b->off + 4;
	*ret_len = len;
	b->off += 4 + (size_t)len;
	return 0;
}

int buf_get_string(struct buf *b, uint8_t **ret, size_t *ret_len)
{
	const uint8_t *p;
	size_t len, off = b->off;
	uint8_t *copy;
	int r;

	*ret = NULL;
	*ret_len = 0;
	r = buf_get_string_direct(b, &p, &len);
	if (r < 0)
		return r;
	copy = malloc(len + 1);
	if (!copy) {
		b->off = off;
		return TA_ERR_NOMEM;
	}
	if (len > 0)
		memcpy(copy, p, len);
	copy[len] = '\0';
	*ret = copy;
	*ret_len = len;
	return 0;
}

int buf_get_cstring(struct buf *b, char **ret, size_t *ret_len)
{
	const uint8_t *p;
	size_t len, off = b->off;
	char *copy;
	int r;

	*ret = NULL;
	if (ret_len)
		*ret_len = 0;
	r = buf_get_string_direct(b, &p, &len);
	if (r < 0)
		return r;
	if (len > 0 && memchr(p, '\0', len)) {
		b->off = off;
		return TA_ERR_FORMAT;
	}
	copy = malloc(len + 1);
	if (!copy) {
		b->off = off;
		return TA_ERR_NOMEM;
	}
	if (len > 0)
		memcpy(copy, p, len);
	copy[len] = '\0';
	*ret = copy;
	if (ret_len)
		*ret_len = len;
	return 0;
}

int buf_froms(struct buf *b, struct buf **ret)
{
	const uint8_t *p;
	size_t len, off = b->off;
	struct buf *child;
	int r;

	*ret = NULL;
	r = buf_get_string_direct(b, &p, &len);
	if (r < 0)
		return r;
	child = buf_from(p, len);
	if (!child) {
		b->off = off;
		return TA_ERR_NOMEM;
	}
	*ret = child;
	return 0;
}

int buf_get_mpint_direct(struct buf *b, const uint8_t **ret, size_t *ret_len)
{
	const uint8_t *p;
	size_t len, off = b->off;
	int r;

	*ret = NULL;
	*ret_len = 0;
	r = buf_get_string_direct(b, &p, &len);
	if (r < 0)
		return r;
	/* Negative numbers and non-minimal encodings are refused. */
	if ((len > 0 && (p[0] & 0x80)) ||
	    (len > 0 && p[0] == 0 && (len == 1 || !(p[1] & 0x80)))) {
		b->off = off;
		return TA_ERR_FORMAT;
	}
	if (len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	*ret = p;
	*ret_len = len;
	return 0;
}

int buf_put(struct buf *b, const void *data, size_t len)
{
	uint8_t *p;
	int r;

	if (b->readonly)
		return TA_ERR_INTERNAL;
	if (len == 0)
		return 0;
	r = buf_reserve(b, len, &p);
	if (r < 0)
		return r;
	memcpy(p, data, len);
	return 0;
}

int buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

int buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t p[2] = { v >> 8, v };

	return buf_put(b, p, sizeof(p));
}

int buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t p[4] = { v >> 24, v >> 16, v >> 8, v };

	return buf_put(b, p, sizeof(p));
}

int buf_put_u64(struct buf *b, uint64_t v)
{
	uint8_t p[8];

	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
	return buf_put(b, p, sizeof(p));
}

int buf_put_string(struct buf *b, const void *data, size_t len)
{
	uint8_t *p;
	int r;

	if (len > UINT32_MAX || len > b->max)
		return TA_ERR_TOO_LARGE;
	r = buf_reserve(b, 4 + len, &p);
	if (r < 0)
		return r;
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	if (len > 0)
		memcpy(p + 4, data, len);
	return 0;
}

int buf_put_cstring(struct buf *b, const char *s)
{
	return buf_put_string(b, s, s ? strlen(s) : 0);
}

int buf_put_stringb(struct buf *b, const struct buf *src)
{
	return buf_put_string(b, buf_ptr(src), buf_len(src));
}

int buf_put_mpint(struct buf *b, const uint8_t *mag, size_t len)
{
	uint8_t *p;
	size_t prefix;
	int r;

	while (len > 0 && mag[0] == 0) {
		mag++;
		len--;
	}
	prefix = (len > 0 && (mag[0] & 0x80)) ? 1 : 0;
	if (len + prefix > UINT32_MAX || len + prefix > b->max)
		return TA_ERR_TOO_LARGE;
	r = buf_reserve(b, 4 + prefix + len, &p);
	if (r < 0)
		return r;
	p[0] = (uint8_t)((len + prefix) >> 24);
	p[1] = (uint8_t)((len + prefix) >> 16);
	p[2] = (uint8_t)((len + prefix) >> 8);
	p[3] = (uint8_t)(len + prefix);
	if (prefix)
		p[4] = 0;
	if (len > 0)
		memcpy(p + 4 + prefix, mag, len);
	return 0;
}
