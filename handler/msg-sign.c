/* msg-sign.c - SIGN_REQUEST: find the key (or certificate) in the key
 * dir, open the TPM, sign, close the TPM. */
#include "err.h"
#include "handler.h"
#include "keydir.h"
#include "log.h"
#include "protocol.h"
#include "sign.h"

int handler_sign_request(struct handler_ctx *ctx, struct buf *req,
			 struct buf *resp)
{
	_cleanup_(identity_list_freep) struct identity_list *ids = NULL;
	_cleanup_(buf_freep) struct buf *sig = NULL;
	_cleanup_(tpm_closep) struct tpm *t = NULL;
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
	if (!id->kf->empty_auth) {
		log_debug("%s needs a passphrase", id->path);
		return TA_ERR_UNSUPPORTED;
	}

	sig = buf_new(4096);
	if (!sig)
		return TA_ERR_NOMEM;
	r = tpm_open(ctx->tpm, &t);
	if (r < 0)
		return r;
	r = keystore_sign(t, id->kf, NULL, flags, data, data_len, sig);
	if (r < 0)
		return r;
	if ((r = buf_put_u8(resp, SSH_AGENT_SIGN_RESPONSE)) != 0 ||
	    (r = buf_put_stringb(resp, sig)) != 0)
		return r;
	return 0;
}
