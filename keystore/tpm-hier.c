/* SPDX-License-Identifier: MIT */
/* tpm-hier.c - hierarchy keys (--hierarchy): the signing primary a
 * hierarchy derives from its seed and a fixed template, the same on every
 * CreatePrimary until the seed changes (owner: TPM2_Clear; null: every TPM
 * reset; endorsement: practically never).  The templates are the Go
 * ssh-tpm-agent's byte for byte (ECC P-256 and RSA-2048, sign|decrypt,
 * the EK profile's PolicyB as authPolicy), so that both tools give the
 * same public keys on the same TPM.  A process that signs with one loads
 * it from a saved context when it can (ContextLoad), else derives it
 * again; either way the public area the TPM reports must be the one
 * expected. */
#include <string.h>

#include <openssl/crypto.h>
#include <tss2/tss2_esys.h>

#include "err.h"
#include "log.h"
#include "tpm-internal.h"
#include "tpm-mu.h"

/* TCG EK Credential Profile 2.4, PolicyB (SHA-256): PolicySecret(endorsement). */
static const uint8_t policy_b_sha256[32] = {
	0xca, 0x3d, 0x0a, 0x99, 0xa2, 0xb9, 0x39, 0x06, 0xf7, 0xa3, 0x34, 0x24, 0x14, 0xef, 0xcf, 0xb3,
	0xa3, 0x85, 0xd4, 0x4c, 0xd1, 0xfd, 0x45, 0x90, 0x89, 0xd1, 0x9b, 0x50, 0x71, 0xc0, 0xb7, 0xa0,
};

void tpm_hier_template(bool rsa, TPM2B_PUBLIC *tp)
{
	TPMT_PUBLIC *p = &tp->publicArea;

	memset(tp, 0, sizeof(*tp));
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_DECRYPT; /* 0x00060072 */
	p->authPolicy.size = sizeof(policy_b_sha256);
	memcpy(p->authPolicy.buffer, policy_b_sha256, sizeof(policy_b_sha256));
	if (rsa) {
		p->type = TPM2_ALG_RSA;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.rsaDetail.keyBits = 2048;
		p->parameters.rsaDetail.exponent = 0;
	} else {
		p->type = TPM2_ALG_ECC;
		p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	}
}

static bool public_equal(const TPM2B_PUBLIC *a, const TPM2B_PUBLIC *b)
{
	uint8_t ma[sizeof(TPM2B_PUBLIC)], mb[sizeof(TPM2B_PUBLIC)];
	size_t la = 0, lb = 0;

	return mu_public_to_bytes(a, ma, sizeof(ma), &la) == 0 &&
	       mu_public_to_bytes(b, mb, sizeof(mb), &lb) == 0 && la == lb && memcmp(ma, mb, la) == 0;
}

/* CreatePrimary of the template under the hierarchy (its auth: the owner
 * password for the owner, else empty). */
static int hier_create(struct tpm *t, uint32_t hierarchy, bool rsa, ESYS_TR *ret_h,
		       TPM2B_PUBLIC **ret_pub)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	_cleanup_(tpm_obj_release) struct tpm_obj s = { .t = t, .h = ESYS_TR_NONE };
	TPM2B_PUBLIC tmpl;
	ESYS_TR hier = tpm_hierarchy_tr(hierarchy), auth = ESYS_TR_PASSWORD;
	TSS2_RC rc;

	if (hier == ESYS_TR_NONE)
		return TA_ERR_INVALID_ARGUMENT;
	if (hier == ESYS_TR_RH_OWNER) {
		int r = tpm_owner_session(t, &s, &auth);

		if (r < 0)
			return r;
	}
	tpm_hier_template(rsa, &tmpl);
	rc = sym_Esys_CreatePrimary(t->esys, hier, auth, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
				    &outside, &pcrs, ret_h, ret_pub, NULL, NULL, NULL);
	tpm_session_end(&s, rc);
	return tpm_rc(rc, "Esys_CreatePrimary(hierarchy key)",
		      hier == ESYS_TR_RH_OWNER ? TPM_RC_OWNER : 0);
}

struct hier_args {
	uint32_t hierarchy;
	bool rsa;
	struct tpm_keyfile *k;
};

static int hier_key_op(struct tpm *t, void *arg)
{
	struct hier_args *a = arg;
	_cleanup_(tpm_esys_freep) TPM2B_PUBLIC *pub = NULL;
	_cleanup_(tpm_esys_freep) TPMS_CONTEXT *ctx = NULL;
	_cleanup_(tpm_obj_release) struct tpm_obj o = { .t = t, .h = ESYS_TR_NONE, .transient = true };
	uint8_t buf[sizeof(TPMS_CONTEXT)];
	size_t off = 0;
	int r;

	r = hier_create(t, a->hierarchy, a->rsa, &o.h, &pub);
	if (r < 0)
		return r;
	a->k->pub = *pub;
	/* A saved context lets the next process skip the derivation (an RSA
	 * primary takes seconds on some TPMs); none is no error. */
	if (sym_Esys_ContextSave(t->esys, o.h, &ctx) == TSS2_RC_SUCCESS &&
	    sym_Tss2_MU_TPMS_CONTEXT_Marshal(ctx, buf, sizeof(buf), &off) == TSS2_RC_SUCCESS) {
		a->k->ctx = malloc(off);
		if (a->k->ctx) {
			memcpy(a->k->ctx, buf, off);
			a->k->ctx_len = off;
		}
	}
	return 0;
}

int tpm_hier_key(struct tpm *t, uint32_t hierarchy, bool rsa, struct tpm_keyfile **ret)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = calloc(1, sizeof(*k));
	struct hier_args a = { .hierarchy = hierarchy, .rsa = rsa, .k = k };
	int r;

	if (!k)
		return TA_ERR_NOMEM;
	k->hierarchy = true;
	k->parent = hierarchy;
	k->empty_auth = true;
	r = tpm_run(t, hier_key_op, &a);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(k);
	return 0;
}

/* From its saved context when that still loads and is the key expected,
 * else derived again (and checked the same way). */
int tpm_hier_load(struct tpm *t, const struct tpm_keyfile *k, struct tpm_obj *key)
{
	_cleanup_(tpm_esys_freep) TPM2B_PUBLIC *pub = NULL;
	bool rsa = k->pub.publicArea.type == TPM2_ALG_RSA;
	int r;

	if (k->ctx_len) {
		TPMS_CONTEXT ctx;
		size_t off = 0;

		if (sym_Tss2_MU_TPMS_CONTEXT_Unmarshal(k->ctx, k->ctx_len, &off, &ctx) == TSS2_RC_SUCCESS &&
		    off == k->ctx_len &&
		    sym_Esys_ContextLoad(t->esys, &ctx, &key->h) == TSS2_RC_SUCCESS) {
			/* The public area as the TPM has it, not ESYS's copy. */
			if (sym_Esys_ReadPublic(t->esys, key->h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					    &pub, NULL, NULL) == TSS2_RC_SUCCESS &&
			    public_equal(pub, &k->pub))
				return 0;
			log_debug("the saved context of the hierarchy key is another key: derived again");
		} else {
			log_debug("the saved context of the hierarchy key does not load (TPM reset or cleared): derived again");
		}
		sym_Esys_Free(TAKE_PTR(pub));
		tpm_obj_release(key);
		key->h = ESYS_TR_NONE;
	}
	r = hier_create(t, k->parent, rsa, &key->h, &pub);
	if (r < 0) {
		key->h = ESYS_TR_NONE;
		return r;
	}
	if (!public_equal(pub, &k->pub)) {
		/* The seed changed since the listing. */
		log_debug("the hierarchy key is not the listed one any more");
		return TA_ERR_KEY_NOT_FOUND;
	}
	return 0;
}

int tpm_read_clock(struct tpm *t, struct tpm_clock *ret)
{
	_cleanup_(tpm_esys_freep) TPMS_TIME_INFO *ti = NULL;
	TSS2_RC rc;
	int r;

	rc = sym_Esys_ReadClock(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ti);
	r = tpm_rc(rc, "Esys_ReadClock", 0);
	if (r < 0)
		return r;
	*ret = (struct tpm_clock){ .reset = ti->clockInfo.resetCount,
				   .restart = ti->clockInfo.restartCount,
				   .clock = ti->clockInfo.clock };
	return 0;
}
