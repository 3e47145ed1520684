/* SPDX-License-Identifier: MIT */
/* tpm-mu.c - TPM2B_PUBLIC (RSA, ECC) and TPM2B wire format.  The union
 * selectors follow tss2-mu 3.2.1 (src/tss2-mu/tpmu-types.c), so a key file
 * reads the same here as through Tss2_MU_TPM2B_PUBLIC_Unmarshal; the
 * fuzz-mu target checks that on every input. */
#include <string.h>

#include "err.h"
#include "tpm-mu.h"

int mu_get_tpm2b(struct buf *b, uint8_t *dst, size_t cap, uint16_t *ret_size)
{
	uint16_t n;
	int r;

	*ret_size = 0;
	r = buf_get_u16(b, &n);
	if (r < 0)
		return r;
	if (n > cap)
		return TA_ERR_FORMAT;
	r = buf_get(b, dst, n);
	if (r < 0)
		return r;
	*ret_size = n;
	return 0;
}

int mu_put_tpm2b(struct buf *b, const uint8_t *src, uint16_t size)
{
	int r = buf_put_u16(b, size);

	return r < 0 ? r : buf_put(b, src, size);
}

/* TPMT_SYM_DEF_OBJECT: TPMU_SYM_KEY_BITS and TPMU_SYM_MODE. */
static int get_sym(struct buf *b, TPMT_SYM_DEF_OBJECT *s)
{
	int r = buf_get_u16(b, &s->algorithm);

	if (r < 0)
		return r;
	switch (s->algorithm) {
	case TPM2_ALG_NULL:
		return 0;
	case TPM2_ALG_AES:
	case TPM2_ALG_SM4:
	case TPM2_ALG_CAMELLIA:
	case TPM2_ALG_SYMCIPHER:
		r = buf_get_u16(b, &s->keyBits.sym);
		return r < 0 ? r : buf_get_u16(b, &s->mode.sym);
	case TPM2_ALG_XOR: /* a hash algorithm, no mode */
		return buf_get_u16(b, &s->keyBits.exclusiveOr);
	default:
		return TA_ERR_FORMAT;
	}
}

static int put_sym(struct buf *b, const TPMT_SYM_DEF_OBJECT *s)
{
	int r = buf_put_u16(b, s->algorithm);

	if (r < 0)
		return r;
	switch (s->algorithm) {
	case TPM2_ALG_NULL:
		return 0;
	case TPM2_ALG_AES:
	case TPM2_ALG_SM4:
	case TPM2_ALG_CAMELLIA:
	case TPM2_ALG_SYMCIPHER:
		r = buf_put_u16(b, s->keyBits.sym);
		return r < 0 ? r : buf_put_u16(b, s->mode.sym);
	case TPM2_ALG_XOR:
		return buf_put_u16(b, s->keyBits.exclusiveOr);
	default:
		return TA_ERR_FORMAT;
	}
}

/* TPMT_RSA_SCHEME and TPMT_ECC_SCHEME share TPMU_ASYM_SCHEME, whose
 * members all start with the hash (ECDAA adds a count). */
static int get_asym_scheme(struct buf *b, TPMI_ALG_ASYM_SCHEME *scheme, TPMU_ASYM_SCHEME *d)
{
	int r = buf_get_u16(b, scheme);

	if (r < 0)
		return r;
	switch (*scheme) {
	case TPM2_ALG_NULL:
	case TPM2_ALG_RSAES:
		return 0;
	case TPM2_ALG_ECDAA:
		r = buf_get_u16(b, &d->ecdaa.hashAlg);
		return r < 0 ? r : buf_get_u16(b, &d->ecdaa.count);
	case TPM2_ALG_ECDH:
	case TPM2_ALG_ECMQV:
	case TPM2_ALG_RSASSA:
	case TPM2_ALG_RSAPSS:
	case TPM2_ALG_ECDSA:
	case TPM2_ALG_SM2:
	case TPM2_ALG_ECSCHNORR:
	case TPM2_ALG_OAEP:
		return buf_get_u16(b, &d->anySig.hashAlg);
	default:
		return TA_ERR_FORMAT;
	}
}

static int put_asym_scheme(struct buf *b, TPMI_ALG_ASYM_SCHEME scheme, const TPMU_ASYM_SCHEME *d)
{
	int r = buf_put_u16(b, scheme);

	if (r < 0)
		return r;
	switch (scheme) {
	case TPM2_ALG_NULL:
	case TPM2_ALG_RSAES:
		return 0;
	case TPM2_ALG_ECDAA:
		r = buf_put_u16(b, d->ecdaa.hashAlg);
		return r < 0 ? r : buf_put_u16(b, d->ecdaa.count);
	case TPM2_ALG_ECDH:
	case TPM2_ALG_ECMQV:
	case TPM2_ALG_RSASSA:
	case TPM2_ALG_RSAPSS:
	case TPM2_ALG_ECDSA:
	case TPM2_ALG_SM2:
	case TPM2_ALG_ECSCHNORR:
	case TPM2_ALG_OAEP:
		return buf_put_u16(b, d->anySig.hashAlg);
	default:
		return TA_ERR_FORMAT;
	}
}

/* TPMT_KDF_SCHEME (tss2-mu 3.2 knows no KDF2 here). */
static bool kdf_has_hash(TPMI_ALG_KDF k, bool *ok)
{
	*ok = true;
	switch (k) {
	case TPM2_ALG_NULL:
		return false;
	case TPM2_ALG_MGF1:
	case TPM2_ALG_KDF1_SP800_56A:
	case TPM2_ALG_KDF1_SP800_108:
		return true;
	default:
		*ok = false;
		return false;
	}
}

static int get_tpmt_public(struct buf *b, TPMT_PUBLIC *p)
{
	bool ok;
	int r;

	if ((r = buf_get_u16(b, &p->type)) < 0 || (r = buf_get_u16(b, &p->nameAlg)) < 0 ||
	    (r = buf_get_u32(b, &p->objectAttributes)) < 0 ||
	    (r = mu_get_tpm2b(b, p->authPolicy.buffer, sizeof(p->authPolicy.buffer),
			      &p->authPolicy.size)) < 0)
		return r;
	switch (p->type) {
	case TPM2_ALG_RSA: {
		TPMS_RSA_PARMS *d = &p->parameters.rsaDetail;

		if ((r = get_sym(b, &d->symmetric)) < 0 ||
		    (r = get_asym_scheme(b, &d->scheme.scheme, &d->scheme.details)) < 0 ||
		    (r = buf_get_u16(b, &d->keyBits)) < 0 || (r = buf_get_u32(b, &d->exponent)) < 0)
			return r;
		return mu_get_tpm2b(b, p->unique.rsa.buffer, sizeof(p->unique.rsa.buffer),
				    &p->unique.rsa.size);
	}
	case TPM2_ALG_ECC: {
		TPMS_ECC_PARMS *d = &p->parameters.eccDetail;

		if ((r = get_sym(b, &d->symmetric)) < 0 ||
		    (r = get_asym_scheme(b, &d->scheme.scheme, &d->scheme.details)) < 0 ||
		    (r = buf_get_u16(b, &d->curveID)) < 0 || (r = buf_get_u16(b, &d->kdf.scheme)) < 0)
			return r;
		if (kdf_has_hash(d->kdf.scheme, &ok) &&
		    (r = buf_get_u16(b, &d->kdf.details.mgf1.hashAlg)) < 0)
			return r;
		if (!ok)
			return TA_ERR_FORMAT;
		if ((r = mu_get_tpm2b(b, p->unique.ecc.x.buffer, sizeof(p->unique.ecc.x.buffer),
				      &p->unique.ecc.x.size)) < 0)
			return r;
		return mu_get_tpm2b(b, p->unique.ecc.y.buffer, sizeof(p->unique.ecc.y.buffer),
				    &p->unique.ecc.y.size);
	}
	default:
		return TA_ERR_FORMAT;
	}
}

int mu_put_tpmt_public(struct buf *b, const TPMT_PUBLIC *p)
{
	bool ok;
	int r;

	if ((r = buf_put_u16(b, p->type)) < 0 || (r = buf_put_u16(b, p->nameAlg)) < 0 ||
	    (r = buf_put_u32(b, p->objectAttributes)) < 0)
		return r;
	if (p->authPolicy.size > sizeof(p->authPolicy.buffer))
		return TA_ERR_FORMAT;
	if ((r = mu_put_tpm2b(b, p->authPolicy.buffer, p->authPolicy.size)) < 0)
		return r;
	switch (p->type) {
	case TPM2_ALG_RSA: {
		const TPMS_RSA_PARMS *d = &p->parameters.rsaDetail;

		if ((r = put_sym(b, &d->symmetric)) < 0 ||
		    (r = put_asym_scheme(b, d->scheme.scheme, &d->scheme.details)) < 0 ||
		    (r = buf_put_u16(b, d->keyBits)) < 0 || (r = buf_put_u32(b, d->exponent)) < 0)
			return r;
		if (p->unique.rsa.size > sizeof(p->unique.rsa.buffer))
			return TA_ERR_FORMAT;
		return mu_put_tpm2b(b, p->unique.rsa.buffer, p->unique.rsa.size);
	}
	case TPM2_ALG_ECC: {
		const TPMS_ECC_PARMS *d = &p->parameters.eccDetail;

		if ((r = put_sym(b, &d->symmetric)) < 0 ||
		    (r = put_asym_scheme(b, d->scheme.scheme, &d->scheme.details)) < 0 ||
		    (r = buf_put_u16(b, d->curveID)) < 0 || (r = buf_put_u16(b, d->kdf.scheme)) < 0)
			return r;
		if (kdf_has_hash(d->kdf.scheme, &ok) &&
		    (r = buf_put_u16(b, d->kdf.details.mgf1.hashAlg)) < 0)
			return r;
		if (!ok || p->unique.ecc.x.size > sizeof(p->unique.ecc.x.buffer) ||
		    p->unique.ecc.y.size > sizeof(p->unique.ecc.y.buffer))
			return TA_ERR_FORMAT;
		if ((r = mu_put_tpm2b(b, p->unique.ecc.x.buffer, p->unique.ecc.x.size)) < 0)
			return r;
		return mu_put_tpm2b(b, p->unique.ecc.y.buffer, p->unique.ecc.y.size);
	}
	default:
		return TA_ERR_FORMAT;
	}
}

int mu_get_public(struct buf *b, TPM2B_PUBLIC *ret)
{
	_cleanup_(buf_freep) struct buf *view = NULL, *area = NULL;
	TPM2B_PUBLIC pub = { 0 };
	uint16_t size;
	int r;

	memset(ret, 0, sizeof(*ret));
	/* Read through a view, so that b moves only on success. */
	view = buf_from(buf_ptr(b), buf_len(b));
	if (!view)
		return TA_ERR_NOMEM;
	r = buf_get_u16(view, &size);
	if (r < 0)
		return r;
	if (size > buf_len(view))
		return TA_ERR_INCOMPLETE;
	area = buf_from(buf_ptr(view), size);
	if (!area)
		return TA_ERR_NOMEM;
	r = get_tpmt_public(area, &pub.publicArea);
	if (r < 0)
		return r == TA_ERR_INCOMPLETE ? TA_ERR_FORMAT : r;
	if (buf_len(area) != 0)
		return TA_ERR_TRAILING;
	pub.size = size;
	r = buf_consume(b, 2 + (size_t)size);
	if (r < 0)
		return r;
	*ret = pub;
	return 0;
}

int mu_put_public(struct buf *b, const TPM2B_PUBLIC *pub)
{
	_cleanup_(buf_freep) struct buf *area = buf_new(sizeof(TPMT_PUBLIC) + 64);
	int r;

	if (!area)
		return TA_ERR_NOMEM;
	r = mu_put_tpmt_public(area, &pub->publicArea);
	if (r < 0)
		return r;
	if (buf_len(area) > UINT16_MAX)
		return TA_ERR_TOO_LARGE;
	r = buf_put_u16(b, (uint16_t)buf_len(area));
	return r < 0 ? r : buf_put(b, buf_ptr(area), buf_len(area));
}

int mu_public_from_bytes(const uint8_t *data, size_t len, TPM2B_PUBLIC *ret)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(data, len);
	TPM2B_PUBLIC pub;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!b)
		return TA_ERR_NOMEM;
	r = mu_get_public(b, &pub);
	if (r < 0)
		return r;
	if (buf_len(b) != 0)
		return TA_ERR_TRAILING;
	*ret = pub;
	return 0;
}

int mu_public_to_bytes(const TPM2B_PUBLIC *pub, uint8_t *out, size_t cap, size_t *ret_len)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(cap);
	int r;

	if (!b)
		return TA_ERR_NOMEM;
	r = mu_put_public(b, pub);
	if (r < 0)
		return r;
	memcpy(out, buf_ptr(b), buf_len(b));
	*ret_len = buf_len(b);
	return 0;
}
