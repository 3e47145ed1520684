/* SPDX-License-Identifier: MIT */
/* hierarchy.c - the hierarchy keys of --hierarchy as identities: RSA then
 * ECDSA, "Owner hierarchy key" etc.  Deriving one takes a CreatePrimary
 * (an RSA primary: tens of milliseconds on swtpm, seconds on some TPMs),
 * so what it gave is kept as a tpm-context record in the kernel keyring:
 * the public area (for listing) and a saved context (for signing without
 * deriving), with the TPM's clock info at that time.  A record is used
 * while the TPM has not been reset, restarted or cleared since (one
 * ReadClock says so: a reset or restart changes the counters, a clear sets
 * the clock back near zero); otherwise the key is derived again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "buf.h"
#include "err.h"
#include "handler.h"
#include "log.h"
#include "pubkey.h"
#include "tpm-cli.h"
#include "tpm-mu.h"

#define HIER_RECORD_VERSION 1

/* "hierarchy-40000001-rsa-<16 hex digits of the TCTI's hash>". */
static int record_id(const struct tpm *t, uint32_t h, bool rsa, char *out, size_t len)
{
	const char *tcti = tpm_tcti_name(t);
	uint8_t md[32];
	char hex[17];
	int r;

	r = ta_hash_digest(TA_HASH_SHA256, tcti, strlen(tcti), md);
	if (r < 0)
		return r;
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(out, len, "hierarchy-%08x-%s-%s", h, rsa ? "rsa" : "ecc", hex);
	return 0;
}

int handler_hier_record_parse(const uint8_t *data, size_t len, const struct tpm_clock *now,
			      uint32_t h, struct tpm_keyfile **ret)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	_cleanup_(buf_freep) struct buf *b = NULL;
	const uint8_t *pub, *ctx;
	size_t pub_len, ctx_len;
	uint32_t version, reset, restart;
	uint64_t clock;
	int r;

	*ret = NULL;
	/* A view of data. */
	b = buf_from(data, len);
	r = b ? 0 : TA_ERR_NOMEM;
	if (r == 0 &&
	    (buf_get_u32(b, &version) != 0 || buf_get_u32(b, &reset) != 0 ||
	     buf_get_u32(b, &restart) != 0 || buf_get_u64(b, &clock) != 0 ||
	     buf_get_string_direct(b, &pub, &pub_len) != 0 ||
	     buf_get_string_direct(b, &ctx, &ctx_len) != 0 || version != HIER_RECORD_VERSION ||
	     buf_len(b) != 0))
		r = TA_ERR_FORMAT;
	/* The TPM reset, restarted or was cleared since. */
	if (r == 0 && (reset != now->reset || restart != now->restart || clock > now->clock))
		r = TA_ERR_KEY_NOT_FOUND;
	if (r == 0 && !(k = calloc(1, sizeof(*k))))
		r = TA_ERR_NOMEM;
	if (r == 0 && mu_public_from_bytes(pub, pub_len, &k->pub) < 0)
		r = TA_ERR_FORMAT;
	if (r == 0 && ctx_len) {
		k->ctx = malloc(ctx_len);
		if (k->ctx) {
			memcpy(k->ctx, ctx, ctx_len);
			k->ctx_len = ctx_len;
		} else {
			r = TA_ERR_NOMEM;
		}
	}
	if (r < 0)
		return r;
	k->hierarchy = true;
	k->parent = h;
	k->empty_auth = true;
	*ret = TAKE_PTR(k);
	return 0;
}

static int record_get(struct cache *state, const char *id, const struct tpm_clock *now,
		      uint32_t h, struct tpm_keyfile **ret)
{
	uint8_t *data = NULL;
	size_t len;
	int r;

	r = cache_get(state, CACHE_TPM_CONTEXT, id, &data, &len);
	if (r < 0)
		return r;
	r = handler_hier_record_parse(data, len, now, h, ret);
	erase_and_free(data, len);
	return r;
}

int handler_hier_record_encode(struct buf *b, const struct tpm_clock *now,
			       const struct tpm_keyfile *k)
{
	uint8_t pub[sizeof(TPM2B_PUBLIC)];
	size_t off = 0;
	int r;

	r = mu_public_to_bytes(&k->pub, pub, sizeof(pub), &off);
	if (r < 0)
		return r;
	if ((r = buf_put_u32(b, HIER_RECORD_VERSION)) != 0 || (r = buf_put_u32(b, now->reset)) != 0 ||
	    (r = buf_put_u32(b, now->restart)) != 0 || (r = buf_put_u64(b, now->clock)) != 0 ||
	    (r = buf_put_string(b, pub, off)) != 0 ||
	    (r = buf_put_string(b, k->ctx, k->ctx_len)) != 0)
		return r;
	return 0;
}

static void record_put(struct cache *state, const char *id, const struct tpm_clock *now,
		       const struct tpm_keyfile *k, const char *label)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(CACHE_MAX_RECORD);
	int r;

	if (!b || handler_hier_record_encode(b, now, k) != 0)
		return;
	r = cache_put(state, CACHE_TPM_CONTEXT, id, label, buf_ptr(b), buf_len(b), 0);
	if (r < 0)
		log_debug("hierarchy key not kept: %s", ta_strerror(r));
}

/* Append an identity for k (taken). */
static int append_one(struct identity_list *l, struct tpm_keyfile *k, const char *title)
{
	_cleanup_(identity_clear) struct identity id = { .kf = k };
	struct identity *grown;
	int r;

	r = identity_set_public(&id);
	if (r < 0)
		return r;
	if (asprintf(&id.comment, "%s hierarchy key", title) < 0 ||
	    asprintf(&id.path, "(%s hierarchy)", title) < 0)
		return TA_ERR_NOMEM;
	grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return TA_ERR_NOMEM;
	l->v = grown;
	l->v[l->n++] = id;
	id = (struct identity){ 0 };
	return 0;
}

int handler_append_hierarchy(struct handler_conn *c, struct identity_list *l)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	const char *title = tpm_hierarchy_title(c->cfg->hierarchy);
	struct cache *state = NULL;
	struct tpm_clock now;
	int r;

	if (!c->cfg->hierarchy || !title)
		return 0;
	/* Listed before in this connection (ssh lists, then signs): the same
	 * keys, with no second ReadClock. */
	if (c->hier_known) {
		for (int i = 0; i < 2; i++) {
			struct tpm_keyfile *k = NULL;

			if (!c->hier_keys[i])
				continue;
			r = keyfile_dup(c->hier_keys[i], &k);
			if (r < 0)
				return r;
			r = append_one(l, k, title);
			if (r < 0)
				return r;
		}
		return 0;
	}
	c->hier_known = true;
	r = tpm_open(&c->tpm, &t);
	if (r == 0)
		r = tpm_read_clock(t, &now);
	if (r < 0) {
		log_warning("%s hierarchy keys: %s", title, ta_strerror(r));
		return 0;
	}
	if (handler_conn_state(c, &state) < 0)
		state = NULL;
	for (int i = 0; i < 2; i++) {
		bool rsa = i == 0;
		struct tpm_keyfile *k = NULL;
		char id[96], label[64];

		if ((r = record_id(t, c->cfg->hierarchy, rsa, id, sizeof(id))) < 0)
			return r;
		r = state ? record_get(state, id, &now, c->cfg->hierarchy, &k) : TA_ERR_UNSUPPORTED;
		if (r < 0)
			log_debug("%s hierarchy key (%s): no kept record to use (%s): derived", title,
				  rsa ? "RSA" : "ECDSA", ta_strerror(r));
		if (r < 0) {
			r = tpm_hier_key(t, c->cfg->hierarchy, rsa, &k);
			if (r < 0) {
				log_warning("%s hierarchy key (%s): %s", title, rsa ? "RSA" : "ECDSA",
					    ta_strerror(r));
				continue;
			}
			snprintf(label, sizeof(label), "%s hierarchy key (%s)", title,
				 rsa ? "RSA" : "ECDSA");
			if (state)
				record_put(state, id, &now, k, label);
		}
		if (keyfile_dup(k, &c->hier_keys[i]) < 0)
			c->hier_keys[i] = NULL;
		r = append_one(l, k, title);
		if (r < 0)
			return r;
	}
	return 0;
}
