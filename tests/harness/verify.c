/* SPDX-License-Identifier: MIT */
/* verify.c - verify SSH signature blobs with OpenSSL against a public key. */
#include "verify.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "buf.h"

static EVP_PKEY *to_evp(const struct sshkey *k)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = NULL, *e = NULL;
	const char *group;

	if (k->type == SSHKEY_RSA) {
		n = BN_bin2bn(k->n, (int)k->n_len, NULL);
		e = BN_bin2bn(k->e, (int)k->e_len, NULL);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else {
		group = k->type == SSHKEY_ECDSA_P256   ? "P-256"
			: k->type == SSHKEY_ECDSA_P384 ? "P-384"
						       : "P-521";
		OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
						group, 0);
		OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
						 k->q, k->q_len);
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (ctx && params && EVP_PKEY_fromdata_init(ctx) > 0)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

int test_verify_ssh_sig(const struct sshkey *key, const uint8_t *sig,
			size_t sig_len, const void *data, size_t data_len,
			char *ret_alg, size_t alg_size)
{
	struct buf *b = buf_from(sig, sig_len), *inner = NULL;
	char *alg = NULL;
	const EVP_MD *md;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char *der = NULL;
	const uint8_t *s;
	size_t s_len;
	int ok = 0, der_len;

	if (!b || buf_get_cstring(b, &alg, NULL) < 0 ||
	    buf_get_string_direct(b, &s, &s_len) < 0 || buf_len(b) != 0)
		goto out;
	snprintf(ret_alg, alg_size, "%s", alg);
	if (strcmp(alg, "ssh-rsa") == 0)
		md = EVP_sha1();
	else if (strcmp(alg, "rsa-sha2-256") == 0 ||
		 strcmp(alg, "ecdsa-sha2-nistp256") == 0)
		md = EVP_sha256();
	else if (strcmp(alg, "ecdsa-sha2-nistp384") == 0)
		md = EVP_sha384();
	else if (strcmp(alg, "rsa-sha2-512") == 0 ||
		 strcmp(alg, "ecdsa-sha2-nistp521") == 0)
		md = EVP_sha512();
	else
		goto out;
	pkey = to_evp(key);
	if (!pkey)
		goto out;
	if (key->type != SSHKEY_RSA) {
		/* SSH: string(mpint r || mpint s) -> DER ECDSA-Sig-Value */
		const uint8_t *r_, *s_;
		size_t rl, sl;
		ECDSA_SIG *es;

		inner = buf_from(s, s_len);
		if (!inner || buf_get_mpint_direct(inner, &r_, &rl) < 0 ||
		    buf_get_mpint_direct(inner, &s_, &sl) < 0 ||
		    buf_len(inner) != 0)
			goto out;
		es = ECDSA_SIG_new();
		ECDSA_SIG_set0(es, BN_bin2bn(r_, (int)rl, NULL),
			       BN_bin2bn(s_, (int)sl, NULL));
		der_len = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		if (der_len <= 0)
			goto out;
		s = der;
		s_len = (size_t)der_len;
	}
	mctx = EVP_MD_CTX_new();
	if (mctx && EVP_DigestVerifyInit(mctx, NULL, md, NULL, pkey) > 0)
		ok = EVP_DigestVerify(mctx, s, s_len, data, data_len) == 1;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(pkey);
	buf_free(inner);
	buf_free(b);
	free(alg);
	return ok;
}
