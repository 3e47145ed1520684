/* SPDX-License-Identifier: MIT */
/* softkey.c - software SSH private keys from ADD_IDENTITY (see
 * softkey.h).  Wire formats: PROTOCOL.agent and PROTOCOL.certkeys of
 * OpenSSH. */
#include "softkey.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "err.h"

#define RSA_MIN_BITS 1024

enum softkey_kind {
	SK_ED25519,
	SK_ECDSA,
	SK_RSA,
};

struct softkey {
	enum softkey_kind kind;
	enum sshkey_type ec_type; /* SK_ECDSA: the curve */
	bool cert;
	EVP_PKEY *pkey;
	uint8_t *blob; /* what is listed: the certificate, or the key */
	size_t blob_len;
	uint8_t *plain; /* the public key alone */
	size_t plain_len;
	unsigned bits;
};

struct evp_pkey_st *softkey_take_pkey(struct softkey *k)
{
	return TAKE_PTR(k->pkey);
}

void softkey_free(struct softkey *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k->blob);
	free(k->plain);
	free(k);
}

static const struct {
	const char *name;
	enum softkey_kind kind;
	enum sshkey_type ec_type;
	bool cert;
} types[] = {
	{ "ssh-ed25519", SK_ED25519, 0, false },
	{ "ssh-ed25519-cert-v01@openssh.com", SK_ED25519, 0, true },
	{ "ecdsa-sha2-nistp256", SK_ECDSA, SSHKEY_ECDSA_P256, false },
	{ "ecdsa-sha2-nistp384", SK_ECDSA, SSHKEY_ECDSA_P384, false },
	{ "ecdsa-sha2-nistp521", SK_ECDSA, SSHKEY_ECDSA_P521, false },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com", SK_ECDSA, SSHKEY_ECDSA_P256, true },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com", SK_ECDSA, SSHKEY_ECDSA_P384, true },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com", SK_ECDSA, SSHKEY_ECDSA_P521, true },
	{ "ssh-rsa", SK_RSA, 0, false },
	{ "ssh-rsa-cert-v01@openssh.com", SK_RSA, 0, true },
};

static const char *ec_group(enum sshkey_type t)
{
	switch (t) {
	case SSHKEY_ECDSA_P256:
		return "P-256";
	case SSHKEY_ECDSA_P384:
		return "P-384";
	case SSHKEY_ECDSA_P521:
		return "P-521";
	case SSHKEY_RSA:
		break;
	}
	return NULL;
}


/* The public fields, as borrowed slices of the message or certificate. */
struct pubfields {
	const uint8_t *pk; /* ed25519 */
	size_t pk_len;
	const uint8_t *curve, *q; /* ecdsa */
	size_t curve_len, q_len;
	const uint8_t *e, *n; /* rsa */
	size_t e_len, n_len;
};

static int get_pubfields(struct buf *b, enum softkey_kind kind, struct pubfields *p)
{
	switch (kind) {
	case SK_ED25519:
		return buf_get_string_direct(b, &p->pk, &p->pk_len);
	case SK_ECDSA: {
		int r = buf_get_string_direct(b, &p->curve, &p->curve_len);

		return r < 0 ? r : buf_get_string_direct(b, &p->q, &p->q_len);
	}
	case SK_RSA:
		break;
	}
	return 0; /* rsa: e and n come in an order of their own */
}

/* The plain public key blob of the fields. */
static int plain_blob(const struct softkey *k, const char *plain_name,
		      const struct pubfields *p, struct buf *out)
{
	int r = buf_put_cstring(out, plain_name);

	if (r < 0)
		return r;
	switch (k->kind) {
	case SK_ED25519:
		return buf_put_string(out, p->pk, p->pk_len);
	case SK_ECDSA:
		if ((r = buf_put_string(out, p->curve, p->curve_len)) < 0)
			return r;
		return buf_put_string(out, p->q, p->q_len);
	case SK_RSA:
		if ((r = buf_put_mpint(out, p->e, p->e_len)) < 0)
			return r;
		return buf_put_mpint(out, p->n, p->n_len);
	}
	return TA_ERR_INTERNAL;
}

/* The private key matches the public one (OpenSSL's pairwise check). */
static int pairwise_ok(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok = ctx && EVP_PKEY_pairwise_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : TA_ERR_FORMAT;
}

static int make_ecdsa(struct softkey *k, const struct pubfields *p, struct buf *b)
{
	const char *curve = sshkey_curve_name(k->ec_type);
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	const uint8_t *d;
	size_t d_len;
	BIGNUM *bn = NULL;
	int r;

	if ((r = buf_get_mpint_direct(b, &d, &d_len)) < 0)
		return r;
	if (p->curve_len != strlen(curve) || memcmp(p->curve, curve, p->curve_len) != 0 ||
	    p->q_len != 1 + 2 * sshkey_ecdsa_field_len(k->ec_type) || p->q[0] != 0x04 ||
	    d_len == 0 || d_len > sshkey_ecdsa_field_len(k->ec_type))
		return TA_ERR_FORMAT;
	r = TA_ERR_LIBCRYPTO;
	bn = BN_bin2bn(d, (int)d_len, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (!bn || !bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     ec_group(k->ec_type), 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, p->q, p->q_len) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k->pkey, EVP_PKEY_KEYPAIR, params) != 1)
		goto out;
	r = pairwise_ok(k->pkey);
	k->bits = (unsigned)EVP_PKEY_get_bits(k->pkey);
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(bn);
	return r;
}

static int make_rsa(struct softkey *k, struct pubfields *p, struct buf *b)
{
	const uint8_t *m[4]; /* d, iqmp, p, q */
	size_t m_len[4];
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *iqmp = NULL, *bp = NULL,
	       *bq = NULL, *dp = NULL, *dq = NULL, *t = NULL;
	BN_CTX *bctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r;

	/* Plain keys: n, e, d, iqmp, p, q; certificates: the certificate
	 * gave e and n, then d, iqmp, p, q. */
	if (!k->cert &&
	    ((r = buf_get_mpint_direct(b, &p->n, &p->n_len)) < 0 ||
	     (r = buf_get_mpint_direct(b, &p->e, &p->e_len)) < 0))
		return r;
	for (int i = 0; i < 4; i++)
		if ((r = buf_get_mpint_direct(b, &m[i], &m_len[i])) < 0)
			return r;
	if (p->n_len * 8 < RSA_MIN_BITS || p->n_len * 8 > SSHKEY_MAX_RSA_BITS + 8)
		return TA_ERR_FORMAT;
	r = TA_ERR_LIBCRYPTO;
	n = BN_bin2bn(p->n, (int)p->n_len, NULL);
	e = BN_bin2bn(p->e, (int)p->e_len, NULL);
	d = BN_bin2bn(m[0], (int)m_len[0], NULL);
	iqmp = BN_bin2bn(m[1], (int)m_len[1], NULL);
	bp = BN_bin2bn(m[2], (int)m_len[2], NULL);
	bq = BN_bin2bn(m[3], (int)m_len[3], NULL);
	dp = BN_new();
	dq = BN_new();
	t = BN_new();
	bctx = BN_CTX_new();
	if (!n || !e || !d || !iqmp || !bp || !bq || !dp || !dq || !t || !bctx)
		goto out;
	k->bits = (unsigned)BN_num_bits(n);
	if (k->bits < RSA_MIN_BITS || k->bits > SSHKEY_MAX_RSA_BITS || BN_is_zero(bp) ||
	    BN_is_zero(bq)) {
		r = TA_ERR_FORMAT;
		goto out;
	}
	/* OpenSSH sends d, iqmp, p, q; OpenSSL wants d mod p-1, q-1 too. */
	if (!BN_sub(t, bp, BN_value_one()) || !BN_mod(dp, d, t, bctx) ||
	    !BN_sub(t, bq, BN_value_one()) || !BN_mod(dq, d, t, bctx))
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, bp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, bq) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, iqmp) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k->pkey, EVP_PKEY_KEYPAIR, params) != 1)
		goto out;
	r = pairwise_ok(k->pkey);
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_CTX_free(bctx);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(iqmp);
	BN_clear_free(bp);
	BN_clear_free(bq);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(t);
	return r;
}

/* An EC public key as OpenSSH's sshkey_ec_validate_public wants it: on
 * the curve (EVP_PKEY_public_check), each coordinate longer than half the
 * order and below order - 1.  Anything else its clients refuse. */
static int ec_public_ok(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	BIGNUM *x = NULL, *y = NULL, *order = NULL;
	int ok = ctx && EVP_PKEY_public_check(ctx) == 1 &&
		 EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
		 EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
		 EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_ORDER, &order) == 1 &&
		 BN_num_bits(x) > BN_num_bits(order) / 2 && BN_num_bits(y) > BN_num_bits(order) / 2 &&
		 BN_sub_word(order, 1) == 1 && BN_cmp(x, order) < 0 && BN_cmp(y, order) < 0;

	EVP_PKEY_CTX_free(ctx);
	BN_free(x);
	BN_free(y);
	BN_free(order);
	ERR_clear_error();
	return ok ? 0 : TA_ERR_FORMAT;
}

/* A public key of a CA, from its blob. */
static int ca_key(const uint8_t *blob, size_t len, EVP_PKEY **ret, int *ret_kind,
		  enum sshkey_type *ret_ec)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(blob, len);
	const uint8_t *name, *f1, *f2;
	size_t name_len, l1, l2;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *n = NULL, *e = NULL;
	int r, t = -1;

	if (!b)
		return TA_ERR_NOMEM;
	if ((r = buf_get_string_direct(b, &name, &name_len)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!types[i].cert && name_len == strlen(types[i].name) &&
		    memcmp(name, types[i].name, name_len) == 0)
			t = (int)i;
	if (t < 0)
		return TA_ERR_KEY_TYPE;
	*ret_kind = types[t].kind;
	*ret_ec = types[t].ec_type;
	switch (types[t].kind) {
	case SK_ED25519:
		if ((r = buf_get_string_direct(b, &f1, &l1)) < 0)
			return r;
		if (l1 != 32 || buf_len(b) != 0)
			return TA_ERR_FORMAT;
		*ret = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, f1, 32);
		return *ret ? 0 : TA_ERR_LIBCRYPTO;
	case SK_ECDSA:
		if ((r = buf_get_string_direct(b, &f1, &l1)) < 0 ||
		    (r = buf_get_string_direct(b, &f2, &l2)) < 0)
			return r;
		if (buf_len(b) != 0 || l1 != strlen(sshkey_curve_name(types[t].ec_type)) ||
		    memcmp(f1, sshkey_curve_name(types[t].ec_type), l1) != 0)
			return TA_ERR_FORMAT;
		bld = OSSL_PARAM_BLD_new();
		r = TA_ERR_FORMAT;
		if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
							   ec_group(types[t].ec_type), 0) &&
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, f2, l2) &&
		    (params = OSSL_PARAM_BLD_to_param(bld)) &&
		    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) &&
		    EVP_PKEY_fromdata_init(ctx) == 1 &&
		    EVP_PKEY_fromdata(ctx, ret, EVP_PKEY_PUBLIC_KEY, params) == 1)
			r = ec_public_ok(*ret);
		if (r < 0) {
			EVP_PKEY_free(*ret);
			*ret = NULL;
		}
		break;
	case SK_RSA:
		if ((r = buf_get_mpint_direct(b, &f1, &l1)) < 0 ||
		    (r = buf_get_mpint_direct(b, &f2, &l2)) < 0)
			return r;
		if (buf_len(b) != 0 || l2 * 8 < RSA_MIN_BITS || l2 * 8 > SSHKEY_MAX_RSA_BITS + 8)
			return TA_ERR_FORMAT;
		e = BN_bin2bn(f1, (int)l1, NULL);
		n = BN_bin2bn(f2, (int)l2, NULL);
		bld = OSSL_PARAM_BLD_new();
		r = TA_ERR_FORMAT;
		if (e && n && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
		    (params = OSSL_PARAM_BLD_to_param(bld)) &&
		    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) &&
		    EVP_PKEY_fromdata_init(ctx) == 1 &&
		    EVP_PKEY_fromdata(ctx, ret, EVP_PKEY_PUBLIC_KEY, params) == 1)
			r = 0;
		break;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	/* A key OpenSSL refused (a point off the curve) is TA_ERR_FORMAT:
	 * its error queue must not keep the reason for the next
	 * TA_ERR_LIBCRYPTO message to show as its own. */
	if (r < 0)
		ERR_clear_error();
	return r;
}

/* sig (string algorithm, string blob) is pkey's signature of data. */
static int verify_sig(EVP_PKEY *pkey, int kind, enum sshkey_type ec, const uint8_t *sig,
		      size_t sig_len, const uint8_t *data, size_t data_len)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(sig, sig_len);
	const EVP_MD *md = NULL;
	const uint8_t *alg, *blob;
	size_t alg_len, blob_len;
	unsigned char *der = NULL;
	EVP_MD_CTX *ctx = NULL;
	int r, der_len = 0, ok = 0;

	if (!b)
		return TA_ERR_NOMEM;
	if ((r = buf_get_string_direct(b, &alg, &alg_len)) < 0 ||
	    (r = buf_get_string_direct(b, &blob, &blob_len)) < 0)
		return r;
	if (buf_len(b) != 0)
		return TA_ERR_FORMAT;
#define ALG_IS(s) (alg_len == strlen(s) && memcmp(alg, s, alg_len) == 0)
	switch (kind) {
	case SK_ED25519:
		if (!ALG_IS("ssh-ed25519") || blob_len != 64)
			return TA_ERR_FORMAT;
		break;
	case SK_ECDSA: {
		_cleanup_(buf_freep) struct buf *in = buf_from(blob, blob_len);
		const uint8_t *rb, *sb;
		size_t rl, sl;
		ECDSA_SIG *es;
		BIGNUM *br, *bs;

		if (!ALG_IS(sshkey_type_name(ec)) || !in)
			return TA_ERR_FORMAT;
		if ((r = buf_get_mpint_direct(in, &rb, &rl)) < 0 ||
		    (r = buf_get_mpint_direct(in, &sb, &sl)) < 0)
			return r;
		if (buf_len(in) != 0)
			return TA_ERR_FORMAT;
		es = ECDSA_SIG_new();
		br = BN_bin2bn(rb, (int)rl, NULL);
		bs = BN_bin2bn(sb, (int)sl, NULL);
		if (!es || !br || !bs || ECDSA_SIG_set0(es, br, bs) != 1) {
			ECDSA_SIG_free(es);
			BN_free(br);
			BN_free(bs);
			return TA_ERR_LIBCRYPTO;
		}
		der_len = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		if (der_len <= 0)
			return TA_ERR_LIBCRYPTO;
		blob = der;
		blob_len = (size_t)der_len;
		md = ta_hash_md(sshkey_ecdsa_hash(ec));
		break;
	}
	case SK_RSA:
		md = ALG_IS("rsa-sha2-256")   ? EVP_sha256()
		     : ALG_IS("rsa-sha2-512") ? EVP_sha512()
		     : ALG_IS("ssh-rsa")      ? EVP_sha1()
					      : NULL;
		if (!md)
			return TA_ERR_FORMAT;
		break;
	}
#undef ALG_IS
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1 &&
	     EVP_DigestVerify(ctx, blob, blob_len, data, data_len) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok ? 0 : TA_ERR_FORMAT;
}

/* The plain type name of a certificate type ("ssh-ed25519" for
 * "ssh-ed25519-cert-v01@openssh.com"). */
static const char *plain_name_of(int t)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!types[i].cert && types[i].kind == types[t].kind &&
		    types[i].ec_type == types[t].ec_type)
			return types[i].name;
	return NULL;
}

/* Walk a certificate to its end, check its CA's signature; fill in info
 * (may be NULL) and, when plain is not NULL, the certified key's own
 * blob. */
static int cert_parse(const uint8_t *cert, size_t len, struct softkey_cert *info,
		      struct buf **plain)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(cert, len);
	struct softkey_cert ci = { 0 };
	const uint8_t *s, *ca, *sig, *fields;
	size_t slen, ca_len, sig_len, signed_len, fields_len;
	uint64_t u64;
	EVP_PKEY *pkey = NULL;
	enum sshkey_type ec = 0;
	int r, t = -1, kind = 0;

	if (!b)
		return TA_ERR_NOMEM;
	if ((r = buf_get_string_direct(b, &s, &slen)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].cert && slen == strlen(types[i].name) && memcmp(s, types[i].name, slen) == 0)
			t = (int)i;
	if (t < 0)
		return TA_ERR_KEY_TYPE;
	if ((r = buf_get_string_direct(b, &s, &slen)) < 0) /* nonce */
		return r;
	fields = buf_ptr(b);
	fields_len = buf_len(b);
	switch (types[t].kind) {
	case SK_ED25519:
		r = buf_get_string_direct(b, &s, &slen);
		break;
	case SK_ECDSA:
		if ((r = buf_get_string_direct(b, &s, &slen)) >= 0)
			r = buf_get_string_direct(b, &s, &slen);
		break;
	case SK_RSA:
		if ((r = buf_get_mpint_direct(b, &s, &slen)) >= 0)
			r = buf_get_mpint_direct(b, &s, &slen);
		break;
	}
	fields_len -= buf_len(b);
	if (r < 0 || (r = buf_get_u64(b, &u64)) < 0 || (r = buf_get_u32(b, &ci.type)) < 0 ||
	    (r = buf_get_string_direct(b, &s, &slen)) < 0 || /* key id */
	    (r = buf_get_string_direct(b, &ci.principals, &ci.principals_len)) < 0 ||
	    (r = buf_get_u64(b, &ci.valid_after)) < 0 || (r = buf_get_u64(b, &ci.valid_before)) < 0 ||
	    (r = buf_get_string_direct(b, &s, &ci.critical_len)) < 0 ||
	    (r = buf_get_string_direct(b, &s, &slen)) < 0 || /* extensions */
	    (r = buf_get_string_direct(b, &s, &slen)) < 0 || /* reserved */
	    (r = buf_get_string_direct(b, &ca, &ca_len)) < 0)
		return r < 0 ? r : TA_ERR_FORMAT;
	if (ci.type != SOFTKEY_CERT_USER && ci.type != SOFTKEY_CERT_HOST)
		return TA_ERR_FORMAT;
	signed_len = len - buf_len(b);
	if ((r = buf_get_string_direct(b, &sig, &sig_len)) < 0)
		return r;
	if (buf_len(b) != 0)
		return TA_ERR_TRAILING;
	ci.ca = ca;
	ci.ca_len = ca_len;
	{
		_cleanup_(buf_freep) struct buf *sb = buf_from(sig, sig_len);

		if (!sb)
			return TA_ERR_NOMEM;
		if ((r = buf_get_string_direct(sb, &ci.sig_alg, &ci.sig_alg_len)) < 0)
			return r;
	}
	r = ca_key(ca, ca_len, &pkey, &kind, &ec);
	if (r >= 0)
		r = verify_sig(pkey, kind, ec, sig, sig_len, cert, signed_len);
	EVP_PKEY_free(pkey);
	if (r < 0)
		return r;
	if (plain) {
		struct buf *p = buf_new(SSHKEY_MAX_BLOB);

		if (!p)
			return TA_ERR_NOMEM;
		if ((r = buf_put_cstring(p, plain_name_of(t))) < 0 ||
		    (r = buf_put(p, fields, fields_len)) < 0) {
			buf_free(p);
			return r;
		}
		*plain = p;
	}
	if (info)
		*info = ci;
	return 0;
}

int softkey_cert_check(const uint8_t *cert, size_t len)
{
	return cert_parse(cert, len, NULL, NULL);
}

int softkey_cert_parse(const uint8_t *cert, size_t len, struct softkey_cert *ret)
{
	return cert_parse(cert, len, ret, NULL);
}

int softkey_verify(const uint8_t *key, size_t key_len, const uint8_t *sig, size_t sig_len,
		   const uint8_t *data, size_t data_len)
{
	_cleanup_(buf_freep) struct buf *plain = NULL;
	EVP_PKEY *pkey = NULL;
	enum sshkey_type ec = 0;
	int r, kind = 0;

	/* A certificate signs with the key it certifies (checked first,
	 * CA signature and all). */
	r = cert_parse(key, key_len, NULL, &plain);
	if (r == 0) {
		key = buf_ptr(plain);
		key_len = buf_len(plain);
	} else if (r != TA_ERR_KEY_TYPE) {
		return r;
	}
	r = ca_key(key, key_len, &pkey, &kind, &ec);
	if (r >= 0)
		r = verify_sig(pkey, kind, ec, sig, sig_len, data, data_len);
	EVP_PKEY_free(pkey);
	return r;
}

int softkey_parse(struct buf *b, struct softkey **ret)
{
	_cleanup_(softkey_freep) struct softkey *k = NULL;
	_cleanup_(buf_freep) struct buf *pb = NULL, *cb = NULL;
	const uint8_t *name, *cert = NULL;
	size_t name_len, cert_len = 0;
	struct pubfields p = { 0 };
	char plain_name[64];
	int r, t = -1;

	if ((r = buf_get_string_direct(b, &name, &name_len)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (name_len == strlen(types[i].name) && memcmp(name, types[i].name, name_len) == 0)
			t = (int)i;
	if (t < 0)
		return TA_ERR_KEY_TYPE;
	k = calloc(1, sizeof(*k));
	if (!k)
		return TA_ERR_NOMEM;
	k->kind = types[t].kind;
	k->ec_type = types[t].ec_type;
	k->cert = types[t].cert;
	snprintf(plain_name, sizeof(plain_name), "%.*s",
		 (int)(k->cert ? strstr(types[t].name, "-cert-v01@") - types[t].name
			       : (ptrdiff_t)strlen(types[t].name)),
		 types[t].name);
	if (k->cert) {
		if ((r = buf_get_string_direct(b, &cert, &cert_len)) < 0)
			return r;
		/* All of it well formed and signed by its CA, as OpenSSH's
		 * agent checks: clients refuse a whole listing otherwise. */
		if ((r = softkey_cert_check(cert, cert_len)) < 0)
			return r;
		/* Its public fields, from a copy that lives as long as p. */
		cb = buf_from(cert, cert_len);
		if (!cb)
			return TA_ERR_NOMEM;
		{
			const uint8_t *s;
			size_t len;

			if ((r = buf_get_string_direct(cb, &s, &len)) < 0)
				return r;
			if (len != strlen(types[t].name) || memcmp(s, types[t].name, len) != 0)
				return TA_ERR_FORMAT;
			if ((r = buf_get_string_direct(cb, &s, &len)) < 0) /* nonce */
				return r;
			if (k->kind == SK_RSA &&
			    ((r = buf_get_mpint_direct(cb, &p.e, &p.e_len)) < 0 ||
			     (r = buf_get_mpint_direct(cb, &p.n, &p.n_len)) < 0))
				return r;
			if ((r = get_pubfields(cb, k->kind, &p)) < 0)
				return r;
		}
	} else if ((r = get_pubfields(b, k->kind, &p)) < 0) {
		return r;
	}
	switch (k->kind) {
	case SK_ED25519: {
		const uint8_t *pk2;
		size_t pk2_len;

		/* Certificates repeat the public key in the private part. */
		if (k->cert) {
			if ((r = buf_get_string_direct(b, &pk2, &pk2_len)) < 0)
				return r;
			if (pk2_len != p.pk_len || memcmp(pk2, p.pk, pk2_len) != 0)
				return TA_ERR_FORMAT;
		}
		{
			const uint8_t *sk;
			size_t sk_len, len = 32;
			uint8_t derived[32];

			if ((r = buf_get_string_direct(b, &sk, &sk_len)) < 0)
				return r;
			if (p.pk_len != 32 || sk_len != 64 || memcmp(sk + 32, p.pk, 32) != 0)
				return TA_ERR_FORMAT;
			k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32);
			if (!k->pkey)
				return TA_ERR_LIBCRYPTO;
			if (EVP_PKEY_get_raw_public_key(k->pkey, derived, &len) != 1 || len != 32 ||
			    memcmp(derived, p.pk, 32) != 0)
				return TA_ERR_FORMAT;
			k->bits = 256;
		}
		break;
	}
	case SK_ECDSA:
		r = make_ecdsa(k, &p, b);
		break;
	case SK_RSA:
		r = make_rsa(k, &p, b);
		break;
	}
	if (r < 0)
		return r;
	pb = buf_new(SSHKEY_MAX_BLOB);
	if (!pb)
		return TA_ERR_NOMEM;
	if ((r = plain_blob(k, plain_name, &p, pb)) < 0)
		return r;
	k->plain_len = buf_len(pb);
	k->plain = malloc(k->plain_len);
	if (!k->plain)
		return TA_ERR_NOMEM;
	memcpy(k->plain, buf_ptr(pb), k->plain_len);
	k->blob_len = k->cert ? cert_len : k->plain_len;
	k->blob = malloc(k->blob_len);
	if (!k->blob)
		return TA_ERR_NOMEM;
	memcpy(k->blob, k->cert ? cert : k->plain, k->blob_len);
	*ret = TAKE_PTR(k);
	return 0;
}

void softkey_blob(const struct softkey *k, const uint8_t **ret, size_t *ret_len)
{
	*ret = k->blob;
	*ret_len = k->blob_len;
}

int softkey_fingerprint(const struct softkey *k, char **ret)
{
	uint8_t md[32];
	char b64[64], *s;
	int n;

	if (ta_hash_digest(TA_HASH_SHA256, k->plain, k->plain_len, md) < 0)
		return TA_ERR_LIBCRYPTO;
	n = EVP_EncodeBlock((unsigned char *)b64, md, sizeof(md));
	while (n > 0 && b64[n - 1] == '=')
		n--;
	b64[n] = '\0';
	if (asprintf(&s, "SHA256:%s", b64) < 0)
		return TA_ERR_NOMEM;
	*ret = s;
	return 0;
}

const char *softkey_label(const struct softkey *k)
{
	switch (k->kind) {
	case SK_ED25519:
		return k->cert ? "ED25519-CERT" : "ED25519";
	case SK_ECDSA:
		return k->cert ? "ECDSA-CERT" : "ECDSA";
	case SK_RSA:
		return k->cert ? "RSA-CERT" : "RSA";
	}
	return "?";
}

unsigned softkey_bits(const struct softkey *k)
{
	return k->bits;
}

bool softkey_is_rsa(const struct softkey *k)
{
	return k->kind == SK_RSA;
}

int softkey_sign(const struct softkey *k, enum ta_hash hash, const uint8_t *data,
		 size_t len, struct buf *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = NULL;
	const char *alg = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int r = TA_ERR_LIBCRYPTO;

	switch (k->kind) {
	case SK_ED25519:
		alg = "ssh-ed25519";
		break;
	case SK_ECDSA:
		alg = sshkey_type_name(k->ec_type);
		md = ta_hash_md(sshkey_ecdsa_hash(k->ec_type));
		break;
	case SK_RSA:
		md = ta_hash_md(hash);
		alg = hash == TA_HASH_SHA256 ? "rsa-sha2-256"
		      : hash == TA_HASH_SHA512 ? "rsa-sha2-512"
		      : hash == TA_HASH_SHA1	 ? "ssh-rsa"
						 : NULL;
		if (!alg) {
			EVP_MD_CTX_free(ctx);
			return TA_ERR_INVALID_ARGUMENT;
		}
		break;
	}
	if (!ctx || EVP_DigestSignInit(ctx, NULL, md, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &sig_len, data, len) != 1 ||
	    !(sig = malloc(sig_len)) ||
	    EVP_DigestSign(ctx, sig, &sig_len, data, len) != 1)
		goto out;
	if ((r = buf_put_cstring(out, alg)) < 0)
		goto out;
	if (k->kind == SK_ECDSA) {
		/* DER (r, s) -> string(mpint r, mpint s). */
		_cleanup_(buf_freep) struct buf *inner = buf_new(512);
		const unsigned char *der = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &der, (long)sig_len);
		uint8_t rb[80], sb[80];
		int rl, sl;

		r = TA_ERR_LIBCRYPTO;
		if (!es || !inner) {
			ECDSA_SIG_free(es);
			goto out;
		}
		rl = BN_bn2bin(ECDSA_SIG_get0_r(es), rb);
		sl = BN_bn2bin(ECDSA_SIG_get0_s(es), sb);
		ECDSA_SIG_free(es);
		if (rl < 0 || sl < 0 || (r = buf_put_mpint(inner, rb, (size_t)rl)) < 0 ||
		    (r = buf_put_mpint(inner, sb, (size_t)sl)) < 0)
			goto out;
		r = buf_put_stringb(out, inner);
	} else {
		r = buf_put_string(out, sig, sig_len);
	}
out:
	EVP_MD_CTX_free(ctx);
	free(sig);
	return r;
}

/* An sk-ecdsa key's point, checked as an ecdsa-sha2-nistp256 one. */
static int sk_point_ok(const uint8_t *q, size_t len)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(SSHKEY_MAX_BLOB);
	EVP_PKEY *pkey = NULL;
	enum sshkey_type ec = 0;
	int r, kind = 0;

	if (!b)
		return TA_ERR_NOMEM;
	if ((r = buf_put_cstring(b, "ecdsa-sha2-nistp256")) < 0 || (r = buf_put_cstring(b, "nistp256")) < 0 ||
	    (r = buf_put_string(b, q, len)) < 0)
		return r;
	r = ca_key(buf_ptr(b), buf_len(b), &pkey, &kind, &ec);
	EVP_PKEY_free(pkey);
	return r;
}

/* Names OpenSSH's clients take as key types (signature-only names, short
 * names in any case) whose fields we do not walk: a broken one would
 * make them refuse the whole list, so none is passed on. */
static bool openssh_unchecked_name(const uint8_t *name, size_t len)
{
	static const char *const exact[] = {
		"rsa-sha2-256", "rsa-sha2-512", "rsa-sha2-256-cert-v01@openssh.com",
		"rsa-sha2-512-cert-v01@openssh.com", "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
	};
	static const char *const shortnames[] = {
		"rsa", "dsa", "ecdsa", "ed25519", "ecdsa-sk", "ed25519-sk", "xmss",
		"rsa-cert", "dsa-cert", "ecdsa-cert", "ed25519-cert", "ecdsa-sk-cert", "ed25519-sk-cert",
	};

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (len == strlen(exact[i]) && memcmp(name, exact[i], len) == 0)
			return true;
	for (size_t i = 0; i < sizeof(shortnames) / sizeof(shortnames[0]); i++)
		if (len == strlen(shortnames[i]) && strncasecmp((const char *)name, shortnames[i], len) == 0)
			return true;
	return false;
}

/* Fields of a key OpenSSH knows and we do not hold, to their last byte. */
static int other_key_check(const uint8_t *name, size_t name_len, struct buf *b)
{
	const uint8_t *f;
	size_t l;
	int r = 0;

#define NAME_IS(s) (name_len == strlen(s) && memcmp(name, s, name_len) == 0)
	if (NAME_IS("ssh-dss")) {
		for (int i = 0; i < 4 && r >= 0; i++)
			r = buf_get_mpint_direct(b, &f, &l);
	} else if (NAME_IS("sk-ecdsa-sha2-nistp256@openssh.com")) {
		if ((r = buf_get_string_direct(b, &f, &l)) >= 0 &&
		    (l != 8 || memcmp(f, "nistp256", 8) != 0))
			r = TA_ERR_FORMAT;
		if (r >= 0 && (r = buf_get_string_direct(b, &f, &l)) >= 0)
			r = sk_point_ok(f, l);
		if (r >= 0)
			r = buf_get_string_direct(b, &f, &l);
	} else if (NAME_IS("sk-ssh-ed25519@openssh.com")) {
		if ((r = buf_get_string_direct(b, &f, &l)) >= 0 && l != 32)
			r = TA_ERR_FORMAT;
		if (r >= 0)
			r = buf_get_string_direct(b, &f, &l);
	} else if (openssh_unchecked_name(name, name_len)) {
		return TA_ERR_KEY_TYPE;
	} else {
		return 0; /* not ours to judge: clients skip unknown types */
	}
#undef NAME_IS
	if (r >= 0 && buf_len(b) != 0)
		r = TA_ERR_TRAILING;
	return r;
}

int softkey_pubkey_check(const uint8_t *blob, size_t len)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(blob, len);
	const uint8_t *name;
	size_t name_len;
	EVP_PKEY *pkey = NULL;
	enum sshkey_type ec = 0;
	int r, kind = 0;

	if (!b)
		return TA_ERR_NOMEM;
	if ((r = buf_get_string_direct(b, &name, &name_len)) < 0)
		return r;
	if (name_len == 0)
		return TA_ERR_FORMAT;
	for (size_t i = 0; i < name_len; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return TA_ERR_FORMAT;
	r = cert_parse(blob, len, NULL, NULL);
	if (r != TA_ERR_KEY_TYPE)
		return r;
	r = ca_key(blob, len, &pkey, &kind, &ec);
	EVP_PKEY_free(pkey);
	if (r != TA_ERR_KEY_TYPE)
		return r;
	return other_key_check(name, name_len, b);
}
