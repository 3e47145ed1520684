/* SPDX-License-Identifier: MIT */
/* tpm-key.c - TPM key operations: the parent (SRK from the TCG template,
 * or a persistent handle), key creation, load, sign and change of auth.
 * Everything loaded is flushed on every path. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <tss2/tss2_esys.h>

#include "err.h"
#include "log.h"
#include "pubkey.h"
#include "sshkey.h"
#include "tpm-internal.h"
#include "tpm-mu.h"

/* The storage-key template for permanent parents: the TCG "H" templates,
 * ECC P-256 (EK Credential Profile H-2) or RSA-2048 (H-1), with an EMPTY
 * unique field.  Keys made by tpm2-openssl and the Go tool load only under
 * exactly this template (DESIGN.md, "TPM facts"). */
void tpm_srk_template(bool rsa, TPM2B_PUBLIC *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->publicArea.nameAlg = TPM2_ALG_SHA256;
	tp->publicArea.objectAttributes =
		TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
		TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
		TPMA_OBJECT_NODA;
	if (rsa) {
		TPMS_RSA_PARMS *p = &tp->publicArea.parameters.rsaDetail;

		tp->publicArea.type = TPM2_ALG_RSA;
		p->symmetric.algorithm = TPM2_ALG_AES;
		p->symmetric.keyBits.aes = 128;
		p->symmetric.mode.aes = TPM2_ALG_CFB;
		p->scheme.scheme = TPM2_ALG_NULL;
		p->keyBits = 2048;
		p->exponent = 0;
	} else {
		TPMS_ECC_PARMS *p = &tp->publicArea.parameters.eccDetail;

		tp->publicArea.type = TPM2_ALG_ECC;
		p->symmetric.algorithm = TPM2_ALG_AES;
		p->symmetric.keyBits.aes = 128;
		p->symmetric.mode.aes = TPM2_ALG_CFB;
		p->scheme.scheme = TPM2_ALG_NULL;
		p->curveID = TPM2_ECC_NIST_P256;
		p->kdf.scheme = TPM2_ALG_NULL;
	}
}

ESYS_TR tpm_hierarchy_tr(uint32_t h)
{
	switch (h) {
	case TA_RH_OWNER:
		return ESYS_TR_RH_OWNER;
	case TA_RH_ENDORSEMENT:
		return ESYS_TR_RH_ENDORSEMENT;
	case TA_RH_PLATFORM:
		return ESYS_TR_RH_PLATFORM;
	case TA_RH_NULL:
		return ESYS_TR_RH_NULL;
	default:
		return ESYS_TR_NONE;
	}
}


/* TPMT_PUBLIC, marshalled; the unique field emptied when asked. */
static int public_bytes(const TPMT_PUBLIC *in, bool no_unique, uint8_t *out, size_t *len)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(*len);
	TPMT_PUBLIC p = *in;

	if (no_unique) {
		if (p.type == TPM2_ALG_ECC) {
			p.unique.ecc.x.size = 0;
			p.unique.ecc.y.size = 0;
		} else {
			p.unique.rsa.size = 0;
		}
	}
	if (!b)
		return TA_ERR_NOMEM;
	if (mu_put_tpmt_public(b, &p) < 0)
		return TA_ERR_INTERNAL;
	memcpy(out, buf_ptr(b), buf_len(b));
	*len = buf_len(b);
	return 0;
}

bool tpm_public_is_srk_template(const TPMT_PUBLIC *p, bool rsa)
{
	uint8_t have[sizeof(TPMT_PUBLIC)], want[sizeof(TPMT_PUBLIC)];
	size_t have_len = sizeof(have), want_len = sizeof(want);
	TPM2B_PUBLIC tmpl;

	tpm_srk_template(rsa, &tmpl);
	return public_bytes(p, true, have, &have_len) == 0 &&
	       public_bytes(&tmpl.publicArea, true, want, &want_len) == 0 && have_len == want_len &&
	       memcmp(have, want, have_len) == 0;
}

/* A persistent SRK at 0x81000001 that is the very key CreatePrimary of
 * our template would make (its public area, unique aside, is the template
 * byte for byte, and its name is that public area's): used instead, one
 * TPM command less per signature.  Anything else there is left alone. */
static bool persistent_srk(struct tpm *t, bool rsa, ESYS_TR *ret)
{
	_cleanup_(tpm_esys_freep) TPM2B_PUBLIC *pub = NULL;
	_cleanup_(tpm_esys_freep) TPM2B_NAME *name = NULL;
	_cleanup_(tpm_esys_freep) TPM2B_NAME *qname = NULL;
	uint8_t have[sizeof(TPMT_PUBLIC)], md[32];
	size_t full_len = sizeof(have);
	ESYS_TR h = ESYS_TR_NONE;
	bool ok;

	if (sym_Esys_TR_FromTPMPublic(t->esys, TA_SRK_HANDLE, ESYS_TR_NONE, ESYS_TR_NONE,
				  ESYS_TR_NONE, &h) != TSS2_RC_SUCCESS)
		return false; /* none there (TPM_RC_HANDLE) */
	ok = sym_Esys_ReadPublic(t->esys, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name,
			     &qname) == TSS2_RC_SUCCESS &&
	     tpm_public_is_srk_template(&pub->publicArea, rsa) &&
	     public_bytes(&pub->publicArea, false, have, &full_len) == 0 &&
	     ta_hash_digest(TA_HASH_SHA256, have, full_len, md) == 0 && name->size == 34 &&
	     name->name[0] == 0x00 && name->name[1] == 0x0b && memcmp(name->name + 2, md, 32) == 0;
	if (!ok) {
		log_debug("0x%08x holds a key that is not the %s SRK: not used", TA_SRK_HANDLE,
			  rsa ? "RSA" : "ECC");
		sym_Esys_TR_Close(t->esys, &h);
		return false;
	}
	*ret = h;
	return true;
}

/* persistent: a matching persistent SRK may stand in for the owner
 * primary (loading keys; a new key is always made under CreatePrimary's,
 * the parent every later load can rebuild). */
int tpm_parent_open(struct tpm *t, uint32_t parent, bool rsa, bool persistent,
			   struct tpm_obj *ret)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	_cleanup_(tpm_obj_release) struct tpm_obj s = { .t = t, .h = ESYS_TR_NONE };
	TPM2B_PUBLIC tmpl;
	ESYS_TR hier = tpm_hierarchy_tr(parent), h = ESYS_TR_NONE, auth = ESYS_TR_PASSWORD;
	TSS2_RC rc;

	if ((parent >> 24) == 0x81) {
		rc = sym_Esys_TR_FromTPMPublic(t->esys, parent, ESYS_TR_NONE,
					   ESYS_TR_NONE, ESYS_TR_NONE, &h);
		if (rc != TSS2_RC_SUCCESS)
			return tpm_rc(rc, "Esys_TR_FromTPMPublic(parent)", 0);
		*ret = (struct tpm_obj){ .t = t, .h = h, .transient = false };
		return 0;
	}
	if (hier == ESYS_TR_NONE)
		return TA_ERR_KEYFILE_PARENT;
	if (hier == ESYS_TR_RH_OWNER && persistent && persistent_srk(t, rsa, &h)) {
		*ret = (struct tpm_obj){ .t = t, .h = h, .transient = false };
		return 0;
	}
	if (hier == ESYS_TR_RH_OWNER) {
		int r = tpm_owner_session(t, &s, &auth);

		if (r < 0)
			return r;
	}
	tpm_srk_template(rsa, &tmpl);
	rc = sym_Esys_CreatePrimary(t->esys, hier, auth, ESYS_TR_NONE,
				ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs,
				&h, NULL, NULL, NULL, NULL);
	tpm_session_end(&s, rc);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_rc(rc, "Esys_CreatePrimary(parent)",
			      hier == ESYS_TR_RH_OWNER ? TPM_RC_OWNER : 0);
	if (hier == ESYS_TR_RH_OWNER)
		t->owner_auth_checked = true;
	*ret = (struct tpm_obj){ .t = t, .h = h, .transient = true };
	return 0;
}

static int key_parms(enum sshkey_type type, unsigned bits,
		     TPMT_PUBLIC_PARMS *ret_parms)
{
	TPMT_PUBLIC_PARMS p = { 0 }, *ret = &p;

	switch (type) {
	case SSHKEY_ECDSA_P256:
	case SSHKEY_ECDSA_P384:
	case SSHKEY_ECDSA_P521:
		ret->type = TPM2_ALG_ECC;
		ret->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		ret->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		ret->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		ret->parameters.eccDetail.curveID =
			type == SSHKEY_ECDSA_P256   ? TPM2_ECC_NIST_P256
			: type == SSHKEY_ECDSA_P384 ? TPM2_ECC_NIST_P384
						    : TPM2_ECC_NIST_P521;
		*ret_parms = p;
		return 0;
	case SSHKEY_RSA:
		if (bits < 1024 || bits > SSHKEY_MAX_RSA_BITS || bits % 8)
			return TA_ERR_TPM_UNSUPPORTED_ALG;
		ret->type = TPM2_ALG_RSA;
		ret->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		ret->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		ret->parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)bits;
		ret->parameters.rsaDetail.exponent = 0;
		*ret_parms = p;
		return 0;
	}
	return TA_ERR_KEY_TYPE;
}

int tpm_test_key_params(struct tpm *t, enum sshkey_type type, unsigned bits)
{
	TPMT_PUBLIC_PARMS parms;
	TSS2_RC rc;
	int r;

	r = key_parms(type, bits, &parms);
	if (r < 0)
		return r;
	rc = sym_Esys_TestParms(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
			    &parms);
	return tpm_rc(rc, "Esys_TestParms", TPM_RC_PARAMS);
}

struct create_args {
	const TPM2B_SENSITIVE_CREATE *sens;
	TPM2B_PUBLIC *in;
	uint32_t parent;
	const struct tpm_pcrs *pcrs; /* or NULL */
	struct tpm_keyfile *k;       /* gets the policy steps */
	TPM2B_PRIVATE *out_priv;
	TPM2B_PUBLIC *out_pub;
};

static int create_op(struct tpm *t, void *arg)
{
	struct create_args *a = arg;
	_cleanup_(tpm_esys_freep) TPM2B_PRIVATE *out_priv = NULL;
	_cleanup_(tpm_esys_freep) TPM2B_PUBLIC *out_pub = NULL;
	_cleanup_(tpm_obj_release) struct tpm_obj p = { .t = t, .h = ESYS_TR_NONE };
	_cleanup_(tpm_obj_release) struct tpm_obj s = { .t = t, .h = ESYS_TR_NONE };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TSS2_RC rc;
	int r;

	if (a->pcrs) {
		/* A key sealed to the PCRs' values now: only a policy
		 * session that proves them (and the PIN, if any) signs. */
		free(a->k->policy);
		a->k->policy = NULL;
		a->k->policy_len = a->k->n_policy = 0;
		r = tpm_pcr_policy(t, a->pcrs, a->sens->sensitive.userAuth.size > 0,
				   &a->in->publicArea.authPolicy, a->k);
		if (r < 0)
			return r;
		a->in->publicArea.objectAttributes &= ~TPMA_OBJECT_USERWITHAUTH;
	}
	r = tpm_parent_open(t, a->parent, false, false, &p);
	if (r < 0)
		return r;
	/* The new PIN is in the sensitive area, Create's first parameter:
	 * encrypted in a session salted to the parent. */
	if (a->sens->sensitive.userAuth.size > 0) {
		r = tpm_session_start(t, p.h, &s);
		if (r < 0)
			return r;
	}
	rc = sym_Esys_Create(t->esys, p.h, s.h != ESYS_TR_NONE ? s.h : ESYS_TR_PASSWORD,
			     ESYS_TR_NONE, ESYS_TR_NONE, a->sens, a->in, &outside, &pcrs, &out_priv,
			     &out_pub, NULL, NULL, NULL);
	tpm_session_end(&s, rc);
	tpm_obj_release(&p);
	r = tpm_rc(rc, "Esys_Create", 0);
	if (r < 0)
		return r;
	*a->out_priv = *out_priv;
	*a->out_pub = *out_pub;
	return 0;
}

int tpm_create_key(struct tpm *t, enum sshkey_type type, unsigned bits,
		   const char *auth, uint32_t parent, struct tpm_keyfile **ret)
{
	return tpm_create_key_pcrs(t, type, bits, auth, parent, NULL, 0, ret);
}

int tpm_create_key_pcrs(struct tpm *t, enum sshkey_type type, unsigned bits, const char *auth,
			uint32_t parent, const struct tpm_pcrs *pcrs, unsigned flags,
			struct tpm_keyfile **ret)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC in = { 0 };
	TPMT_PUBLIC_PARMS parms;
	struct create_args a;
	int r;
	CLEANUP_ERASE(sens);

	*ret = NULL;
	r = key_parms(type, bits, &parms);
	if (r < 0)
		return r;
	k = calloc(1, sizeof(*k));
	if (!k)
		return TA_ERR_NOMEM;
	r = tpm_set_auth(&sens.sensitive.userAuth, auth, TPM_NEW_KEY_AUTH_MAX);
	if (r < 0)
		return r;
	in.publicArea.type = parms.type;
	in.publicArea.nameAlg = TPM2_ALG_SHA256;
	/* With a PIN, no noDA: the TPM's dictionary-attack protection
	 * guards it.  A user key without one stays DA-protected too, so
	 * that ssh-tpm-keygen -p can give it a PIN later (as ssh-keygen -p
	 * does).  A host key never gets one: noDA keeps it signing while
	 * the TPM is in lockout, which anyone who may open the TPM can cause
	 * with wrong guesses at any other key. */
	in.publicArea.objectAttributes =
		TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH |
		TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		TPMA_OBJECT_SENSITIVEDATAORIGIN;
	if ((flags & TPM_KEY_NO_DA) && sens.sensitive.userAuth.size == 0)
		in.publicArea.objectAttributes |= TPMA_OBJECT_NODA;
	in.publicArea.parameters = parms.parameters;

	a = (struct create_args){ .sens = &sens, .in = &in, .parent = parent, .pcrs = pcrs, .k = k,
				  .out_priv = &k->priv, .out_pub = &k->pub };
	r = tpm_run(t, create_op, &a);
	k->empty_auth = sens.sensitive.userAuth.size == 0;
	if (r < 0)
		return r;
	k->parent = parent;
	*ret = TAKE_PTR(k);
	return 0;
}

bool tpm_saved_ctx_ok(const struct tpm_keyfile *k)
{
	return !k->hierarchy && (k->parent >> 24) == 0x40;
}

void tpm_saved_ctx_clear(struct tpm_saved_ctx *c)
{
	if (!c)
		return;
	free(c->key.blob);
	free(c->parent.blob);
	*c = (struct tpm_saved_ctx){ 0 };
}


/* Save a loaded object's context for the next process (a failure is no
 * error: the next one does without). */
static void context_save(struct tpm *t, ESYS_TR h, struct tpm_saved_blob *c)
{
	_cleanup_(tpm_esys_freep) TPMS_CONTEXT *ctx = NULL;
	uint8_t buf[sizeof(TPMS_CONTEXT)];
	size_t off = 0;
	uint8_t *blob;

	if (sym_Esys_ContextSave(t->esys, h, &ctx) != TSS2_RC_SUCCESS ||
	    sym_Tss2_MU_TPMS_CONTEXT_Marshal(ctx, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
		return;
	blob = malloc(off);
	if (!blob)
		return;
	memcpy(blob, buf, off);
	free(c->blob);
	c->blob = blob;
	c->len = off;
	c->renewed = true;
}

/* ESYS's part of a saved context (IESYS_CONTEXT_DATA in contextBlob:
 * reserved u32, the TPM's blob as a TPM2B, then the metadata: a size
 * (ESYS 3.2 leaves it 0), handle, TPM2B_NAME, resource type, for a key
 * its TPM2B_PUBLIC) names
 * and describes exactly this key.  Read here, before ContextLoad: asking
 * ESYS afterwards (Esys_TR_GetName) hashes through a fresh OpenSSL
 * library context, 1.5 ms of CPU. */
static bool context_is_key(const TPMS_CONTEXT *ctx, const uint8_t name[34], const uint8_t *pub,
			   size_t pub_len)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(ctx->contextBlob.buffer, ctx->contextBlob.size);
	const uint8_t *n, *rest;
	uint32_t reserved, handle, type;
	uint16_t len, meta, nlen;

	if (!b || buf_get_u32(b, &reserved) != 0 || reserved != 0 || buf_get_u16(b, &len) != 0 ||
	    buf_consume(b, len) != 0 || buf_get_u16(b, &meta) != 0 ||
	    buf_get_u32(b, &handle) != 0 || buf_get_u16(b, &nlen) != 0 || nlen != 34)
		return false;
	n = buf_ptr(b);
	if (buf_consume(b, nlen) != 0 || memcmp(n, name, 34) != 0 || buf_get_u32(b, &type) != 0 ||
	    type != 1 /* IESYSC_KEY_RSRC */ || buf_len(b) != pub_len)
		return false;
	rest = buf_ptr(b);
	return memcmp(rest, pub, pub_len) == 0;
}

/* ContextLoad of a saved context; with k, only when ESYS's record in it
 * is k's (the TPM checks that the blob is its own). */
static bool context_load(struct tpm *t, const struct tpm_saved_blob *c, const char *what,
			 const struct tpm_keyfile *k, ESYS_TR *ret)
{
	uint8_t pub[sizeof(TPMT_PUBLIC)], full[sizeof(TPM2B_PUBLIC)], name[34] = { 0x00, 0x0b };
	size_t pub_len = sizeof(pub), full_len = 0, off = 0;
	TPMS_CONTEXT ctx;
	TSS2_RC rc;

	*ret = ESYS_TR_NONE;
	if (sym_Tss2_MU_TPMS_CONTEXT_Unmarshal(c->blob, c->len, &off, &ctx) != TSS2_RC_SUCCESS ||
	    off != c->len) {
		log_debug("the saved context of the %s is damaged: not used", what);
		return false;
	}
	if (k && (k->pub.publicArea.nameAlg != TPM2_ALG_SHA256 ||
		  public_bytes(&k->pub.publicArea, false, pub, &pub_len) < 0 ||
		  ta_hash_digest(TA_HASH_SHA256, pub, pub_len, name + 2) < 0 ||
		  mu_public_to_bytes(&k->pub, full, sizeof(full), &full_len) < 0 ||
		  !context_is_key(&ctx, name, full, full_len))) {
		log_debug("the saved context is another object's: not used");
		return false;
	}
	rc = sym_Esys_ContextLoad(t->esys, &ctx, ret);
	if (rc != TSS2_RC_SUCCESS) {
		*ret = ESYS_TR_NONE;
		log_debug("the saved context of the %s does not load (0x%x: TPM reset, restarted, cleared or another TPM): not used",
			  what, rc);
		return false;
	}
	log_debug("%s loaded from its saved context", what);
	return true;
}

/* Open the key's parent and load the key under it (both into the given
 * objects, released by the caller on every path). */
/* pc (may be NULL): the owner SRK's saved context, tried first and
 * renewed when the SRK had to be made. */
static int tpm_key_load(struct tpm *t, const struct tpm_keyfile *k, struct tpm_saved_blob *pc,
			struct tpm_obj *p, struct tpm_obj *key)
{
	TSS2_RC rc;
	int r;

	if (k->hierarchy)
		return tpm_hier_load(t, k, key);
	if (pc && k->parent != TA_RH_OWNER)
		pc = NULL;
	if (pc) {
		pc->used = pc->renewed = false;
		/* The Load checks it is the key's parent (its integrity
		 * check fails under any other). */
		if (pc->blob && context_load(t, pc, "SRK", NULL, &p->h)) {
			p->transient = true;
			rc = sym_Esys_Load(t->esys, p->h, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
					   &k->priv, &k->pub, &key->h);
			if (rc == TSS2_RC_SUCCESS) {
				pc->used = true;
				return 0;
			}
			log_debug("the key does not load under the saved SRK (0x%x): making its parent", rc);
			key->h = ESYS_TR_NONE;
			tpm_obj_release(p);
			*p = (struct tpm_obj){ .t = t, .h = ESYS_TR_NONE };
		}
	}
	r = tpm_parent_open(t, k->parent, k->rsa_parent, true, p);
	if (r < 0)
		return r;
	rc = sym_Esys_Load(t->esys, p->h, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		       ESYS_TR_NONE, &k->priv, &k->pub, &key->h);
	/* A persistent SRK of the right shape that is still another key
	 * (made from another unique, say) fails the key's integrity check:
	 * then the primary is made as the key was. */
	if (rc != TSS2_RC_SUCCESS && !p->transient && (k->parent >> 24) != 0x81) {
		log_debug("the key does not load under 0x%08x (0x%x): making its parent", TA_SRK_HANDLE,
			  rc);
		tpm_obj_release(p);
		*p = (struct tpm_obj){ .t = t, .h = ESYS_TR_NONE };
		r = tpm_parent_open(t, k->parent, k->rsa_parent, false, p);
		if (r < 0)
			return r;
		rc = sym_Esys_Load(t->esys, p->h, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &k->priv,
			       &k->pub, &key->h);
	}
	if (rc != TSS2_RC_SUCCESS) {
		key->h = ESYS_TR_NONE;
		return tpm_rc(rc, "Esys_Load", 0);
	}
	/* A made primary is worth keeping (a persistent SRK is not). */
	if (pc && p->transient)
		context_save(t, p->h, pc);
	return 0;
}

static TPMI_ALG_HASH tpm_hash_alg(enum ta_hash h)
{
	switch (h) {
	case TA_HASH_SHA1:
		return TPM2_ALG_SHA1;
	case TA_HASH_SHA256:
		return TPM2_ALG_SHA256;
	case TA_HASH_SHA384:
		return TPM2_ALG_SHA384;
	case TA_HASH_SHA512:
		return TPM2_ALG_SHA512;
	}
	return TPM2_ALG_NULL;
}

struct sign_args {
	const struct tpm_keyfile *k;
	const TPM2B_AUTH *auth;
	const TPM2B_DIGEST *digest;
	const TPMT_SIG_SCHEME *scheme;
	struct tpm_sig *sig;
	struct tpm_saved_ctx *ctx;
};



/* The parent of a key loaded from its saved context, for a session's
 * salt: the owner SRK's own saved context when there is one, else opened
 * as for a Load. */
static int salt_parent_open(struct tpm *t, const struct tpm_keyfile *k, struct tpm_saved_blob *pc,
			    struct tpm_obj *p)
{
	if (k->parent == TA_RH_OWNER && pc->blob && context_load(t, pc, "SRK", NULL, &p->h)) {
		p->transient = true;
		return 0;
	}
	return tpm_parent_open(t, k->parent, k->rsa_parent, true, p);
}

static int sign_op(struct tpm *t, void *arg)
{
	struct sign_args *a = arg;
	_cleanup_(tpm_esys_freep) TPMT_SIGNATURE *sig = NULL;
	_cleanup_(tpm_obj_release) struct tpm_obj p = { .t = t, .h = ESYS_TR_NONE };
	_cleanup_(tpm_obj_release) struct tpm_obj sess = { .t = t, .h = ESYS_TR_NONE };
	_cleanup_(tpm_key_release) struct tpm_obj key = { .t = t, .h = ESYS_TR_NONE,
							 .transient = true };
	TPMT_TK_HASHCHECK check = { .tag = TPM2_ST_HASHCHECK,
				    .hierarchy = TPM2_RH_NULL };
	struct tpm_sig *out = a->sig;
	bool policy = a->k->n_policy > 0 || a->k->auth_policy;
	TSS2_RC rc;
	int r;

	if (a->ctx) {
		a->ctx->key.used = a->ctx->key.renewed = false;
		a->ctx->key.used = a->ctx->key.blob && tpm_saved_ctx_ok(a->k) &&
				   context_load(t, &a->ctx->key, "key", a->k, &key.h);
	}
	if (!a->ctx || !a->ctx->key.used) {
		r = tpm_key_load(t, a->k, a->ctx ? &a->ctx->parent : NULL, &p, &key);
		if (r < 0)
			return r;
	} else if (a->auth->size > 0 || policy) {
		/* The key came from its context: its parent only salts. */
		r = salt_parent_open(t, a->k, &a->ctx->parent, &p);
		if (r < 0)
			return r;
	}
	/* A PIN authorises by HMAC in a session salted to the parent the
	 * key loaded under (its Load proved that parent genuine); a key
	 * with a policy, in a policy session salted the same way. */
	if (policy) {
		r = tpm_policy_session(t, a->k, p.h, &sess);
		if (r < 0)
			return r;
	} else if (a->auth->size > 0) {
		r = tpm_session_start(t, p.h, &sess);
		if (r < 0)
			return r;
	}
	/* The parent is no longer needed: free its slot before signing. */
	tpm_obj_release(&p);
	if (a->ctx && !a->ctx->key.used && tpm_saved_ctx_ok(a->k))
		context_save(t, key.h, &a->ctx->key);
	/* A policy without PolicyAuthValue never checks the key's auth (and
	 * its session encrypts nothing, tpm_policy_session): none is used. */
	rc = sym_Esys_TR_SetAuth(t->esys, key.h,
				 policy && !tpm_policy_has_auth_value(a->k) ? &(TPM2B_AUTH){ 0 }
									    : a->auth);
	r = tpm_rc(rc, "Esys_TR_SetAuth(key)", 0);
	if (r < 0)
		return r;
	rc = sym_Esys_Sign(t->esys, key.h, sess.h != ESYS_TR_NONE ? sess.h : ESYS_TR_PASSWORD,
			   ESYS_TR_NONE, ESYS_TR_NONE, a->digest, a->scheme, &check, &sig);
	tpm_session_end(&sess, rc);
	r = tpm_rc(rc, "Esys_Sign", 0);
	if (r < 0)
		return r;
	if (out->type == SSHKEY_RSA) {
		const TPM2B_PUBLIC_KEY_RSA *s = &sig->signature.rsassa.sig;

		if (s->size > sizeof(out->sig)) {
			return TA_ERR_INTERNAL;
		}
		memcpy(out->sig, s->buffer, s->size);
		out->sig_len = s->size;
	} else {
		const TPMS_SIGNATURE_ECC *s = &sig->signature.ecdsa;

		if (s->signatureR.size > sizeof(out->r) ||
		    s->signatureS.size > sizeof(out->s)) {
			return TA_ERR_INTERNAL;
		}
		memcpy(out->r, s->signatureR.buffer, s->signatureR.size);
		out->r_len = s->signatureR.size;
		memcpy(out->s, s->signatureS.buffer, s->signatureS.size);
		out->s_len = s->signatureS.size;
	}
	return r;
}

int tpm_sign_digest(struct tpm *t, const struct tpm_keyfile *k,
		    const char *auth, enum ta_hash hash, const uint8_t *digest,
		    size_t digest_len, struct tpm_sig *ret)
{
	return tpm_sign_digest_ctx(t, k, auth, hash, digest, digest_len, NULL, ret);
}

int tpm_sign_digest_ctx(struct tpm *t, const struct tpm_keyfile *k,
			const char *auth, enum ta_hash hash, const uint8_t *digest,
			size_t digest_len, struct tpm_saved_ctx *ctx, struct tpm_sig *ret)
{
	TPMT_SIG_SCHEME scheme = { 0 };
	TPM2B_DIGEST dig = { 0 };
	TPM2B_AUTH key_auth = { 0 };
	struct tpm_sig sig = { 0 };
	struct sign_args a;
	enum sshkey_type type;
	unsigned bits;
	int r;
	CLEANUP_ERASE(key_auth);

	r = tpm_public_type(&k->pub, &type, &bits);
	if (r < 0)
		return r;
	if (digest_len != ta_hash_len(hash) || digest_len > sizeof(dig.buffer))
		return TA_ERR_INVALID_ARGUMENT;
	if (type != SSHKEY_RSA && hash != sshkey_ecdsa_hash(type))
		return TA_ERR_INVALID_ARGUMENT;
	dig.size = (UINT16)digest_len;
	memcpy(dig.buffer, digest, digest_len);
	scheme.scheme = type == SSHKEY_RSA ? TPM2_ALG_RSASSA : TPM2_ALG_ECDSA;
	scheme.details.any.hashAlg = tpm_hash_alg(hash);
	r = tpm_set_auth(&key_auth, auth, tpm_auth_max(&k->pub));
	if (r < 0)
		return r;
	if (k->n_policy > 0 || k->auth_policy) {
		r = tpm_policy_check(k);
		if (r < 0)
			return r;
	}
	sig.type = type;
	a = (struct sign_args){ .k = k, .auth = &key_auth, .digest = &dig,
				.scheme = &scheme, .sig = &sig, .ctx = ctx };
	r = tpm_run(t, sign_op, &a);
	if (r < 0)
		return r;
	*ret = sig;
	return 0;
}

static int load_op(struct tpm *t, void *arg)
{
	const struct tpm_keyfile *k = arg;
	_cleanup_(tpm_obj_release) struct tpm_obj p = { .t = t, .h = ESYS_TR_NONE };
	_cleanup_(tpm_key_release) struct tpm_obj key = { .t = t, .h = ESYS_TR_NONE,
							 .transient = true };

	return tpm_key_load(t, k, NULL, &p, &key);
}

int tpm_key_check(struct tpm *t, const struct tpm_keyfile *k)
{
	return tpm_run(t, load_op, (void *)k);
}

struct change_auth_args {
	const struct tpm_keyfile *k;
	const TPM2B_AUTH *old, *new;
	TPM2B_PRIVATE *out_priv;
};

static int change_auth_op(struct tpm *t, void *arg)
{
	struct change_auth_args *a = arg;
	_cleanup_(tpm_esys_freep) TPM2B_PRIVATE *out_priv = NULL;
	_cleanup_(tpm_obj_release) struct tpm_obj p = { .t = t, .h = ESYS_TR_NONE };
	_cleanup_(tpm_obj_release) struct tpm_obj s = { .t = t, .h = ESYS_TR_NONE };
	_cleanup_(tpm_key_release) struct tpm_obj key = { .t = t, .h = ESYS_TR_NONE,
							 .transient = true };
	TSS2_RC rc;
	int r;

	r = tpm_key_load(t, a->k, NULL, &p, &key);
	if (r < 0)
		return r;
	rc = sym_Esys_TR_SetAuth(t->esys, key.h, a->old);
	r = tpm_rc(rc, "Esys_TR_SetAuth(key)", 0);
	if (r < 0)
		return r;
	/* The object is authorised with its current auth (USER role), by
	 * HMAC; the new auth, the first parameter, is encrypted. */
	r = tpm_session_start(t, p.h, &s);
	if (r < 0)
		return r;
	rc = sym_Esys_ObjectChangeAuth(t->esys, key.h, p.h, s.h, ESYS_TR_NONE, ESYS_TR_NONE, a->new,
				       &out_priv);
	tpm_session_end(&s, rc);
	r = tpm_rc(rc, "Esys_ObjectChangeAuth", 0);
	if (r < 0)
		return r;
	*a->out_priv = *out_priv;
	return r;
}

int tpm_change_auth(struct tpm *t, const struct tpm_keyfile *k,
		    const char *old_auth, const char *new_auth,
		    struct tpm_keyfile **ret)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *nk = NULL;
	TPM2B_AUTH old = { 0 }, new = { 0 };
	TPM2B_PRIVATE priv = { 0 };
	struct change_auth_args a;
	size_t max = tpm_auth_max(&k->pub);
	int r;
	CLEANUP_ERASE(old);
	CLEANUP_ERASE(new);

	*ret = NULL;
	if ((r = tpm_set_auth(&old, old_auth, max)) < 0 ||
	    (r = tpm_set_auth(&new, new_auth, max)) < 0)
		return r;
	a = (struct change_auth_args){ .k = k, .old = &old, .new = &new,
				       .out_priv = &priv };
	r = tpm_run(t, change_auth_op, &a);
	if (r < 0)
		return r;
	r = keyfile_dup(k, &nk);
	if (r < 0)
		return r;
	nk->priv = priv;
	nk->empty_auth = new.size == 0;
	*ret = TAKE_PTR(nk);
	return 0;
}
