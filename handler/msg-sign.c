/* msg-sign.c - SIGN_REQUEST: find the key (or certificate) in the key
 * dir, open the TPM, sign, close the TPM. */
#include <stdio.h>

#include "ask.h"
#include "cache.h"
#include "err.h"
#include "handler.h"
#include "keydir.h"
#include "log.h"
#include "protocol.h"
#include "sign.h"

/* One signature attempt: the TPM is open (and locked) only for this. */
static int try_sign(struct handler_ctx *ctx, const struct identity *id,
		    const char *pass, uint32_t flags, const uint8_t *data,
		    size_t data_len, struct buf *sig)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	int r;

	buf_reset(sig);
	if (ctx->ask_owner && !ctx->tpm.owner_auth) {
		char *pw = NULL;

		r = ask_passphrase("Enter the TPM owner password: ", 0, &pw);
		if (r < 0)
			return r;
		/* Kept for this connection, wiped when it ends. */
		ctx->owner_pw = pw;
		ctx->tpm.owner_auth = pw;
	}
	r = tpm_open(&ctx->tpm, &t);
	if (r < 0)
		return r;
	return keystore_sign(t, id->kf, pass, flags, data, data_len, sig);
}

static int ask_key_passphrase(const struct identity *id, const char *fp,
			      char **ret)
{
	_cleanup_free_ char *prompt = NULL;

	if (asprintf(&prompt, "Enter passphrase for TPM key %s (%s): ",
		     id->comment, fp) < 0)
		return TA_ERR_NOMEM;
	return ask_passphrase(prompt, 0, ret);
}

/* A key with a passphrase: the cache first, else ask.  A wrong cached
 * passphrase costs one TPM authorization failure, is dropped, and the
 * user is asked once more -- never more than once per request, so a stale
 * cache cannot walk the TPM into dictionary-attack lockout. */
static int sign_with_passphrase(struct handler_ctx *ctx,
				const struct identity *id, const char *fp,
				uint32_t flags, const uint8_t *data,
				size_t data_len, struct buf *sig)
{
	_cleanup_(cache_closep) struct cache *c = NULL;
	char *pass = NULL;
	bool from_cache;
	int r;

	r = cache_open(ctx->cache, ctx->cache_timeout, &c);
	if (r < 0)
		return r;
	r = cache_get_passphrase(c, fp, &pass);
	if (r < 0 && r != TA_ERR_KEY_NOT_FOUND)
		log_warning("passphrase cache lookup failed: %s", ta_strerror(r));
	from_cache = r == 0;
	if (!from_cache) {
		r = ask_key_passphrase(id, fp, &pass);
		if (r < 0)
			return r;
	}
	r = try_sign(ctx, id, pass, flags, data, data_len, sig);
	if (r == TA_ERR_TPM_AUTH && from_cache) {
		log_info("cached passphrase for %s is wrong: dropped, asking again", fp);
		cache_drop_passphrase(c, fp);
		ask_free_secret(pass);
		pass = NULL;
		from_cache = false;
		r = ask_key_passphrase(id, fp, &pass);
		if (r == 0)
			r = try_sign(ctx, id, pass, flags, data, data_len, sig);
	}
	if (r == 0 && !from_cache) {
		int k = cache_put_passphrase(c, fp, id->comment, pass);

		if (k < 0)
			log_warning("cannot cache the passphrase: %s", ta_strerror(k));
	}
	ask_free_secret(pass);
	return r;
}

int handler_sign_request(struct handler_ctx *ctx, struct buf *req,
			 struct buf *resp)
{
	_cleanup_(identity_list_freep) struct identity_list *ids = NULL;
	_cleanup_(buf_freep) struct buf *sig = NULL;
	_cleanup_free_ char *fp = NULL;
	const struct identity *id;
	const uint8_t *blob, *data;
	size_t blob_len, data_len;
	uint32_t flags;
	int r;

	if ((r = buf_get_string_direct(req, &blob, &blob_len)) != 0 ||
	    (r = buf_get_string_direct(req, &data, &data_len)) != 0 ||
	    (r = buf_get_u32(req, &flags)) != 0)
		return r;
	if (buf_len(req) != 0)
		return TA_ERR_TRAILING;
	if (ctx->no_load)
		return TA_ERR_KEY_NOT_FOUND;
	r = keydir_scan(ctx->key_dir, &ids);
	if (r < 0)
		return r;
	id = identity_list_find(ids, blob, blob_len);
	if (!id)
		return TA_ERR_KEY_NOT_FOUND;
	r = sshkey_fingerprint(id->key, &fp);
	if (r < 0)
		return r;
	log_debug("SIGN_REQUEST from pid %d uid %u: key %s%s (%s), flags 0x%x",
		  (int)ctx->peer_pid, (unsigned)ctx->peer_uid, fp,
		  id->is_cert ? " certificate" : "", id->path, flags);

	sig = buf_new(4096);
	if (!sig)
		return TA_ERR_NOMEM;
	if (id->kf->empty_auth)
		r = try_sign(ctx, id, NULL, flags, data, data_len, sig);
	else
		r = sign_with_passphrase(ctx, id, fp, flags, data, data_len, sig);
	if (r < 0)
		return r;
	if ((r = buf_put_u8(resp, SSH_AGENT_SIGN_RESPONSE)) != 0 ||
	    (r = buf_put_stringb(resp, sig)) != 0)
		return r;
	return 0;
}
