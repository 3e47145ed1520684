/* SPDX-License-Identifier: MIT */
/* fuzz-records.c - libFuzzer target: the records a handler reads back
 * from the user's kernel keyring, the input as each kind: a saved
 * context (handler/keyctx.c), a hierarchy key with the TPM's clock info
 * (handler/hierarchy.c), an added identity (handler/added.c, versions 2
 * and 3).  Whatever parses writes back to the same bytes (an added
 * identity: to the bytes it was read from; version 2 comes back as 3 with
 * the same fields); a hierarchy record is refused once the TPM has reset,
 * restarted or its clock went back. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "added.h"
#include "buf.h"
#include "cache.h"
#include "err.h"
#include "handler.h"
#include "keyfile.h"
#include "tpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void check_keyctx(const uint8_t *data, size_t size)
{
	struct tpm_saved_blob ctx;
	struct buf *b;

	if (handler_keyctx_record_parse(data, size, &ctx) != 0) {
		if (ctx.blob)
			abort();
		return;
	}
	b = buf_new(CACHE_MAX_RECORD + size);
	if (!b || handler_keyctx_record_encode(b, &ctx) != 0 || buf_len(b) != size ||
	    memcmp(buf_ptr(b), data, size) != 0)
		abort();
	buf_free(b);
	free(ctx.blob);
}

static void check_hierarchy(const uint8_t *data, size_t size)
{
	struct tpm_clock now = { 0 }, later;
	struct tpm_keyfile *k = NULL, *no = NULL;
	struct buf *b;

	/* The clock the record says it was made at: the TPM unchanged. */
	if (size >= 20)
		now = (struct tpm_clock){ .reset = (uint32_t)be(data + 4, 4),
					  .restart = (uint32_t)be(data + 8, 4),
					  .clock = be(data + 12, 8) };
	if (handler_hier_record_parse(data, size, &now, TA_RH_OWNER, &k) != 0) {
		if (k)
			abort();
		return;
	}
	if (!k->hierarchy || k->parent != TA_RH_OWNER || !k->empty_auth || !k->ctx != !k->ctx_len)
		abort();
	b = buf_new(CACHE_MAX_RECORD + size);
	if (!b || handler_hier_record_encode(b, &now, k) != 0 || buf_len(b) != size ||
	    memcmp(buf_ptr(b), data, size) != 0)
		abort();
	buf_free(b);
	/* Later, the clock still going: the same key.  A reset, a restart,
	 * a clock gone back (a clear): refused. */
	later = now;
	later.clock += later.clock < UINT64_MAX;
	if (handler_hier_record_parse(data, size, &later, TA_RH_OWNER, &no) != 0)
		abort();
	keyfile_free(no);
	no = NULL;
	for (int i = 0; i < 3; i++) {
		later = now;
		if (i == 0)
			later.reset++;
		else if (i == 1)
			later.restart++;
		else if (now.clock > 0)
			later.clock--;
		else
			break;
		if (handler_hier_record_parse(data, size, &later, TA_RH_OWNER, &no) !=
			    TA_ERR_KEY_NOT_FOUND ||
		    no)
			abort();
	}
	keyfile_free(k);
}

static bool same_added(const struct added *a, const struct added *b)
{
	return a->seq == b->seq && a->flags == b->flags && a->blob_len == b->blob_len &&
	       memcmp(a->blob, b->blob, a->blob_len) == 0 && strcmp(a->comment, b->comment) == 0 &&
	       a->dest_len == b->dest_len && (!a->dest_len || memcmp(a->dest, b->dest, a->dest_len) == 0) &&
	       a->key_len == b->key_len && (!a->key_len || memcmp(a->key, b->key, a->key_len) == 0);
}

static void check_added(const uint8_t *data, size_t size)
{
	struct added a = { 0 }, listed = { 0 }, again = { 0 };
	uint32_t version = size >= 4 ? (uint32_t)be(data, 4) : 0;
	struct buf *b;

	if (added_decode(data, size, true, &a) != 0)
		return;
	/* A listing (no private key) reads no less. */
	if (added_decode(data, size, false, &listed) != 0 ||
	    (!(a.flags & ADDED_TPM) && listed.key) || !a.comment || (a.dest && !a.dest_len))
		abort();
	b = buf_new(CACHE_MAX_RECORD + size + 64);
	if (!b || added_encode(b, &a) != 0)
		abort();
	/* Version 3 is the bytes read (a record may end with more); 2 comes
	 * back as 3 holding the same. */
	if (version == 3 && (buf_len(b) > size || memcmp(buf_ptr(b), data, buf_len(b)) != 0))
		abort();
	if (added_decode(buf_ptr(b), buf_len(b), true, &again) != 0 || !same_added(&a, &again))
		abort();
	buf_free(b);
	added_clear(&a);
	added_clear(&listed);
	added_clear(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_keyctx(data, size);
	check_hierarchy(data, size);
	check_added(data, size);
	return 0;
}
