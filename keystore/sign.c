/* SPDX-License-Identifier: MIT */
/* sign.c - hash the data, sign the digest in the TPM and encode the result
 * the way SSH wants it (RFC 5656 section 3.1.2, RFC 8332). */
#include "sign.h"

#include <string.h>

#include "err.h"
#include "pubkey.h"

static const char *rsa_alg_name(enum ta_hash h)
{
	switch (h) {
	case TA_HASH_SHA1:
		return "ssh-rsa";
	case TA_HASH_SHA256:
		return "rsa-sha2-256";
	case TA_HASH_SHA512:
		return "rsa-sha2-512";
	case TA_HASH_SHA384:
		return NULL;
	}
	return NULL;
}

int sign_encode(const struct tpm_sig *sig, enum ta_hash hash, size_t rsa_len,
		struct buf *out)
{
	_cleanup_(buf_freep) struct buf *inner = NULL;
	uint8_t padded[TPM_SIG_MAX] = { 0 };
	const char *name;
	int r;

	if (sig->type == SSHKEY_RSA) {
		name = rsa_alg_name(hash);
		if (!name || sig->sig_len > rsa_len || rsa_len > sizeof(padded))
			return TA_ERR_INVALID_ARGUMENT;
		/* The signature is exactly as long as the modulus. */
		memcpy(padded + rsa_len - sig->sig_len, sig->sig, sig->sig_len);
		if ((r = buf_put_cstring(out, name)) != 0 ||
		    (r = buf_put_string(out, padded, rsa_len)) != 0)
			return r;
		return 0;
	}
	inner = buf_new(4096);
	if (!inner)
		return TA_ERR_NOMEM;
	if ((r = buf_put_mpint(inner, sig->r, sig->r_len)) != 0 ||
	    (r = buf_put_mpint(inner, sig->s, sig->s_len)) != 0 ||
	    (r = buf_put_cstring(out, sshkey_type_name(sig->type))) != 0 ||
	    (r = buf_put_stringb(out, inner)) != 0)
		return r;
	return 0;
}

int keystore_sign(struct tpm *t, const struct tpm_keyfile *k,
		  const char *auth, enum ta_hash hash, const uint8_t *data,
		  size_t len, struct buf *out)
{
	return keystore_sign_ctx(t, k, auth, hash, data, len, NULL, out);
}

int keystore_sign_ctx(struct tpm *t, const struct tpm_keyfile *k, const char *auth,
		      enum ta_hash hash, const uint8_t *data, size_t len,
		      struct tpm_saved_ctx *ctx, struct buf *out)
{
	struct tpm_sig sig;
	uint8_t digest[64];
	enum sshkey_type type;
	unsigned bits;
	int r;

	r = tpm_public_type(&k->pub, &type, &bits);
	if (r < 0)
		return r;
	/* ECDSA keys sign with their curve's hash (RFC 5656). */
	if (type != SSHKEY_RSA && hash != sshkey_ecdsa_hash(type))
		return TA_ERR_INVALID_ARGUMENT;
	r = ta_hash_digest(hash, data, len, digest);
	if (r < 0)
		return r;
	r = tpm_sign_digest_ctx(t, k, auth, hash, digest, ta_hash_len(hash), ctx, &sig);
	if (r < 0)
		return r;
	return sign_encode(&sig, hash, (bits + 7) / 8, out);
}
