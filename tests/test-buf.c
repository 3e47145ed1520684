/* SPDX-License-Identifier: MIT */
/* test-buf.c - unit tests for the bounded byte buffer (common/buf.[ch]).
 *
 * One suite per function under test, one behaviour per test.  Inputs are hex
 * byte arrays; every test asserts the return code *and* the buffer state
 * afterwards.  Note: <criterion/new/assert.h> defines the type tags u8, u32,
 * u64, sz, ptr, str and mem as macros, so no identifier here uses those names. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

#define MEM(p, n) ((struct cr_mem){ .data = (p), .size = (n) })

/* Sentinels written into out-params before a call that must clear them. */
#define SENTINEL_U8 0xa5
#define SENTINEL_U32 0xa5a5a5a5U
#define SENTINEL_U64 0xa5a5a5a5a5a5a5a5ULL
#define SENTINEL_LEN ((size_t)0xa5a5)
static const uint8_t sentinel_byte = 0xa5;
#define SENTINEL_PTR (&sentinel_byte)

/* An owned buffer with cap max, holding a copy of data[0..n). */
static struct buf *owned(size_t max, const void *data, size_t n)
{
	struct buf *b = buf_new(max);

	cr_assert(ne(ptr, b, NULL));
	cr_assert(eq(int, buf_put(b, data, n), TA_OK));
	cr_assert(eq(sz, buf_len(b), n));
	return b;
}

/* The buffer holds exactly data[0..n) as unread content. */
static void assert_content(const struct buf *b, const void *data, size_t n)
{
	cr_assert(eq(sz, buf_len(b), n));
	if (n > 0)
		cr_assert(eq(mem, MEM(buf_ptr(b), n), MEM(data, n)));
}

/* ------------------------------------------------------------------ */
/* buf_new / buf_from                                                  */

Test(buf_new, zero_cap_returns_null)
{
	struct buf *b = buf_new(0);

	cr_assert(eq(ptr, b, NULL));
}

Test(buf_new, cap_above_max_returns_null)
{
	struct buf *b = buf_new(BUF_MAX_CAP + 1);

	cr_assert(eq(ptr, b, NULL));
}

Test(buf_new, max_cap_gives_empty_buffer)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(BUF_MAX_CAP);

	cr_assert(ne(ptr, b, NULL));
	cr_assert(eq(sz, buf_len(b), 0));
	cr_assert(eq(sz, buf_max(b), BUF_MAX_CAP));
	cr_assert(eq(ptr, (void *)buf_ptr(b), NULL));
}

Test(buf_from, views_caller_memory_without_copy)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));

	cr_assert(ne(ptr, b, NULL));
	cr_assert(eq(ptr, (void *)buf_ptr(b), (void *)in));
	cr_assert(eq(sz, buf_len(b), 3));
	cr_assert(eq(sz, buf_max(b), 3));
}

Test(buf_from, null_data_with_length_returns_null)
{
	struct buf *b = buf_from(NULL, 4);

	cr_assert(eq(ptr, b, NULL));
}

Test(buf_from, length_above_max_cap_returns_null)
{
	static const uint8_t in[1];
	struct buf *b = buf_from(in, (size_t)BUF_MAX_CAP + 1);

	cr_assert(eq(ptr, b, NULL));
}

Test(buf_from, empty_null_view_reads_nothing)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(NULL, 0);
	uint8_t v = SENTINEL_U8;
	int r;

	cr_assert(ne(ptr, b, NULL));
	r = buf_get_u8(b, &v);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(u8, v, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

/* ------------------------------------------------------------------ */
/* buf_reserve / buf_put: the cap                                      */

Test(buf_reserve, returns_writable_space_at_end)
{
	static const uint8_t in[] = { 0xaa, 0xbb };
	static const uint8_t want[] = { 0xaa, 0xbb, 0x01, 0x02, 0x03 };
	_cleanup_(buf_freep) struct buf *b = owned(16, in, sizeof(in));
	uint8_t *p = NULL;
	int r;

	r = buf_reserve(b, 3, &p);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(ne(ptr, p, NULL));
	memcpy(p, "\x01\x02\x03", 3);
	assert_content(b, want, sizeof(want));
}

Test(buf_reserve, up_to_cap_succeeds)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06 };
	_cleanup_(buf_freep) struct buf *b = owned(8, in, sizeof(in));
	uint8_t *p = NULL;
	int r;

	r = buf_reserve(b, 2, &p);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(sz, buf_len(b), 8));
}

Test(buf_reserve, past_cap_is_too_large_and_leaves_content)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06 };
	_cleanup_(buf_freep) struct buf *b = owned(8, in, sizeof(in));
	uint8_t *p = NULL;
	int r;

	r = buf_reserve(b, 3, &p);
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	assert_content(b, in, sizeof(in));
}

Test(buf_reserve, huge_request_is_too_large)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(8);
	uint8_t *p = NULL;
	int r;

	r = buf_reserve(b, SIZE_MAX, &p);
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_reserve, read_only_view_refuses)
{
	static const uint8_t in[] = { 0x01 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	uint8_t *p = NULL;
	int r;

	r = buf_reserve(b, 1, &p);
	cr_assert(lt(int, r, 0));
	assert_content(b, in, sizeof(in));
}

Test(buf_reserve, cap_applies_to_live_data_after_full_consume)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	static const uint8_t more[] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
	_cleanup_(buf_freep) struct buf *b = owned(8, in, sizeof(in));
	int r;

	cr_assert(eq(int, buf_consume(b, 8), TA_OK));
	r = buf_put(b, more, sizeof(more));
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, more, sizeof(more));
}

/* The cap bounds what the buffer holds (buf.h; "Compact consumed bytes first
 * so the cap applies to live data" in buf_reserve).  Bytes already consumed
 * must not count against it, also when only part of the data was read, as
 * when a stream buffer has parsed one frame and appends the next read. */
Test(buf_reserve, cap_applies_to_live_data_after_partial_consume)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	static const uint8_t more[] = { 0x11, 0x12, 0x13, 0x14 };
	static const uint8_t want[] = { 0x05, 0x06, 0x07, 0x08, 0x11, 0x12, 0x13, 0x14 };
	_cleanup_(buf_freep) struct buf *b = owned(8, in, sizeof(in));
	int r;

	cr_assert(eq(int, buf_consume(b, 4), TA_OK));
	r = buf_put(b, more, sizeof(more));
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, want, sizeof(want));
}

Test(buf_reserve, growth_preserves_content)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(4096);
	uint8_t pattern[1000];
	int r = 0;

	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
	/* Many small puts cross several reallocation boundaries. */
	for (size_t i = 0; i < sizeof(pattern) && r == 0; i += 10)
		r = buf_put(b, pattern + i, 10);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, pattern, sizeof(pattern));
}

Test(buf_put, appends_bytes)
{
	static const uint8_t in[] = { 0xde, 0xad, 0xbe, 0xef };
	_cleanup_(buf_freep) struct buf *b = buf_new(16);
	int r;

	r = buf_put(b, in, sizeof(in));
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, in, sizeof(in));
}

Test(buf_put, zero_length_is_noop)
{
	static const uint8_t in[] = { 0x01, 0x02 };
	_cleanup_(buf_freep) struct buf *b = owned(2, in, sizeof(in));
	int r;

	r = buf_put(b, NULL, 0);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, in, sizeof(in));
}

Test(buf_put, past_cap_is_too_large_and_leaves_content)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03 };
	static const uint8_t more[] = { 0x04, 0x05 };
	_cleanup_(buf_freep) struct buf *b = owned(4, in, sizeof(in));
	int r;

	r = buf_put(b, more, sizeof(more));
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	assert_content(b, in, sizeof(in));
}

Test(buf_put, read_only_view_refuses)
{
	static const uint8_t in[] = { 0x01, 0x02 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	int r;

	r = buf_put(b, "\x03", 1);
	cr_assert(lt(int, r, 0));
	assert_content(b, in, sizeof(in));
}

/* A view whose content was consumed or reset has room under its cap again;
 * only the read-only flag keeps puts out of the caller's memory. */
Test(buf_put, read_only_view_refuses_after_consume)
{
	uint8_t in[] = { 0x01, 0x02 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	int r;

	cr_assert(eq(int, buf_consume(b, 2), TA_OK));
	r = buf_put_u8(b, 0xff);
	cr_assert(lt(int, r, 0));
	cr_assert(eq(sz, buf_len(b), 0));
	cr_assert(eq(u8, in[0], 0x01));
}

Test(buf_put, read_only_view_refuses_after_reset)
{
	uint8_t in[] = { 0x01, 0x02 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	int r;

	buf_reset(b);
	r = buf_put_u8(b, 0xff);
	cr_assert(lt(int, r, 0));
	cr_assert(eq(sz, buf_len(b), 0));
	cr_assert(eq(u8, in[0], 0x01));
}

/* ------------------------------------------------------------------ */
/* buf_consume / buf_reset                                             */

Test(buf_consume, skips_bytes)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	int r;

	r = buf_consume(b, 3);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, in + 3, 1);
}

Test(buf_consume, everything_leaves_empty)
{
	static const uint8_t in[] = { 0x01, 0x02 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	int r;

	r = buf_consume(b, 2);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_consume, past_end_consumes_nothing)
{
	static const uint8_t in[] = { 0x01, 0x02 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	int r;

	r = buf_consume(b, 3);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	assert_content(b, in, sizeof(in));
}

Test(buf_consume, huge_count_consumes_nothing)
{
	static const uint8_t in[] = { 0x01, 0x02 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	int r;

	r = buf_consume(b, SIZE_MAX);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	assert_content(b, in, sizeof(in));
}

Test(buf_reset, drops_content_and_keeps_cap)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04 };
	_cleanup_(buf_freep) struct buf *b = owned(4, in, sizeof(in));

	buf_reset(b);
	cr_assert(eq(sz, buf_len(b), 0));
	cr_assert(eq(sz, buf_max(b), 4));
	/* The full cap is usable again, and no more. */
	cr_assert(eq(int, buf_put(b, in, sizeof(in)), TA_OK));
	cr_assert(eq(int, buf_put_u8(b, 0x05), TA_ERR_TOO_LARGE));
	assert_content(b, in, sizeof(in));
}

Test(buf_reset, after_partial_read_drops_everything)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04 };
	_cleanup_(buf_freep) struct buf *b = owned(8, in, sizeof(in));
	uint8_t v = 0;

	cr_assert(eq(int, buf_get_u8(b, &v), TA_OK));
	buf_reset(b);
	cr_assert(eq(sz, buf_len(b), 0));
	cr_assert(eq(int, buf_get_u8(b, &v), TA_ERR_INCOMPLETE));
}

Test(buf_reset, read_only_view_becomes_empty)
{
	static const uint8_t in[] = { 0x01, 0x02 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));

	buf_reset(b);
	cr_assert(eq(sz, buf_len(b), 0));
	/* Caller memory is not wiped. */
	cr_assert(eq(u8, in[0], 0x01));
}

/* ------------------------------------------------------------------ */
/* Fixed-size getters                                                  */

Test(buf_get, copies_and_consumes)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	uint8_t out[2] = { 0 };
	int r;

	r = buf_get(b, out, 2);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(mem, MEM(out, 2), MEM(in, 2)));
	assert_content(b, in + 2, 1);
}

Test(buf_get, truncated_input_consumes_nothing)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	uint8_t out[4] = { 0 };
	int r;

	r = buf_get(b, out, 4);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	assert_content(b, in, sizeof(in));
}

Test(buf_get_u8, reads_and_consumes_one_byte)
{
	static const uint8_t in[] = { 0xfe, 0x01 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	uint8_t v = 0;
	int r;

	r = buf_get_u8(b, &v);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(u8, v, 0xfe));
	assert_content(b, in + 1, 1);
}

Test(buf_get_u8, empty_buffer_fails_and_clears_output)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(8);
	uint8_t v = SENTINEL_U8;
	int r;

	r = buf_get_u8(b, &v);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(u8, v, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_get_u32, reads_big_endian_and_consumes)
{
	static const uint8_t in[] = { 0xde, 0xad, 0xbe, 0xef, 0x42 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	uint32_t v = 0;
	int r;

	r = buf_get_u32(b, &v);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(u32, v, 0xdeadbeefU));
	assert_content(b, in + 4, 1);
}

Test(buf_get_u32, truncated_input_consumes_nothing)
{
	static const uint8_t in[] = { 0xde, 0xad, 0xbe };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	uint32_t v = SENTINEL_U32;
	int r;

	r = buf_get_u32(b, &v);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(u32, v, 0));
	assert_content(b, in, sizeof(in));
}

Test(buf_get_u32, empty_buffer_fails)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(NULL, 0);
	uint32_t v = SENTINEL_U32;
	int r;

	r = buf_get_u32(b, &v);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(u32, v, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_get_u64, reads_big_endian_and_consumes)
{
	static const uint8_t in[] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x99 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	uint64_t v = 0;
	int r;

	r = buf_get_u64(b, &v);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(u64, v, 0x0123456789abcdefULL));
	assert_content(b, in + 8, 1);
}

Test(buf_get_u64, truncated_input_consumes_nothing)
{
	static const uint8_t in[] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	uint64_t v = SENTINEL_U64;
	int r;

	r = buf_get_u64(b, &v);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(u64, v, 0));
	assert_content(b, in, sizeof(in));
}

Test(buf_get_u64, empty_buffer_fails)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(8);
	uint64_t v = SENTINEL_U64;
	int r;

	r = buf_get_u64(b, &v);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(u64, v, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_peek_u32, reads_without_consuming)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x01, 0x00, 0x07 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	uint32_t v = 0;
	int r;

	r = buf_peek_u32(b, &v);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(u32, v, 0x100));
	assert_content(b, in, sizeof(in));
}

Test(buf_peek_u32, truncated_input_fails_and_clears_output)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x01 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	uint32_t v = SENTINEL_U32;
	int r;

	r = buf_peek_u32(b, &v);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(u32, v, 0));
	assert_content(b, in, sizeof(in));
}

/* ------------------------------------------------------------------ */
/* Fixed-size putters                                                  */

Test(buf_put_u8, appends_one_byte)
{
	static const uint8_t want[] = { 0x7f };
	_cleanup_(buf_freep) struct buf *b = buf_new(8);
	int r;

	r = buf_put_u8(b, 0x7f);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, want, sizeof(want));
}

Test(buf_put_u8, full_buffer_is_too_large)
{
	static const uint8_t in[] = { 0x01 };
	_cleanup_(buf_freep) struct buf *b = owned(1, in, sizeof(in));
	int r;

	r = buf_put_u8(b, 0x02);
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	assert_content(b, in, sizeof(in));
}

Test(buf_put_u8, read_only_view_refuses)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(NULL, 0);
	int r;

	r = buf_put_u8(b, 0x01);
	cr_assert(lt(int, r, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_put_u32, appends_big_endian)
{
	static const uint8_t want[] = { 0xde, 0xad, 0xbe, 0xef };
	_cleanup_(buf_freep) struct buf *b = buf_new(8);
	int r;

	r = buf_put_u32(b, 0xdeadbeefU);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, want, sizeof(want));
}

Test(buf_put_u32, past_cap_is_too_large_and_leaves_content)
{
	static const uint8_t in[] = { 0x01, 0x02 };
	_cleanup_(buf_freep) struct buf *b = owned(5, in, sizeof(in));
	int r;

	r = buf_put_u32(b, 0x01020304U);
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	assert_content(b, in, sizeof(in));
}

Test(buf_put_u32, read_only_view_refuses)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(NULL, 0);
	int r;

	r = buf_put_u32(b, 1);
	cr_assert(lt(int, r, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_put_u64, appends_big_endian)
{
	static const uint8_t want[] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	_cleanup_(buf_freep) struct buf *b = buf_new(8);
	int r;

	r = buf_put_u64(b, 0x0123456789abcdefULL);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, want, sizeof(want));
}

Test(buf_put_u64, past_cap_is_too_large_and_leaves_content)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(7);
	int r;

	r = buf_put_u64(b, 1);
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_put_u64, read_only_view_refuses)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(NULL, 0);
	int r;

	r = buf_put_u64(b, 1);
	cr_assert(lt(int, r, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

/* ------------------------------------------------------------------ */
/* buf_get_string_direct                                               */

Test(buf_get_string_direct, borrows_and_consumes)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x03, 'a', 'b', 'c', 0x99 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	const uint8_t *s = NULL;
	size_t n = 0;
	int r;

	r = buf_get_string_direct(b, &s, &n);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(sz, n, 3));
	cr_assert(eq(ptr, (void *)s, (void *)(in + 4)));
	assert_content(b, in + 7, 1);
}

Test(buf_get_string_direct, empty_string)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x00 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	const uint8_t *s = NULL;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_string_direct(b, &s, &n);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(sz, n, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_get_string_direct, length_beyond_data_consumes_nothing)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x04, 'a', 'b', 'c' };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	const uint8_t *s = SENTINEL_PTR;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_string_direct(b, &s, &n);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(ptr, (void *)s, NULL));
	cr_assert(eq(sz, n, 0));
	assert_content(b, in, sizeof(in));
}

Test(buf_get_string_direct, truncated_length_field_consumes_nothing)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	const uint8_t *s = SENTINEL_PTR;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_string_direct(b, &s, &n);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(ptr, (void *)s, NULL));
	cr_assert(eq(sz, n, 0));
	assert_content(b, in, sizeof(in));
}

Test(buf_get_string_direct, length_above_max_cap_is_too_large)
{
	/* 0x01000001 = BUF_MAX_CAP + 1 */
	static const uint8_t in[] = { 0x01, 0x00, 0x00, 0x01, 'a' };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	const uint8_t *s = SENTINEL_PTR;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_string_direct(b, &s, &n);
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	cr_assert(eq(ptr, (void *)s, NULL));
	cr_assert(eq(sz, n, 0));
	assert_content(b, in, sizeof(in));
}

Test(buf_get_string_direct, length_of_max_cap_without_data_is_incomplete)
{
	/* 0x01000000 = BUF_MAX_CAP: allowed, but the data is missing. */
	static const uint8_t in[] = { 0x01, 0x00, 0x00, 0x00, 'a' };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	const uint8_t *s = SENTINEL_PTR;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_string_direct(b, &s, &n);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(ptr, (void *)s, NULL));
	cr_assert(eq(sz, n, 0));
	assert_content(b, in, sizeof(in));
}

Test(buf_get_string_direct, max_u32_length_is_too_large)
{
	static const uint8_t in[] = { 0xff, 0xff, 0xff, 0xff };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	const uint8_t *s = SENTINEL_PTR;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_string_direct(b, &s, &n);
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	cr_assert(eq(ptr, (void *)s, NULL));
	cr_assert(eq(sz, n, 0));
	assert_content(b, in, sizeof(in));
}

Test(buf_get_string_direct, empty_buffer_fails)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(8);
	const uint8_t *s = SENTINEL_PTR;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_string_direct(b, &s, &n);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(ptr, (void *)s, NULL));
	cr_assert(eq(sz, n, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

/* ------------------------------------------------------------------ */
/* buf_get_string / buf_get_cstring                                    */

Test(buf_get_string, copies_binary_with_nul_terminator)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x03, 'a', 0x00, 'c', 0x42 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	_cleanup_free_ uint8_t *s = NULL;
	size_t n = 0;
	int r;

	r = buf_get_string(b, &s, &n);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(sz, n, 3));
	cr_assert(ne(ptr, (void *)s, (void *)(in + 4)));
	cr_assert(eq(mem, MEM(s, 4), MEM("a\0c", 4)));
	assert_content(b, in + 7, 1);
}

Test(buf_get_string, empty_string_is_empty_allocation)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x00 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	_cleanup_free_ uint8_t *s = NULL;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_string(b, &s, &n);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(ne(ptr, s, NULL));
	cr_assert(eq(u8, s[0], 0));
	cr_assert(eq(sz, n, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_get_string, length_beyond_data_consumes_nothing)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x05, 'a', 'b', 'c', 'd' };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	uint8_t *s = (uint8_t *)SENTINEL_PTR;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_string(b, &s, &n);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(ptr, s, NULL));
	cr_assert(eq(sz, n, 0));
	assert_content(b, in, sizeof(in));
}

Test(buf_get_string, length_above_max_cap_is_too_large)
{
	static const uint8_t in[] = { 0x80, 0x00, 0x00, 0x00 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	uint8_t *s = (uint8_t *)SENTINEL_PTR;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_string(b, &s, &n);
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	cr_assert(eq(ptr, s, NULL));
	cr_assert(eq(sz, n, 0));
	assert_content(b, in, sizeof(in));
}

Test(buf_get_cstring, reads_text)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o' };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	_cleanup_free_ char *s = NULL;
	size_t n = 0;
	int r;

	r = buf_get_cstring(b, &s, &n);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(str, s, "hello"));
	cr_assert(eq(sz, n, 5));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_get_cstring, null_length_out_is_allowed)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x02, 'o', 'k', 0x01 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	_cleanup_free_ char *s = NULL;
	int r;

	r = buf_get_cstring(b, &s, NULL);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(str, s, "ok"));
	assert_content(b, in + 6, 1);
}

Test(buf_get_cstring, embedded_nul_is_format_error_and_consumes_nothing)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x03, 'a', 0x00, 'c' };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	char *s = (char *)SENTINEL_PTR;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_cstring(b, &s, &n);
	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(eq(ptr, s, NULL));
	cr_assert(eq(sz, n, 0));
	assert_content(b, in, sizeof(in));
}

Test(buf_get_cstring, trailing_nul_is_format_error)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x03, 'a', 'b', 0x00 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	char *s = (char *)SENTINEL_PTR;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_cstring(b, &s, &n);
	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(eq(ptr, s, NULL));
	cr_assert(eq(sz, n, 0));
	assert_content(b, in, sizeof(in));
}

Test(buf_get_cstring, truncated_input_consumes_nothing)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x03, 'a', 'b' };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	char *s = (char *)SENTINEL_PTR;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_cstring(b, &s, &n);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(ptr, s, NULL));
	cr_assert(eq(sz, n, 0));
	assert_content(b, in, sizeof(in));
}

/* ------------------------------------------------------------------ */
/* buf_froms                                                           */

Test(buf_froms, child_views_next_string)
{
	static const uint8_t in[] = {
		0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x7a, /* string(u32 1, 'z') */
		0x33,
	};
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	_cleanup_(buf_freep) struct buf *child = NULL;
	uint32_t v = 0;
	uint8_t c = 0;
	int r;

	r = buf_froms(b, &child);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(ne(ptr, child, NULL));
	assert_content(b, in + 9, 1);
	cr_assert(eq(ptr, (void *)buf_ptr(child), (void *)(in + 4)));
	cr_assert(eq(sz, buf_len(child), 5));
	/* The child is bounded by the string: it cannot read the 0x33. */
	cr_assert(eq(int, buf_get_u32(child, &v), TA_OK));
	cr_assert(eq(u32, v, 1));
	cr_assert(eq(int, buf_get_u8(child, &c), TA_OK));
	cr_assert(eq(u8, c, 0x7a));
	cr_assert(eq(int, buf_get_u8(child, &c), TA_ERR_INCOMPLETE));
	cr_assert(eq(sz, buf_len(b), 1));
}

Test(buf_froms, child_is_read_only)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x02, 0xab, 0xcd };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	_cleanup_(buf_freep) struct buf *child = NULL;
	int r;

	cr_assert(eq(int, buf_froms(b, &child), TA_OK));
	r = buf_put_u8(child, 0x01);
	cr_assert(lt(int, r, 0));
	assert_content(child, in + 4, 2);
}

Test(buf_froms, empty_string_gives_empty_child)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x00 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	_cleanup_(buf_freep) struct buf *child = NULL;
	int r;

	r = buf_froms(b, &child);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(ne(ptr, child, NULL));
	cr_assert(eq(sz, buf_len(child), 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_froms, truncated_input_consumes_nothing)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x03, 0x01, 0x02 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	struct buf *child = (struct buf *)(uintptr_t)SENTINEL_PTR;
	int r;

	r = buf_froms(b, &child);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(eq(ptr, child, NULL));
	assert_content(b, in, sizeof(in));
}

Test(buf_froms, length_above_max_cap_is_too_large)
{
	static const uint8_t in[] = { 0x01, 0x00, 0x00, 0x01 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	struct buf *child = (struct buf *)(uintptr_t)SENTINEL_PTR;
	int r;

	r = buf_froms(b, &child);
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	cr_assert(eq(ptr, child, NULL));
	assert_content(b, in, sizeof(in));
}

/* ------------------------------------------------------------------ */
/* buf_get_mpint_direct                                                */

/* Expects the mpint in `in` to be rejected with want_r, nothing consumed. */
static void assert_mpint_rejected(const uint8_t *in, size_t len, int want_r)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(in, len);
	const uint8_t *m = SENTINEL_PTR;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_mpint_direct(b, &m, &n);
	cr_assert(eq(int, r, want_r));
	cr_assert(eq(ptr, (void *)m, NULL));
	cr_assert(eq(sz, n, 0));
	assert_content(b, in, len);
}

Test(buf_get_mpint_direct, positive_value_is_borrowed)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x02, 0x12, 0x34, 0xee };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	const uint8_t *m = NULL;
	size_t n = 0;
	int r;

	r = buf_get_mpint_direct(b, &m, &n);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(sz, n, 2));
	cr_assert(eq(ptr, (void *)m, (void *)(in + 4)));
	assert_content(b, in + 6, 1);
}

Test(buf_get_mpint_direct, leading_zero_of_high_bit_value_is_stripped)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x03, 0x00, 0x80, 0x01 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	const uint8_t *m = NULL;
	size_t n = 0;
	int r;

	r = buf_get_mpint_direct(b, &m, &n);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(sz, n, 2));
	cr_assert(eq(mem, MEM(m, n), MEM("\x80\x01", 2)));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_get_mpint_direct, zero_is_empty_string)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x00 };
	_cleanup_(buf_freep) struct buf *b = buf_from(in, sizeof(in));
	const uint8_t *m = NULL;
	size_t n = SENTINEL_LEN;
	int r;

	r = buf_get_mpint_direct(b, &m, &n);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(sz, n, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_get_mpint_direct, negative_is_format_error)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x02, 0x80, 0x01 };

	assert_mpint_rejected(in, sizeof(in), TA_ERR_FORMAT);
}

Test(buf_get_mpint_direct, minus_one_is_format_error)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x01, 0xff };

	assert_mpint_rejected(in, sizeof(in), TA_ERR_FORMAT);
}

Test(buf_get_mpint_direct, lone_zero_byte_is_format_error)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x01, 0x00 };

	assert_mpint_rejected(in, sizeof(in), TA_ERR_FORMAT);
}

Test(buf_get_mpint_direct, needless_leading_zero_is_format_error)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x02, 0x00, 0x7f };

	assert_mpint_rejected(in, sizeof(in), TA_ERR_FORMAT);
}

Test(buf_get_mpint_direct, two_leading_zeros_is_format_error)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x80 };

	assert_mpint_rejected(in, sizeof(in), TA_ERR_FORMAT);
}

Test(buf_get_mpint_direct, truncated_input_consumes_nothing)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x03, 0x00, 0x80 };

	assert_mpint_rejected(in, sizeof(in), TA_ERR_INCOMPLETE);
}

Test(buf_get_mpint_direct, length_above_max_cap_is_too_large)
{
	static const uint8_t in[] = { 0x01, 0x00, 0x00, 0x01, 0x01 };

	assert_mpint_rejected(in, sizeof(in), TA_ERR_TOO_LARGE);
}

/* ------------------------------------------------------------------ */
/* String putters                                                      */

Test(buf_put_string, writes_length_then_data)
{
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0xff };
	_cleanup_(buf_freep) struct buf *b = buf_new(16);
	int r;

	r = buf_put_string(b, "\x01\x00\xff", 3);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, want, sizeof(want));
}

Test(buf_put_string, empty_string_is_zero_length)
{
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x00 };
	_cleanup_(buf_freep) struct buf *b = buf_new(4);
	int r;

	r = buf_put_string(b, NULL, 0);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, want, sizeof(want));
}

Test(buf_put_string, past_cap_is_too_large_and_leaves_content)
{
	static const uint8_t in[] = { 0x01 };
	_cleanup_(buf_freep) struct buf *b = owned(8, in, sizeof(in));
	int r;

	/* 1 + 4 + 4 = 9 > 8 */
	r = buf_put_string(b, "abcd", 4);
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	assert_content(b, in, sizeof(in));
}

Test(buf_put_string, exactly_cap_succeeds)
{
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x04, 'a', 'b', 'c', 'd' };
	_cleanup_(buf_freep) struct buf *b = buf_new(8);
	int r;

	r = buf_put_string(b, "abcd", 4);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, want, sizeof(want));
}

Test(buf_put_string, read_only_view_refuses)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(NULL, 0);
	int r;

	r = buf_put_string(b, "a", 1);
	cr_assert(lt(int, r, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_put_cstring, writes_text_without_nul)
{
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x02, 'h', 'i' };
	_cleanup_(buf_freep) struct buf *b = buf_new(16);
	int r;

	r = buf_put_cstring(b, "hi");
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, want, sizeof(want));
}

Test(buf_put_cstring, null_is_empty_string)
{
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x00 };
	_cleanup_(buf_freep) struct buf *b = buf_new(16);
	int r;

	r = buf_put_cstring(b, NULL);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, want, sizeof(want));
}

Test(buf_put_cstring, past_cap_is_too_large_and_leaves_content)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(5);
	int r;

	r = buf_put_cstring(b, "hi");
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_put_cstring, read_only_view_refuses)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(NULL, 0);
	int r;

	r = buf_put_cstring(b, "hi");
	cr_assert(lt(int, r, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_put_stringb, writes_unread_content_of_source)
{
	static const uint8_t src_in[] = { 0x11, 0x22, 0x33 };
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x02, 0x22, 0x33 };
	_cleanup_(buf_freep) struct buf *src = buf_from(src_in, sizeof(src_in));
	_cleanup_(buf_freep) struct buf *b = buf_new(16);
	int r;

	cr_assert(eq(int, buf_consume(src, 1), TA_OK));
	r = buf_put_stringb(b, src);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, want, sizeof(want));
	/* The source is not consumed. */
	assert_content(src, src_in + 1, 2);
}

Test(buf_put_stringb, empty_source_is_empty_string)
{
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x00 };
	_cleanup_(buf_freep) struct buf *src = buf_new(4);
	_cleanup_(buf_freep) struct buf *b = buf_new(4);
	int r;

	r = buf_put_stringb(b, src);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, want, sizeof(want));
}

Test(buf_put_stringb, past_cap_is_too_large_and_leaves_content)
{
	static const uint8_t src_in[] = { 0x11, 0x22, 0x33 };
	_cleanup_(buf_freep) struct buf *src = buf_from(src_in, sizeof(src_in));
	_cleanup_(buf_freep) struct buf *b = buf_new(6);
	int r;

	r = buf_put_stringb(b, src);
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	cr_assert(eq(sz, buf_len(b), 0));
	assert_content(src, src_in, sizeof(src_in));
}

Test(buf_put_stringb, read_only_view_refuses)
{
	static const uint8_t src_in[] = { 0x11 };
	_cleanup_(buf_freep) struct buf *src = buf_from(src_in, sizeof(src_in));
	_cleanup_(buf_freep) struct buf *b = buf_from(NULL, 0);
	int r;

	r = buf_put_stringb(b, src);
	cr_assert(lt(int, r, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

/* ------------------------------------------------------------------ */
/* buf_put_mpint                                                       */

/* Puts mag[0..len) as an mpint and expects exactly want[0..want_len). */
static void assert_put_mpint(const uint8_t *mag, size_t len, const uint8_t *want, size_t want_len)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(64);
	int r;

	r = buf_put_mpint(b, mag, len);
	cr_assert(eq(int, r, TA_OK));
	assert_content(b, want, want_len);
}

Test(buf_put_mpint, low_value_is_written_as_is)
{
	static const uint8_t mag[] = { 0x7f, 0x01 };
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x02, 0x7f, 0x01 };

	assert_put_mpint(mag, sizeof(mag), want, sizeof(want));
}

Test(buf_put_mpint, high_bit_gets_leading_zero)
{
	static const uint8_t mag[] = { 0x80, 0x01 };
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x03, 0x00, 0x80, 0x01 };

	assert_put_mpint(mag, sizeof(mag), want, sizeof(want));
}

Test(buf_put_mpint, leading_zeros_are_stripped)
{
	static const uint8_t mag[] = { 0x00, 0x00, 0x00, 0x12 };
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x01, 0x12 };

	assert_put_mpint(mag, sizeof(mag), want, sizeof(want));
}

Test(buf_put_mpint, leading_zeros_before_high_bit_leave_one)
{
	static const uint8_t mag[] = { 0x00, 0x00, 0xff };
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x02, 0x00, 0xff };

	assert_put_mpint(mag, sizeof(mag), want, sizeof(want));
}

Test(buf_put_mpint, zero_is_empty_string)
{
	static const uint8_t mag[] = { 0x00, 0x00 };
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x00 };

	assert_put_mpint(mag, sizeof(mag), want, sizeof(want));
}

Test(buf_put_mpint, empty_magnitude_is_empty_string)
{
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x00 };

	assert_put_mpint(NULL, 0, want, sizeof(want));
}

Test(buf_put_mpint, past_cap_is_too_large_and_leaves_content)
{
	static const uint8_t mag[] = { 0x80, 0x01 };
	_cleanup_(buf_freep) struct buf *b = buf_new(6);
	int r;

	/* 4 + 1 + 2 = 7 > 6: the added 0x00 counts against the cap. */
	r = buf_put_mpint(b, mag, sizeof(mag));
	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_put_mpint, read_only_view_refuses)
{
	static const uint8_t mag[] = { 0x01 };
	_cleanup_(buf_freep) struct buf *b = buf_from(NULL, 0);
	int r;

	r = buf_put_mpint(b, mag, sizeof(mag));
	cr_assert(lt(int, r, 0));
	cr_assert(eq(sz, buf_len(b), 0));
}

Test(buf_put_mpint, round_trips_through_get_mpint_direct)
{
	static const uint8_t mag[] = { 0x00, 0xc0, 0xff, 0xee };
	_cleanup_(buf_freep) struct buf *b = buf_new(64);
	const uint8_t *m = NULL;
	size_t n = 0;
	int r;

	cr_assert(eq(int, buf_put_mpint(b, mag, sizeof(mag)), TA_OK));
	r = buf_get_mpint_direct(b, &m, &n);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(mem, MEM(m, n), MEM(mag + 1, 3)));
	cr_assert(eq(sz, buf_len(b), 0));
}

/* ------------------------------------------------------------------ */
/* Whole messages: every truncation and every single-bit flip          */

/* u8 type, u32 flags, string name, mpint, u64 serial */
static const uint8_t msg[] = {
	0x0b,                                           /* u8 */
	0x01, 0x02, 0x03, 0x04,                         /* u32 */
	0x00, 0x00, 0x00, 0x03, 'a', 'b', 'c',          /* string */
	0x00, 0x00, 0x00, 0x03, 0x00, 0x80, 0x01,       /* mpint 0x8001 */
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* u64 */
};
/* Offset just past each field. */
static const size_t msg_field_end[] = { 1, 5, 12, 19, 27 };
#define MSG_FIELDS ELEMENTSOF(msg_field_end)
_Static_assert(sizeof(msg) == 27, "msg_field_end must match msg");

struct parsed {
	uint8_t type;
	uint32_t flags;
	uint8_t *name;
	size_t name_len;
	const uint8_t *mp;
	size_t mp_len;
	uint64_t serial;
};

/* Parses msg field by field.  Before each getter its out-params are set to
 * sentinels; when a getter fails, asserts that the buffer length is what it
 * was before the call and that the out-params were cleared.  Returns the
 * first error (0 if none) and the number of fields parsed in *ret_fields. */
static int parse_checked(struct buf *b, struct parsed *p, size_t *ret_fields)
{
	size_t before;
	int r = 0;

	*ret_fields = 0;
	for (size_t i = 0; i < MSG_FIELDS; i++) {
		before = buf_len(b);
		switch (i) {
		case 0:
			p->type = SENTINEL_U8;
			r = buf_get_u8(b, &p->type);
			if (r < 0)
				cr_assert(eq(u8, p->type, 0));
			break;
		case 1:
			p->flags = SENTINEL_U32;
			r = buf_get_u32(b, &p->flags);
			if (r < 0)
				cr_assert(eq(u32, p->flags, 0));
			break;
		case 2:
			p->name = (uint8_t *)SENTINEL_PTR;
			p->name_len = SENTINEL_LEN;
			r = buf_get_string(b, &p->name, &p->name_len);
			if (r < 0) {
				cr_assert(eq(ptr, p->name, NULL));
				cr_assert(eq(sz, p->name_len, 0));
			}
			break;
		case 3:
			p->mp = SENTINEL_PTR;
			p->mp_len = SENTINEL_LEN;
			r = buf_get_mpint_direct(b, &p->mp, &p->mp_len);
			if (r < 0) {
				cr_assert(eq(ptr, (void *)p->mp, NULL));
				cr_assert(eq(sz, p->mp_len, 0));
			}
			break;
		case 4:
			p->serial = SENTINEL_U64;
			r = buf_get_u64(b, &p->serial);
			if (r < 0)
				cr_assert(eq(u64, p->serial, 0));
			break;
		default:
			cr_fatal("no field %zu", i);
		}
		if (r < 0) {
			cr_assert(eq(sz, buf_len(b), before), "field %zu consumed input on failure", i);
			cr_assert(ge(int, r, TA_ERR_CANCELLED), "field %zu: unknown code %d", i, r);
			return r;
		}
		cr_assert(lt(sz, buf_len(b), before), "field %zu consumed nothing", i);
		*ret_fields = i + 1;
	}
	return 0;
}

/* An exact-size heap copy, so ASan catches any read past the end. */
static struct buf *heap_view(const uint8_t *data, size_t len, uint8_t **ret_copy)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	struct buf *b;

	cr_assert(ne(ptr, copy, NULL));
	if (len > 0)
		memcpy(copy, data, len);
	b = buf_from(copy, len);
	cr_assert(ne(ptr, b, NULL));
	*ret_copy = copy;
	return b;
}

static void free_params(struct criterion_test_params *crp)
{
	cr_free(crp->params);
}

static struct criterion_test_params index_params(size_t count)
{
	size_t *idx = cr_malloc(count * sizeof(*idx));

	cr_assert(ne(ptr, idx, NULL));
	for (size_t i = 0; i < count; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, count, free_params);
}

Test(buf_message, full_message_parses)
{
	_cleanup_free_ uint8_t *copy = NULL;
	_cleanup_(buf_freep) struct buf *b = heap_view(msg, sizeof(msg), &copy);
	struct parsed p = { 0 };
	size_t fields = 0;
	int r;

	r = parse_checked(b, &p, &fields);
	cr_assert(eq(int, r, TA_OK));
	cr_assert(eq(sz, fields, MSG_FIELDS));
	cr_assert(eq(sz, buf_len(b), 0));
	cr_assert(eq(u8, p.type, 0x0b));
	cr_assert(eq(u32, p.flags, 0x01020304U));
	cr_assert(eq(sz, p.name_len, 3));
	cr_assert(eq(mem, MEM(p.name, 4), MEM("abc", 4)));
	cr_assert(eq(mem, MEM(p.mp, p.mp_len), MEM("\x80\x01", 2)));
	cr_assert(eq(u64, p.serial, 0x1122334455667788ULL));
	free(p.name);
}

ParameterizedTestParameters(buf_message, every_truncation_fails_without_consuming)
{
	return index_params(sizeof(msg));
}

ParameterizedTest(size_t *len, buf_message, every_truncation_fails_without_consuming)
{
	_cleanup_free_ uint8_t *copy = NULL;
	_cleanup_(buf_freep) struct buf *b = heap_view(msg, *len, &copy);
	struct parsed p = { 0 };
	size_t fields = 0, want_fields = 0;
	int r;

	while (want_fields < MSG_FIELDS && msg_field_end[want_fields] <= *len)
		want_fields++;

	r = parse_checked(b, &p, &fields);
	free(p.name);
	cr_assert(eq(int, r, TA_ERR_INCOMPLETE), "prefix of %zu bytes", *len);
	cr_assert(eq(sz, fields, want_fields), "prefix of %zu bytes", *len);
	/* The failing field left its bytes in place. */
	cr_assert(eq(sz, buf_len(b), *len - (fields ? msg_field_end[fields - 1] : 0)));
}

ParameterizedTestParameters(buf_message, every_bit_flip_fails_cleanly_or_reencodes)
{
	return index_params(sizeof(msg) * 8);
}

/* A flipped message either fails at some field, with that field consuming
 * nothing and clearing its outputs, or parses into values whose canonical
 * re-encoding is byte-for-byte the flipped input (plus any trailing bytes). */
ParameterizedTest(size_t *bit, buf_message, every_bit_flip_fails_cleanly_or_reencodes)
{
	uint8_t flipped[sizeof(msg)];
	_cleanup_free_ uint8_t *copy = NULL;
	_cleanup_(buf_freep) struct buf *b = NULL;
	_cleanup_(buf_freep) struct buf *out = NULL;
	_cleanup_free_ uint8_t *name = NULL;
	struct parsed p = { 0 };
	size_t fields = 0, used;
	int r;

	memcpy(flipped, msg, sizeof(msg));
	flipped[*bit / 8] ^= (uint8_t)(1U << (*bit % 8));
	b = heap_view(flipped, sizeof(flipped), &copy);

	r = parse_checked(b, &p, &fields);
	name = p.name;
	if (r < 0) {
		cr_assert(lt(sz, fields, MSG_FIELDS));
		return;
	}
	used = sizeof(flipped) - buf_len(b);
	out = buf_new(64);
	cr_assert(ne(ptr, out, NULL));
	cr_assert(eq(int, buf_put_u8(out, p.type), TA_OK));
	cr_assert(eq(int, buf_put_u32(out, p.flags), TA_OK));
	cr_assert(eq(int, buf_put_string(out, p.name, p.name_len), TA_OK));
	cr_assert(eq(int, buf_put_mpint(out, p.mp, p.mp_len), TA_OK));
	cr_assert(eq(int, buf_put_u64(out, p.serial), TA_OK));
	assert_content(out, flipped, used);
}
