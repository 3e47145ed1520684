/* SPDX-License-Identifier: MIT */
/* keyctx.c - saved contexts of key-file keys and of their SRK
 * (tpm_saved_ctx) between handlers: "tpm-context" records in the user's
 * kernel keyring, for the passphrase cache's timeout.  A key's record id
 * is a hash of the TPM's TCTI and of the whole key (public and private
 * part, parent): a key file changed in any way (ssh-tpm-keygen -p) or
 * another TPM never meets an old context.  The SRK's is a hash of the
 * TCTI and the template (ECC or RSA).  Nothing in it is secret (see tpm.h);
 * the keyring is the user's own, so no other user's handler can read or
 * plant one. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cache.h"
#include "err.h"
#include "handler.h"
#include "log.h"
#include "tpm-mu.h"

#define KEYCTX_RECORD_VERSION 1

static void hex_id(const char *prefix, const uint8_t md[32], char ret[70])
{
	size_t n = strlen(prefix);

	memcpy(ret, prefix, n);
	for (int i = 0; i < 32; i++)
		snprintf(ret + n + 2 * i, 3, "%02x", md[i]);
}

int handler_keyctx_ids(struct handler_conn *c, const struct tpm_keyfile *k, char ret_key[70],
		       char ret_srk[70])
{
	_cleanup_(buf_freep) struct buf *b = buf_new(2 * sizeof(TPM2B_PUBLIC) + sizeof(TPM2B_PRIVATE));
	_cleanup_free_ char *tcti = NULL;
	uint8_t md[64];
	int r;

	if (!b)
		return TA_ERR_NOMEM;
	r = tpm_describe_tcti(&c->tpm, &tcti);
	if (r < 0)
		return r;
	if ((r = buf_put_cstring(b, tcti ? tcti : "default")) != 0 || (r = buf_put_u8(b, k->rsa_parent)) != 0)
		return r;
	r = ta_hash_digest(TA_HASH_SHA256, buf_ptr(b), buf_len(b), md);
	if (r < 0)
		return r;
	hex_id("srk-", md, ret_srk);
	if ((r = mu_put_public(b, &k->pub)) != 0 ||
	    (r = mu_put_tpm2b(b, k->priv.buffer, k->priv.size)) != 0 ||
	    (r = buf_put_u32(b, k->parent)) != 0)
		return r;
	r = ta_hash_digest(TA_HASH_SHA256, buf_ptr(b), buf_len(b), md);
	if (r < 0)
		return r;
	hex_id("key-", md, ret_key);
	return 0;
}

int handler_keyctx_record_encode(struct buf *b, const struct tpm_saved_blob *ctx)
{
	int r;

	if ((r = buf_put_u32(b, KEYCTX_RECORD_VERSION)) != 0 ||
	    (r = buf_put_string(b, ctx->blob, ctx->len)) != 0)
		return r;
	return 0;
}

int handler_keyctx_record_parse(const uint8_t *data, size_t len, struct tpm_saved_blob *ret)
{
	_cleanup_(buf_freep) struct buf *b = NULL;
	const uint8_t *ctx;
	size_t ctx_len;
	uint32_t version;
	int r;

	*ret = (struct tpm_saved_blob){ 0 };
	b = buf_from(data, len);
	r = b ? 0 : TA_ERR_NOMEM;
	if (r == 0 && ((r = buf_get_u32(b, &version)) != 0 ||
		       (r = buf_get_string_direct(b, &ctx, &ctx_len)) != 0 ||
		       version != KEYCTX_RECORD_VERSION || buf_len(b) != 0))
		r = TA_ERR_FORMAT;
	if (r == 0 && !(ret->blob = malloc(ctx_len)))
		r = TA_ERR_NOMEM;
	if (r == 0) {
		memcpy(ret->blob, ctx, ctx_len);
		ret->len = ctx_len;
	}
	return r;
}

int handler_keyctx_get(struct handler_conn *c, const char *rid, struct tpm_saved_blob *ret)
{
	struct cache *state;
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	*ret = (struct tpm_saved_blob){ 0 };
	r = handler_conn_state(c, &state);
	if (r < 0)
		return r;
	r = cache_get(state, CACHE_TPM_CONTEXT, rid, &data, &len);
	if (r < 0)
		return r;
	r = handler_keyctx_record_parse(data, len, ret);
	erase_and_free(data, len);
	return r;
}

void handler_keyctx_put(struct handler_conn *c, const char *rid, const struct tpm_saved_blob *ctx)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(CACHE_MAX_RECORD);
	struct cache *state;
	int r;

	if (!b || !ctx->blob || handler_conn_state(c, &state) < 0)
		return;
	if (handler_keyctx_record_encode(b, ctx) != 0)
		return;
	r = cache_put(state, CACHE_TPM_CONTEXT, rid, "ssh-tpm-agent: saved TPM context",
		      buf_ptr(b), buf_len(b),
		      c->cfg->cache_timeout ? c->cfg->cache_timeout : CACHE_DEFAULT_TIMEOUT);
	/* The keyring's quota (20000 bytes for a user by default) may be
	 * full: the next handler loads the key file. */
	if (r < 0)
		log_debug_r(r, "saved context not kept");
}

void handler_keyctx_drop(struct handler_conn *c, const char *rid)
{
	struct cache *state;

	if (handler_conn_state(c, &state) == 0)
		cache_drop(state, CACHE_TPM_CONTEXT, rid);
}
