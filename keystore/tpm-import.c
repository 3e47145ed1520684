/* SPDX-License-Identifier: MIT */
/* tpm-import.c - the outer wrapper of TPM duplication (TPM 2.0 Part 1,
 * "Protected Storage" and "Object Duplication"), computed in software, and
 * TPM2_Import.  For a parent P with name algorithm H and symmetric key
 * size K:
 *   seed     ECC: KDFe(H, ECDH(ephemeral, P).x, "DUPLICATE", xe, xp)
 *            RSA: random, sent OAEP-encrypted to P with label "DUPLICATE\0"
 *   symKey   KDFa(H, seed, "STORAGE", name of the key, -, K)
 *   dupSens  AES-CFB(symKey, IV 0, size || TPMT_SENSITIVE)
 *   hmac     HMAC(KDFa(H, seed, "INTEGRITY", -, -, |H|), dupSens || name)
 *   duplicate = size(hmac) || hmac || dupSens;  inSymSeed = (xe, ye) or the
 *   OAEP ciphertext.  ECC coordinates are always written at full width and
 *   those same bytes go into KDFe: the TPM hashes the bytes it received. */
#include "tpm-import.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>

#include "err.h"
#include "log.h"
#include "pubkey.h"
#include "tpm-internal.h"
#include "tpm-mu.h"

DEFINE_CLEANUP(BIO, BIO_free)
DEFINE_CLEANUP(EVP_PKEY, EVP_PKEY_free)
DEFINE_CLEANUP(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
DEFINE_CLEANUP(BIGNUM, BN_clear_free)
DEFINE_CLEANUP(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
DEFINE_CLEANUP(OSSL_PARAM, OSSL_PARAM_free)
DEFINE_CLEANUP(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)
DEFINE_CLEANUP(EVP_CIPHER, EVP_CIPHER_free)

static const EVP_MD *name_md(TPMI_ALG_HASH h)
{
	switch (h) {
	case TPM2_ALG_SHA256:
		return EVP_sha256();
	case TPM2_ALG_SHA384:
		return EVP_sha384();
	case TPM2_ALG_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static const struct {
	TPMI_ECC_CURVE id;
	const char *group;
	size_t len;
} curves[] = {
	{ TPM2_ECC_NIST_P256, "prime256v1", 32 },
	{ TPM2_ECC_NIST_P384, "secp384r1", 48 },
	{ TPM2_ECC_NIST_P521, "secp521r1", 66 },
};

static int curve_by_id(TPMI_ECC_CURVE id, size_t *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(curves); i++)
		if (curves[i].id == id) {
			*ret = i;
			return 0;
		}
	return TA_ERR_KEY_TYPE;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#define KDF_MSG_MAX 512

/* KDFa: HMAC(key, counter || label NUL || u || v || bits), counter mode. */
static int kdfa(const EVP_MD *md, const uint8_t *key, size_t key_len, const char *label,
		const uint8_t *u, size_t u_len, uint8_t *out, size_t out_len)
{
	uint8_t msg[KDF_MSG_MAX], block[EVP_MAX_MD_SIZE];
	size_t label_len = strlen(label) + 1, msg_len = 4 + label_len + u_len + 4;
	unsigned block_len;
	CLEANUP_ERASE(block);

	if (msg_len > sizeof(msg))
		return TA_ERR_INTERNAL;
	memcpy(msg + 4, label, label_len);
	if (u_len)
		memcpy(msg + 4 + label_len, u, u_len);
	put_be32(msg + msg_len - 4, (uint32_t)(out_len * 8));
	for (uint32_t counter = 1, done = 0; done < out_len; counter++) {
		size_t n;

		put_be32(msg, counter);
		if (!HMAC(md, key, (int)key_len, msg, msg_len, block, &block_len))
			return TA_ERR_LIBCRYPTO;
		n = out_len - done < block_len ? out_len - done : block_len;
		memcpy(out + done, block, n);
		done += (uint32_t)n;
	}
	return 0;
}

/* KDFe: H(counter || Z || label NUL || u || v), counter mode. */
static int kdfe(const EVP_MD *md, const uint8_t *z, size_t z_len, const char *label,
		const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len, uint8_t *out,
		size_t out_len)
{
	uint8_t msg[KDF_MSG_MAX], block[EVP_MAX_MD_SIZE];
	size_t label_len = strlen(label) + 1, msg_len = 4 + z_len + label_len + u_len + v_len;
	unsigned block_len;
	CLEANUP_ERASE(msg);
	CLEANUP_ERASE(block);

	if (msg_len > sizeof(msg))
		return TA_ERR_INTERNAL;
	memcpy(msg + 4, z, z_len);
	memcpy(msg + 4 + z_len, label, label_len);
	memcpy(msg + 4 + z_len + label_len, u, u_len);
	memcpy(msg + 4 + z_len + label_len + u_len, v, v_len);
	for (uint32_t counter = 1, done = 0; done < out_len; counter++) {
		size_t n;

		put_be32(msg, counter);
		if (EVP_Digest(msg, msg_len, block, &block_len, md, NULL) != 1)
			return TA_ERR_LIBCRYPTO;
		n = out_len - done < block_len ? out_len - done : block_len;
		memcpy(out + done, block, n);
		done += (uint32_t)n;
	}
	return 0;
}

static int bn_param(EVP_PKEY *k, const char *name, size_t width, uint8_t *out)
{
	_cleanup_(BN_clear_freep) BIGNUM *bn = NULL;

	if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) {
		ERR_clear_error();
		return TA_ERR_KEY_TYPE;
	}
	if ((size_t)BN_num_bytes(bn) > width || BN_bn2binpad(bn, out, (int)width) < 0)
		return TA_ERR_KEY_TYPE;
	return 0;
}

static int ec_curve(EVP_PKEY *k, size_t *ret)
{
	char group[64];

	if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   NULL) != 1) {
		ERR_clear_error();
		return TA_ERR_KEY_TYPE;
	}
	for (size_t i = 0; i < ELEMENTSOF(curves); i++)
		if (strcmp(group, curves[i].group) == 0) {
			*ret = i;
			return 0;
		}
	return TA_ERR_KEY_TYPE;
}

/* The key's TPM public area (an imported key: not fixedTPM/fixedParent,
 * not sensitiveDataOrigin; a signing key only) and sensitive part. */
static int key_to_tpm(EVP_PKEY *k, const char *auth, TPM2B_PUBLIC *ret_pub,
		      TPMT_SENSITIVE *ret_sens)
{
	TPM2B_PUBLIC pub = { 0 };
	TPMT_SENSITIVE sens = { 0 };
	TPMT_PUBLIC *p = &pub.publicArea;
	int r;
	CLEANUP_ERASE(sens);

	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH;
	if (EVP_PKEY_is_a(k, "EC")) {
		size_t c, w;

		r = ec_curve(k, &c);
		if (r < 0)
			return r;
		w = curves[c].len;
		p->type = TPM2_ALG_ECC;
		p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		p->parameters.eccDetail.curveID = curves[c].id;
		if ((r = bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, w, p->unique.ecc.x.buffer)) < 0 ||
		    (r = bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, w, p->unique.ecc.y.buffer)) < 0 ||
		    (r = bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, w, sens.sensitive.ecc.buffer)) < 0)
			return r;
		p->unique.ecc.x.size = p->unique.ecc.y.size = sens.sensitive.ecc.size = (UINT16)w;
	} else if (EVP_PKEY_is_a(k, "RSA")) {
		_cleanup_(BN_clear_freep) BIGNUM *e = NULL;
		int bits = EVP_PKEY_get_bits(k);
		size_t w = (size_t)bits / 8;

		_cleanup_(BN_clear_freep) BIGNUM *third = NULL;

		/* Two primes and e = 65537: what TPMs hold (a TPM is only
		 * required to support 65537; libtpms refuses others). */
		if (bits < 2048 || bits > 4096 || bits % 1024 ||
		    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) != 1 || !BN_is_word(e, 65537) ||
		    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_FACTOR3, &third) == 1) {
			ERR_clear_error();
			return TA_ERR_KEY_TYPE;
		}
		ERR_clear_error();
		p->type = TPM2_ALG_RSA;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)bits;
		p->parameters.rsaDetail.exponent = 0; /* the TPM's way of saying 65537 */
		/* The TPM's RSA sensitive part is the first prime. */
		if ((r = bn_param(k, OSSL_PKEY_PARAM_RSA_N, w, p->unique.rsa.buffer)) < 0 ||
		    (r = bn_param(k, OSSL_PKEY_PARAM_RSA_FACTOR1, w / 2, sens.sensitive.rsa.buffer)) < 0)
			return r;
		p->unique.rsa.size = (UINT16)w;
		sens.sensitive.rsa.size = (UINT16)(w / 2);
	} else {
		return TA_ERR_KEY_TYPE;
	}
	sens.sensitiveType = p->type;
	r = tpm_set_auth(&sens.authValue, auth, TPM_NEW_KEY_AUTH_MAX);
	if (r < 0)
		return r;
	*ret_pub = pub;
	*ret_sens = sens;
	return 0;
}

int tpm_key_public(struct evp_pkey_st *key, TPM2B_PUBLIC *ret)
{
	TPMT_SENSITIVE sens;
	int r;

	r = key_to_tpm(key, NULL, ret, &sens);
	OPENSSL_cleanse(&sens, sizeof(sens));
	return r;
}

/* nameAlg || H(TPMT_PUBLIC). */
static int object_name(const TPMT_PUBLIC *p, uint8_t *out, size_t *ret_len)
{
	_cleanup_(buf_freep) struct buf *m = buf_new(sizeof(TPMT_PUBLIC));
	unsigned n;

	if (!m)
		return TA_ERR_NOMEM;
	if (p->nameAlg != TPM2_ALG_SHA256 || mu_put_tpmt_public(m, p) < 0)
		return TA_ERR_INTERNAL;
	out[0] = 0x00;
	out[1] = 0x0b;
	if (EVP_Digest(buf_ptr(m), buf_len(m), out + 2, &n, EVP_sha256(), NULL) != 1)
		return TA_ERR_LIBCRYPTO;
	*ret_len = 2 + n;
	return 0;
}

static int parent_key_check(const TPMT_PUBLIC *p);

/* A storage parent we can wrap to. */
static int parent_check(const TPMT_PUBLIC *p, size_t *ret_sym_len)
{
	const TPMT_SYM_DEF_OBJECT *sym;
	TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;

	if ((p->objectAttributes & need) != need || (p->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT) ||
	    !name_md(p->nameAlg))
		return TA_ERR_FORMAT;
	if (p->type == TPM2_ALG_ECC)
		sym = &p->parameters.eccDetail.symmetric;
	else if (p->type == TPM2_ALG_RSA)
		sym = &p->parameters.rsaDetail.symmetric;
	else
		return TA_ERR_FORMAT;
	if (sym->algorithm != TPM2_ALG_AES || sym->mode.aes != TPM2_ALG_CFB ||
	    (sym->keyBits.aes != 128 && sym->keyBits.aes != 192 && sym->keyBits.aes != 256))
		return TA_ERR_FORMAT;
	if (parent_key_check(p) < 0)
		return TA_ERR_FORMAT;
	*ret_sym_len = sym->keyBits.aes / 8;
	return 0;
}

static int ec_public_key(size_t c, const uint8_t *x, const uint8_t *y, EVP_PKEY **ret);

/* An ECC parent's point, at full width (as the TPM holds its own), and
 * as an OpenSSL key (on its curve, else TA_ERR_FORMAT). */
static int parent_point(const TPMT_PUBLIC *p, size_t *ret_c, uint8_t x[66], uint8_t y[66],
			EVP_PKEY **ret)
{
	const TPMS_ECC_POINT *pp = &p->unique.ecc;
	size_t c, w;

	if (curve_by_id(p->parameters.eccDetail.curveID, &c) < 0)
		return TA_ERR_FORMAT;
	w = curves[c].len;
	if (pp->x.size > w || pp->y.size > w || pp->x.size == 0 || pp->y.size == 0)
		return TA_ERR_FORMAT;
	memset(x, 0, 66);
	memset(y, 0, 66);
	memcpy(x + w - pp->x.size, pp->x.buffer, pp->x.size);
	memcpy(y + w - pp->y.size, pp->y.buffer, pp->y.size);
	*ret_c = c;
	return ec_public_key(c, x, y, ret);
}

/* The parent's key itself: an ECC point on its curve; an RSA modulus of
 * the declared size, odd, with e = 65537 (any other exponent, e = 1 above
 * all, would not hide the seed). */
static int parent_key_check(const TPMT_PUBLIC *p)
{
	if (p->type == TPM2_ALG_RSA) {
		const TPM2B_PUBLIC_KEY_RSA *n = &p->unique.rsa;
		UINT32 e = p->parameters.rsaDetail.exponent;

		if ((e != 0 && e != 65537) || p->parameters.rsaDetail.keyBits < 2048 ||
		    n->size * 8 != p->parameters.rsaDetail.keyBits || !(n->buffer[0] & 0x80) ||
		    !(n->buffer[n->size - 1] & 1))
			return TA_ERR_FORMAT;
		return 0;
	}
	{
		_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = NULL;
		uint8_t x[66], y[66];
		size_t c;

		return parent_point(p, &c, x, y, &pk);
	}
}

bool tpm_parent_is_srk_template(const TPMT_PUBLIC *p)
{
	return (p->type == TPM2_ALG_ECC || p->type == TPM2_ALG_RSA) &&
	       tpm_public_is_srk_template(p, p->type == TPM2_ALG_RSA);
}

static int ec_public_key(size_t c, const uint8_t *x, const uint8_t *y, EVP_PKEY **ret)
{
	_cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	_cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
	uint8_t pt[1 + 2 * 66];
	size_t w = curves[c].len;

	pt[0] = 0x04;
	memcpy(pt + 1, x, w);
	memcpy(pt + 1 + w, y, w);
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curves[c].group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * w) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, ret, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		ERR_clear_error();
		return TA_ERR_FORMAT; /* not a point on the curve */
	}
	return 0;
}

static int seed_ecc(const TPMT_PUBLIC *parent, const EVP_MD *md, uint8_t *seed, size_t seed_len,
		    TPM2B_ENCRYPTED_SECRET *ret)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *peer = NULL, *eph = NULL;
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *dctx = NULL;
	uint8_t xp[66], yp[66], z[66];
	TPMS_ECC_POINT pe = { 0 };
	size_t c, w, z_len, off = 0;
	int r;
	CLEANUP_ERASE(z);

	r = parent_point(parent, &c, xp, yp, &peer);
	if (r < 0)
		return r;
	w = curves[c].len;
	eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[c].group);
	z_len = sizeof(z);
	if (!eph || !(dctx = EVP_PKEY_CTX_new(eph, NULL)) || EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_derive_set_peer(dctx, peer) != 1 || EVP_PKEY_derive(dctx, z, &z_len) != 1 ||
	    z_len != w) {
		ERR_clear_error();
		return TA_ERR_LIBCRYPTO;
	}
	if ((r = bn_param(eph, OSSL_PKEY_PARAM_EC_PUB_X, w, pe.x.buffer)) < 0 ||
	    (r = bn_param(eph, OSSL_PKEY_PARAM_EC_PUB_Y, w, pe.y.buffer)) < 0)
		return TA_ERR_LIBCRYPTO;
	pe.x.size = pe.y.size = (UINT16)w;
	r = kdfe(md, z, w, "DUPLICATE", pe.x.buffer, w, xp, w, seed, seed_len);
	if (r < 0)
		return r;
	if (sym_Tss2_MU_TPMS_ECC_POINT_Marshal(&pe, ret->secret, sizeof(ret->secret), &off) !=
	    TSS2_RC_SUCCESS)
		return TA_ERR_INTERNAL;
	ret->size = (UINT16)off;
	return 0;
}

static int seed_rsa(const TPMT_PUBLIC *parent, const EVP_MD *md, uint8_t *seed, size_t seed_len,
		    TPM2B_ENCRYPTED_SECRET *ret)
{
	static const char label[] = "DUPLICATE"; /* sent with its NUL */
	const TPMS_RSA_PARMS *rp = &parent->parameters.rsaDetail;
	_cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	_cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL, *ectx = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = NULL;
	_cleanup_(BN_clear_freep) BIGNUM *n = NULL, *e = NULL;
	unsigned char *lab = NULL;
	size_t out_len = sizeof(ret->secret);

	if (parent->unique.rsa.size == 0 || parent->unique.rsa.size * 8 != rp->keyBits)
		return TA_ERR_FORMAT;
	n = BN_bin2bn(parent->unique.rsa.buffer, parent->unique.rsa.size, NULL);
	e = BN_new();
	if (!n || !e || !BN_set_word(e, rp->exponent ? rp->exponent : 65537) || !bld ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto fail;
	if (RAND_bytes(seed, (int)seed_len) != 1)
		goto fail;
	lab = OPENSSL_memdup(label, sizeof(label));
	if (!lab || !(ectx = EVP_PKEY_CTX_new(pk, NULL)) || EVP_PKEY_encrypt_init(ectx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ectx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ectx, md) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ectx, md) != 1 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ectx, lab, sizeof(label)) != 1)
		goto fail;
	lab = NULL; /* the context owns it */
	if (EVP_PKEY_encrypt(ectx, ret->secret, &out_len, seed, seed_len) != 1)
		goto fail;
	ret->size = (UINT16)out_len;
	return 0;
fail:
	OPENSSL_free(lab);
	ERR_clear_error();
	return TA_ERR_FORMAT;
}

int tpm_wrap_key(struct evp_pkey_st *key, const char *auth, const TPMT_PUBLIC *parent,
		 TPM2B_PUBLIC *ret_pub, TPM2B_PRIVATE *ret_dup, TPM2B_ENCRYPTED_SECRET *ret_seed)
{
	TPM2B_PUBLIC pub;
	TPMT_SENSITIVE sens;
	TPM2B_ENCRYPTED_SECRET sec = { 0 };
	TPM2B_PRIVATE dup = { 0 };
	uint8_t seed[EVP_MAX_MD_SIZE], sym[32], hkey[EVP_MAX_MD_SIZE], name[2 + 32];
	uint8_t plain[2 + sizeof(TPMT_SENSITIVE)];
	const EVP_MD *md;
	size_t seed_len, sym_len, name_len, off = 0;
	unsigned hmac_len;
	int n = 0, fin = 0, r;
	uint8_t *enc;
	CLEANUP_ERASE(sens);
	CLEANUP_ERASE(seed);
	CLEANUP_ERASE(sym);
	CLEANUP_ERASE(hkey);
	CLEANUP_ERASE(plain);

	r = tss2_dl_load(); /* the seed and sensitive area are tss2-mu's */
	if (r < 0)
		return r;
	r = parent_check(parent, &sym_len);
	if (r < 0)
		return r;
	md = name_md(parent->nameAlg);
	seed_len = (size_t)EVP_MD_get_size(md);
	r = key_to_tpm(key, auth, &pub, &sens);
	if (r < 0)
		return r;
	r = object_name(&pub.publicArea, name, &name_len);
	if (r < 0)
		return r;
	r = parent->type == TPM2_ALG_ECC ? seed_ecc(parent, md, seed, seed_len, &sec)
					 : seed_rsa(parent, md, seed, seed_len, &sec);
	if (r < 0)
		return r;

	/* size || TPMT_SENSITIVE, no inner wrapper. */
	if (sym_Tss2_MU_TPMT_SENSITIVE_Marshal(&sens, plain + 2, sizeof(plain) - 2, &off) !=
	    TSS2_RC_SUCCESS)
		return TA_ERR_INTERNAL;
	plain[0] = (uint8_t)(off >> 8);
	plain[1] = (uint8_t)off;
	off += 2;
	if (2 + seed_len + off > sizeof(dup.buffer))
		return TA_ERR_INTERNAL;

	r = kdfa(md, seed, seed_len, "STORAGE", name, name_len, sym, sym_len);
	if (r < 0)
		return r;
	{
		static const uint8_t iv[16];
		_cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
		_cleanup_(EVP_CIPHER_freep) EVP_CIPHER *c = EVP_CIPHER_fetch(
			NULL, sym_len == 16 ? "AES-128-CFB" : sym_len == 24 ? "AES-192-CFB" : "AES-256-CFB",
			NULL);

		enc = dup.buffer + 2 + seed_len;
		if (!ctx || !c || EVP_EncryptInit_ex2(ctx, c, sym, iv, NULL) != 1 ||
		    EVP_EncryptUpdate(ctx, enc, &n, plain, (int)off) != 1 ||
		    EVP_EncryptFinal_ex(ctx, enc + n, &fin) != 1 || (size_t)(n + fin) != off) {
			ERR_clear_error();
			return TA_ERR_LIBCRYPTO;
		}
	}
	r = kdfa(md, seed, seed_len, "INTEGRITY", NULL, 0, hkey, seed_len);
	if (r < 0)
		return r;
	{
		uint8_t mac_in[sizeof(dup.buffer) + sizeof(name)];

		memcpy(mac_in, enc, off);
		memcpy(mac_in + off, name, name_len);
		if (!HMAC(md, hkey, (int)seed_len, mac_in, off + name_len, dup.buffer + 2, &hmac_len) ||
		    hmac_len != seed_len)
			return TA_ERR_LIBCRYPTO;
	}
	dup.buffer[0] = (uint8_t)(seed_len >> 8);
	dup.buffer[1] = (uint8_t)seed_len;
	dup.size = (UINT16)(2 + seed_len + off);

	*ret_pub = pub;
	*ret_dup = dup;
	*ret_seed = sec;
	return 0;
}

int tpm_parent_public_parse(const void *data, size_t len, TPMT_PUBLIC *ret, bool *ret_rsa)
{
	TPM2B_PUBLIC tp;
	size_t sym_len;

	/* A marshalled TPM2B_PUBLIC, to its last byte. */
	if (mu_public_from_bytes(data, len, &tp) == 0) {
		if (parent_check(&tp.publicArea, &sym_len) < 0)
			return TA_ERR_FORMAT;
		*ret = tp.publicArea;
		*ret_rsa = tp.publicArea.type == TPM2_ALG_RSA;
		return 0;
	}

	_cleanup_(BIO_freep) BIO *bio = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = NULL;
	int r;

	if (len > 65536)
		return TA_ERR_FORMAT;
	bio = BIO_new_mem_buf(data, (int)len);
	if (!bio)
		return TA_ERR_NOMEM;
	pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	ERR_clear_error();
	if (!pk)
		return TA_ERR_FORMAT;
	if (EVP_PKEY_is_a(pk, "EC")) {
		size_t c;

		r = ec_curve(pk, &c);
		if (r < 0 || curves[c].id != TPM2_ECC_NIST_P256)
			return TA_ERR_KEY_TYPE;
		tpm_srk_template(false, &tp);
		if ((r = bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, 32, tp.publicArea.unique.ecc.x.buffer)) < 0 ||
		    (r = bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, 32, tp.publicArea.unique.ecc.y.buffer)) < 0)
			return TA_ERR_FORMAT;
		tp.publicArea.unique.ecc.x.size = tp.publicArea.unique.ecc.y.size = 32;
	} else if (EVP_PKEY_is_a(pk, "RSA")) {
		_cleanup_(BN_clear_freep) BIGNUM *e = NULL;

		if (EVP_PKEY_get_bits(pk) != 2048 ||
		    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1 || !BN_is_word(e, 65537)) {
			ERR_clear_error();
			return TA_ERR_KEY_TYPE;
		}
		tpm_srk_template(true, &tp);
		r = bn_param(pk, OSSL_PKEY_PARAM_RSA_N, 256, tp.publicArea.unique.rsa.buffer);
		if (r < 0)
			return TA_ERR_FORMAT;
		tp.publicArea.unique.rsa.size = 256;
	} else {
		return TA_ERR_KEY_TYPE;
	}
	if (parent_check(&tp.publicArea, &sym_len) < 0)
		return TA_ERR_FORMAT;
	*ret = tp.publicArea;
	*ret_rsa = tp.publicArea.type == TPM2_ALG_RSA;
	return 0;
}

struct import_args {
	const struct tpm_keyfile *k; /* parent, rsa_parent; the wrapping when key is NULL */
	EVP_PKEY *key;
	const char *auth;
	TPM2B_PUBLIC *out_pub;
	TPM2B_PRIVATE *out_priv;
};

static int import_op(struct tpm *t, void *arg)
{
	struct import_args *a = arg;
	_cleanup_(tpm_obj_release) struct tpm_obj p = { .t = t, .h = ESYS_TR_NONE };
	_cleanup_(tpm_esys_freep) TPM2B_PRIVATE *out = NULL;
	TPMT_SYM_DEF_OBJECT sym = { .algorithm = TPM2_ALG_NULL };
	TPM2B_DATA enc_key = { 0 };
	TPM2B_PUBLIC pub = a->k->pub;
	TPM2B_PRIVATE dup = a->k->priv;
	TPM2B_ENCRYPTED_SECRET seed = a->k->secret;
	TSS2_RC rc;
	int r;
	CLEANUP_ERASE(dup);

	r = tpm_parent_open(t, a->k->parent, a->k->rsa_parent, true, &p);
	if (r < 0)
		return r;
	if (a->key) {
		_cleanup_(tpm_esys_freep) TPM2B_PUBLIC *pp = NULL;

		rc = sym_Esys_ReadPublic(t->esys, p.h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pp,
				     NULL, NULL);
		r = tpm_rc(rc, "Esys_ReadPublic(parent)", 0);
		if (r < 0)
			return r;
		r = tpm_wrap_key(a->key, a->auth, &pp->publicArea, &pub, &dup, &seed);
		if (r < 0)
			return r;
	}
	rc = sym_Esys_Import(t->esys, p.h, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &enc_key, &pub,
			 &dup, &seed, &sym, &out);
	r = tpm_rc(rc, "Esys_Import", TPM_RC_IMPORT);
	if (r < 0)
		return r;
	*a->out_pub = pub;
	*a->out_priv = *out;
	return 0;
}

static int import_run(struct tpm *t, const struct tpm_keyfile *k, EVP_PKEY *key, const char *auth,
		      struct tpm_keyfile **ret)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *nk = NULL;
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	struct import_args a = { .k = k, .key = key, .auth = auth, .out_pub = &pub, .out_priv = &priv };
	int r;

	r = tpm_run(t, import_op, &a);
	if (r < 0)
		return r;
	r = keyfile_dup(k, &nk);
	if (r < 0)
		return r;
	nk->importable = false;
	nk->secret = (TPM2B_ENCRYPTED_SECRET){ 0 };
	nk->pub = pub;
	nk->priv = priv;
	if (key)
		nk->empty_auth = !auth || !*auth;
	*ret = TAKE_PTR(nk);
	return 0;
}

int tpm_import_key(struct tpm *t, struct evp_pkey_st *key, const char *auth, uint32_t parent,
		   struct tpm_keyfile **ret)
{
	struct tpm_keyfile k = { .parent = parent ? parent : TA_RH_OWNER };

	return import_run(t, &k, key, auth, ret);
}

int tpm_import_keyfile(struct tpm *t, const struct tpm_keyfile *k, struct tpm_keyfile **ret)
{
	if (!k->importable)
		return TA_ERR_INVALID_ARGUMENT;
	/* The TPM's rule (TPM2_Import): a duplicable object only. */
	if (k->pub.publicArea.objectAttributes & (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT))
		return TA_ERR_KEYFILE_PUBLIC;
	return import_run(t, k, NULL, NULL, ret);
}
