/* SPDX-License-Identifier: MIT */
/* pubkey.c - TPM2B_PUBLIC -> SSH public key. */
#include "pubkey.h"

#include "buf.h"
#include "err.h"

int tpm_public_type(const TPM2B_PUBLIC *pub, enum sshkey_type *ret_type,
		    unsigned *ret_bits)
{
	const TPMT_PUBLIC *p = &pub->publicArea;

	switch (p->type) {
	case TPM2_ALG_ECC:
		switch (p->parameters.eccDetail.curveID) {
		case TPM2_ECC_NIST_P256:
			*ret_type = SSHKEY_ECDSA_P256;
			*ret_bits = 256;
			return 0;
		case TPM2_ECC_NIST_P384:
			*ret_type = SSHKEY_ECDSA_P384;
			*ret_bits = 384;
			return 0;
		case TPM2_ECC_NIST_P521:
			*ret_type = SSHKEY_ECDSA_P521;
			*ret_bits = 521;
			return 0;
		default:
			return TA_ERR_KEY_TYPE;
		}
	case TPM2_ALG_RSA:
		*ret_type = SSHKEY_RSA;
		*ret_bits = p->parameters.rsaDetail.keyBits;
		return 0;
	default:
		return TA_ERR_KEY_TYPE;
	}
}

int tpm_public_to_sshkey(const TPM2B_PUBLIC *pub, struct sshkey **ret)
{
	const TPMT_PUBLIC *p = &pub->publicArea;
	_cleanup_(buf_freep) struct buf *e = NULL;
	enum sshkey_type type;
	unsigned bits;
	uint32_t exp;
	int r;

	*ret = NULL;
	r = tpm_public_type(pub, &type, &bits);
	if (r < 0)
		return r;
	if (type != SSHKEY_RSA)
		return sshkey_new_ecdsa(type, p->unique.ecc.x.buffer,
					p->unique.ecc.x.size,
					p->unique.ecc.y.buffer,
					p->unique.ecc.y.size, ret);
	/* An exponent of 0 means the default, 65537. */
	exp = p->parameters.rsaDetail.exponent ? p->parameters.rsaDetail.exponent
					       : 65537;
	if (p->unique.rsa.size == 0 || p->unique.rsa.size * 8U != bits)
		return TA_ERR_KEYFILE_PUBLIC;
	/* The exponent as a big-endian magnitude (leading zeros are
	 * stripped by sshkey_new_rsa). */
	e = buf_new(4);
	if (!e)
		return TA_ERR_NOMEM;
	r = buf_put_u32(e, exp);
	if (r < 0)
		return r;
	return sshkey_new_rsa(buf_ptr(e), buf_len(e), p->unique.rsa.buffer,
			      p->unique.rsa.size, ret);
}

size_t tpm_auth_max(const TPM2B_PUBLIC *pub)
{
	/* An object's authValue may be at most as long as a digest of its
	 * name algorithm (TPM 2.0 Part 1, "authValue"). */
	switch (pub->publicArea.nameAlg) {
	case TPM2_ALG_SHA1:
		return 20;
	case TPM2_ALG_SHA384:
		return 48;
	case TPM2_ALG_SHA512:
		return 64;
	default:
		return 32; /* SHA-256, SM3-256 */
	}
}
