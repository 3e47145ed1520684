/* SPDX-License-Identifier: MIT */
/* buf.h - the bounded byte buffer: the single way to read and write SSH
 * wire data.  Every getter checks before it consumes, so after a failure
 * the buffer is unchanged and out-parameters are cleared. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

/* Hard caps. */
#define BUF_MAX_CAP (16U * 1024 * 1024) /* no buffer may ever exceed this */

struct buf;

/* A new empty, growable buffer that will never hold more than max bytes
 * (max <= BUF_MAX_CAP).  Returns NULL on OOM or a bad cap. */
struct buf *buf_new(size_t max);
/* A read-only view of caller memory (not copied; must outlive the view). */
struct buf *buf_from(const void *data, size_t len);
/* Frees the buffer, wiping its contents first if it owns them. */
void buf_free(struct buf *b);
DEFINE_CLEANUP(struct buf, buf_free)

/* Bytes available to read. */
size_t buf_len(const struct buf *b);
/* Pointer to the first unread byte (NULL when empty). */
const uint8_t *buf_ptr(const struct buf *b);
size_t buf_max(const struct buf *b);
/* Drop all content (wiping it); keeps the cap. */
void buf_reset(struct buf *b);
/* Skip n unread bytes. */
int buf_consume(struct buf *b, size_t n);
/* Append n bytes and return a pointer to them for the caller to fill. */
int buf_reserve(struct buf *b, size_t n, uint8_t **ret_ptr);

/* Getters. */
int buf_get(struct buf *b, void *out, size_t len);
int buf_get_u8(struct buf *b, uint8_t *ret);
int buf_get_u16(struct buf *b, uint16_t *ret);
int buf_get_u32(struct buf *b, uint32_t *ret);
int buf_get_u64(struct buf *b, uint64_t *ret);
/* A string borrowed from the buffer; valid until the next mutation. */
int buf_get_string_direct(struct buf *b, const uint8_t **ret, size_t *ret_len);
/* A string copied into a new allocation (NUL-terminated for convenience). */
int buf_get_string(struct buf *b, uint8_t **ret, size_t *ret_len);
/* A text string: rejects embedded NUL bytes. */
int buf_get_cstring(struct buf *b, char **ret, size_t *ret_len);
/* A read-only child view of the next string (borrows parent memory). */
int buf_froms(struct buf *b, struct buf **ret);
/* An unsigned mpint, borrowed, with leading zero stripped.  Rejects
 * negative numbers and non-minimal encodings. */
int buf_get_mpint_direct(struct buf *b, const uint8_t **ret, size_t *ret_len);

/* Putters. */
int buf_put(struct buf *b, const void *data, size_t len);
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u16(struct buf *b, uint16_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
int buf_put_string(struct buf *b, const void *data, size_t len);
int buf_put_cstring(struct buf *b, const char *s);
/* Puts the unread content of src as a string (src must not be b). */
int buf_put_stringb(struct buf *b, const struct buf *src);
/* Puts an unsigned big-endian magnitude as an SSH mpint. */
int buf_put_mpint(struct buf *b, const uint8_t *mag, size_t len);

/* Peek a big-endian u32 at the read position without consuming it. */
int buf_peek_u32(const struct buf *b, uint32_t *ret);
/* Two wire strings (blobs, session ids) are the same bytes. */
bool buf_bytes_equal(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);
