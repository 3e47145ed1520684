/* SPDX-License-Identifier: MIT */
/* tpm-session.c - the sessions that keep secrets off the TPM bus: a PIN
 * authorises by HMAC instead of crossing in clear, and the first secret
 * parameter of a command (a new PIN, a key's sensitive area) is
 * encrypted.  Every session is salted to a storage key: an unsalted one
 * would leave the HMAC keyed by the PIN alone, and a capture of it would
 * allow an offline guess the TPM's lockout never sees. */
#include <tss2/tss2_esys.h>

#include "err.h"
#include "log.h"
#include "tpm-internal.h"

int tpm_session_start(struct tpm *t, ESYS_TR salt, struct tpm_obj *ret)
{
	const TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_AES,
				   .keyBits.aes = 128,
				   .mode.aes = TPM2_ALG_CFB };
	ESYS_TR s = ESYS_TR_NONE;
	TSS2_RC rc;

	*ret = (struct tpm_obj){ .t = t, .h = ESYS_TR_NONE };
	rc = sym_Esys_StartAuthSession(t->esys, salt, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				       ESYS_TR_NONE, NULL, TPM2_SE_HMAC, &sym, TPM2_ALG_SHA256, &s);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_rc(rc, "Esys_StartAuthSession(salted)", 0);
	*ret = (struct tpm_obj){ .t = t, .h = s, .transient = true };
	/* ESYS drops DECRYPT/ENCRYPT for a command that has no sized first
	 * parameter (Sign's response); CONTINUESESSION clear: the TPM ends
	 * the session with its one command, no FlushContext needed. */
	rc = sym_Esys_TRSess_SetAttributes(t->esys, s, TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT,
					   0xff);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_obj_release(ret);
		return tpm_rc(rc, "Esys_TRSess_SetAttributes", 0);
	}
	return 0;
}

void tpm_session_end(struct tpm_obj *s, TSS2_RC rc)
{
	if (s->h == ESYS_TR_NONE)
		return;
	/* The TPM ended it with a successful command; after a failed one
	 * it lives on and is flushed. */
	if (rc == TSS2_RC_SUCCESS)
		s->transient = false;
	tpm_obj_release(s);
}

int tpm_owner_session(struct tpm *t, struct tpm_obj *s, ESYS_TR *ret)
{
	_cleanup_(tpm_obj_release) struct tpm_obj salt = { .t = t, .h = ESYS_TR_NONE,
							   .transient = true };
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_PUBLIC tmpl;
	TSS2_RC rc;
	int r;

	*s = (struct tpm_obj){ .t = t, .h = ESYS_TR_NONE };
	rc = sym_Esys_TR_SetAuth(t->esys, ESYS_TR_RH_OWNER, &t->owner_auth);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_rc(rc, "Esys_TR_SetAuth(owner)", 0);
	if (t->owner_auth.size == 0) {
		*ret = ESYS_TR_PASSWORD; /* nothing to hide */
		return 0;
	}
	/* The null hierarchy has no auth: its primary is a salt key that
	 * needs no secret to be had. */
	tpm_srk_template(false, &tmpl);
	rc = sym_Esys_CreatePrimary(t->esys, ESYS_TR_RH_NULL, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				    ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs, &salt.h, NULL, NULL,
				    NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_rc(rc, "Esys_CreatePrimary(null-hierarchy salt key)", 0);
	r = tpm_session_start(t, salt.h, s);
	if (r < 0)
		return r;
	*ret = s->h;
	return 0;
}
