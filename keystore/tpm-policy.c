/* SPDX-License-Identifier: MIT */
/* tpm-policy.c - keys with a [1] policy (draft-bottomley-tpm2-keys "Key
 * Policy Specification"): the policy session a signature runs in, the
 * PCR policy ssh-tpm-keygen --pcrs writes, and the names of the policy
 * commands we do not run.
 *
 * Steps we run: TPM2_PolicyPCR (0x17F), TPM2_PolicyAuthValue (0x16B),
 * TPM2_PolicyCommandCode (0x16C).  PolicyPCR's commandPolicy comes in two
 * layouts: the draft's text (the command's parameters, TPM2B_DIGEST
 * pcrDigest || TPML_PCR_SELECTION) and what openssl_tpm2_engine and the
 * Go key-file library write (TPML_PCR_SELECTION || the bare digest, the
 * order of the policy hash).  We read both and write the second: every
 * implementation that runs PolicyPCR from key files today reads it. */
#include <stdio.h>
#include <string.h>

#include <tss2/tss2_esys.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "sshkey.h"
#include "tpm-internal.h"

#define CC_POLICY_PCR 0x17FU
#define CC_POLICY_AUTH_VALUE 0x16BU
#define CC_POLICY_COMMAND_CODE 0x16CU

static const struct {
	uint32_t cc;
	const char *name;
} policy_names[] = {
	{ 0x149, "TPM2_PolicyNV" },
	{ 0x151, "TPM2_PolicySecret" },
	{ 0x160, "TPM2_PolicySigned" },
	{ 0x16A, "TPM2_PolicyAuthorize" },
	{ 0x16B, "TPM2_PolicyAuthValue" },
	{ 0x16C, "TPM2_PolicyCommandCode" },
	{ 0x16D, "TPM2_PolicyCounterTimer" },
	{ 0x16E, "TPM2_PolicyCpHash" },
	{ 0x16F, "TPM2_PolicyLocality" },
	{ 0x170, "TPM2_PolicyNameHash" },
	{ 0x171, "TPM2_PolicyOR" },
	{ 0x172, "TPM2_PolicyTicket" },
	{ 0x17F, "TPM2_PolicyPCR" },
	{ 0x180, "TPM2_PolicyRestart" },
	{ 0x187, "TPM2_PolicyPhysicalPresence" },
	{ 0x188, "TPM2_PolicyDuplicationSelect" },
	{ 0x18C, "TPM2_PolicyPassword" },
	{ 0x18F, "TPM2_PolicyNvWritten" },
	{ 0x190, "TPM2_PolicyTemplate" },
	{ 0x192, "TPM2_PolicyAuthorizeNV" },
};

static const char *policy_name(uint32_t cc)
{
	for (size_t i = 0; i < ELEMENTSOF(policy_names); i++)
		if (policy_names[i].cc == cc)
			return policy_names[i].name;
	return "an unknown command";
}

static size_t tpm_alg_digest_len(TPMI_ALG_HASH alg)
{
	switch (alg) {
	case TPM2_ALG_SHA1:
		return 20;
	case TPM2_ALG_SHA256:
		return 32;
	case TPM2_ALG_SHA384:
		return 48;
	case TPM2_ALG_SHA512:
		return 64;
	default:
		return 0;
	}
}

static const char *bank_name(TPMI_ALG_HASH alg)
{
	switch (alg) {
	case TPM2_ALG_SHA1:
		return "sha1";
	case TPM2_ALG_SHA256:
		return "sha256";
	case TPM2_ALG_SHA384:
		return "sha384";
	case TPM2_ALG_SHA512:
		return "sha512";
	default:
		return "?";
	}
}

static int get_pcr_selection(struct buf *b, TPML_PCR_SELECTION *ret)
{
	uint32_t count;

	*ret = (TPML_PCR_SELECTION){ 0 };
	if (buf_get_u32(b, &count) != 0 || count == 0 || count > TPM2_NUM_PCR_BANKS)
		return TA_ERR_KEYFILE_POLICY;
	ret->count = count;
	for (uint32_t i = 0; i < count; i++) {
		TPMS_PCR_SELECTION *s = &ret->pcrSelections[i];
		uint16_t hash;
		uint8_t size;

		if (buf_get_u16(b, &hash) != 0 || buf_get_u8(b, &size) != 0 ||
		    size > sizeof(s->pcrSelect) || size > buf_len(b) ||
		    tpm_alg_digest_len(hash) == 0)
			return TA_ERR_KEYFILE_POLICY;
		s->hash = hash;
		s->sizeofSelect = size;
		memcpy(s->pcrSelect, buf_ptr(b), size);
		buf_consume(b, size);
	}
	return 0;
}

static int put_pcr_selection(struct buf *b, const TPML_PCR_SELECTION *s)
{
	int w = buf_put_u32(b, s->count);

	for (uint32_t i = 0; i < s->count; i++)
		w |= buf_put_u16(b, s->pcrSelections[i].hash) |
		     buf_put_u8(b, s->pcrSelections[i].sizeofSelect) |
		     buf_put(b, s->pcrSelections[i].pcrSelect, s->pcrSelections[i].sizeofSelect);
	return w;
}

/* PolicyPCR's commandPolicy in either layout; hash_len is the session's
 * digest size (the engine layout's bare digest has exactly that many). */
static int parse_policy_pcr(const uint8_t *body, size_t len, size_t hash_len,
			    TPML_PCR_SELECTION *sel, TPM2B_DIGEST *digest)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(body, len);
	uint16_t dlen;

	if (!b)
		return TA_ERR_NOMEM;
	*digest = (TPM2B_DIGEST){ 0 };
	/* TPML_PCR_SELECTION || digest (the count's top half is zero). */
	if (get_pcr_selection(b, sel) == 0 && buf_len(b) == hash_len) {
		digest->size = (UINT16)hash_len;
		memcpy(digest->buffer, buf_ptr(b), hash_len);
		return 0;
	}
	buf_free(b);
	b = buf_from(body, len);
	if (!b)
		return TA_ERR_NOMEM;
	/* TPM2B_DIGEST || TPML_PCR_SELECTION. */
	if (buf_get_u16(b, &dlen) != 0 || (dlen != 0 && dlen != hash_len) || dlen > buf_len(b))
		return TA_ERR_KEYFILE_POLICY;
	digest->size = dlen;
	memcpy(digest->buffer, buf_ptr(b), dlen);
	buf_consume(b, dlen);
	if (get_pcr_selection(b, sel) < 0 || buf_len(b) != 0)
		return TA_ERR_KEYFILE_POLICY;
	return 0;
}

/* "sha256:7,11" for messages. */
static void pcrs_describe(const TPML_PCR_SELECTION *sel, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < sel->count && n < size; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];
		bool first = true;

		n += (size_t)snprintf(out + n, size - n, "%s%s:", i ? " " : "", bank_name(s->hash));
		for (unsigned pcr = 0; pcr < 8U * s->sizeofSelect && n < size; pcr++) {
			if (!(s->pcrSelect[pcr / 8] & (1U << (pcr % 8))))
				continue;
			n += (size_t)snprintf(out + n, size - n, "%s%u", first ? "" : ",", pcr);
			first = false;
		}
	}
}

int tpm_policy_check(const struct tpm_keyfile *k)
{
	struct tpm_policy_step st;
	size_t pos = 0, hash_len = tpm_alg_digest_len(k->pub.publicArea.nameAlg);
	unsigned i = 0;

	if (k->auth_policy) {
		log_error("the key has signed policies ([3] authPolicy): TPM2_PolicyAuthorize is not supported");
		return TA_ERR_KEYFILE_AUTHPOLICY;
	}
	while (keyfile_policy_next(k, &pos, &st)) {
		TPML_PCR_SELECTION sel;
		TPM2B_DIGEST d;

		i++;
		switch (st.cc) {
		case CC_POLICY_PCR:
			if (parse_policy_pcr(st.body, st.len, hash_len, &sel, &d) < 0) {
				log_error("the key's policy step %u (TPM2_PolicyPCR) is malformed", i);
				return TA_ERR_KEYFILE_POLICY;
			}
			break;
		case CC_POLICY_AUTH_VALUE:
			if (st.len != 0) {
				log_error("the key's policy step %u (TPM2_PolicyAuthValue) has parameters", i);
				return TA_ERR_KEYFILE_POLICY;
			}
			break;
		case CC_POLICY_COMMAND_CODE:
			if (st.len != 4) {
				log_error("the key's policy step %u (TPM2_PolicyCommandCode) is malformed", i);
				return TA_ERR_KEYFILE_POLICY;
			}
			break;
		default:
			log_error("the key's policy step %u is %s (0x%x), which this agent does not run%s",
				  i, policy_name(st.cc), st.cc,
				  st.cc == 0x18C ? " (it would send the passphrase in clear)" : "");
			return TA_ERR_POLICY_UNSUPPORTED;
		}
	}
	return 0;
}

bool tpm_policy_has_auth_value(const struct tpm_keyfile *k)
{
	struct tpm_policy_step st;
	size_t pos = 0;

	while (keyfile_policy_next(k, &pos, &st))
		if (st.cc == CC_POLICY_AUTH_VALUE)
			return true;
	return false;
}

int tpm_policy_session(struct tpm *t, const struct tpm_keyfile *k, ESYS_TR salt,
		       struct tpm_obj *ret)
{
	const TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_AES,
				   .keyBits.aes = 128,
				   .mode.aes = TPM2_ALG_CFB };
	TPMI_ALG_HASH alg = k->pub.publicArea.nameAlg;
	size_t pos = 0, hash_len = tpm_alg_digest_len(alg);
	struct tpm_policy_step st;
	ESYS_TR s = ESYS_TR_NONE;
	TSS2_RC rc;
	unsigned i = 0;
	int r;

	*ret = (struct tpm_obj){ .t = t, .h = ESYS_TR_NONE };
	r = tpm_policy_check(k);
	if (r < 0)
		return r;
	if (hash_len == 0)
		return TA_ERR_KEYFILE_PUBLIC;
	rc = sym_Esys_StartAuthSession(t->esys, salt, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				       ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, alg, &s);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_rc(rc, "Esys_StartAuthSession(policy)", 0);
	*ret = (struct tpm_obj){ .t = t, .h = s, .transient = true };
	/* Without PolicyAuthValue the key's auth value authorises nothing,
	 * but the TPM still keys parameter encryption with it: a wrong
	 * passphrase would only garble the digest, and the TPM sign that
	 * (no error, a signature that does not verify).  The digest is no
	 * secret: it goes in clear then, and no passphrase is used. */
	rc = sym_Esys_TRSess_SetAttributes(t->esys, s,
					   tpm_policy_has_auth_value(k)
						   ? TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT
						   : 0,
					   0xff);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_obj_release(ret);
		return tpm_rc(rc, "Esys_TRSess_SetAttributes", 0);
	}
	while (keyfile_policy_next(k, &pos, &st)) {
		i++;
		switch (st.cc) {
		case CC_POLICY_PCR: {
			TPML_PCR_SELECTION sel;
			TPM2B_DIGEST d;
			char pcrs[128];

			(void)parse_policy_pcr(st.body, st.len, hash_len, &sel, &d);
			rc = sym_Esys_PolicyPCR(t->esys, s, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &d,
						&sel);
			if (rc == TSS2_RC_SUCCESS)
				break;
			pcrs_describe(&sel, pcrs, sizeof(pcrs));
			tpm_obj_release(ret);
			/* TPM_RC_VALUE of parameter 1: the digest is not the
			 * PCRs' now (of parameter 2, the selection itself is
			 * one the TPM refuses: no boot state to speak of). */
			if ((rc & (TPM2_RC_FMT1 | 0x3f | TPM2_RC_P | TPM2_RC_N_MASK)) ==
			    (TPM2_RC_FMT1 | TPM2_RC_VALUE | TPM2_RC_P | TPM2_RC_1)) {
				log_debug("Esys_PolicyPCR: 0x%x", rc);
				log_error("the machine's boot state changed: this key is sealed to PCRs %s, which now hold other values",
					  pcrs);
				return TA_ERR_PCR_CHANGED;
			}
			log_error("the key's policy step %u (TPM2_PolicyPCR) failed: the TPM refuses its PCR selection %s",
				  i, pcrs);
			return tpm_rc(rc, "Esys_PolicyPCR", 0);
		}
		case CC_POLICY_AUTH_VALUE:
			rc = sym_Esys_PolicyAuthValue(t->esys, s, ESYS_TR_NONE, ESYS_TR_NONE,
						      ESYS_TR_NONE);
			break;
		case CC_POLICY_COMMAND_CODE:
			rc = sym_Esys_PolicyCommandCode(t->esys, s, ESYS_TR_NONE, ESYS_TR_NONE,
							ESYS_TR_NONE,
							(TPM2_CC)((uint32_t)st.body[0] << 24 |
								  (uint32_t)st.body[1] << 16 |
								  (uint32_t)st.body[2] << 8 | st.body[3]));
			break;
		default:
			rc = TSS2_ESYS_RC_NOT_IMPLEMENTED; /* tpm_policy_check refused it */
			break;
		}
		if (rc != TSS2_RC_SUCCESS) {
			tpm_obj_release(ret);
			log_error("the key's policy step %u (%s) failed", i, policy_name(st.cc));
			return tpm_rc(rc, policy_name(st.cc), 0);
		}
	}
	return 0;
}

int tpm_pcrs_parse(const char *s, struct tpm_pcrs *ret)
{
	const char *colon = strchr(s, ':');
	const char *p = s;

	*ret = (struct tpm_pcrs){ .bank = TPM2_ALG_SHA256 };
	if (colon) {
		size_t n = (size_t)(colon - s);

		if (n == 4 && strncmp(s, "sha1", n) == 0)
			ret->bank = TPM2_ALG_SHA1;
		else if (n == 6 && strncmp(s, "sha256", n) == 0)
			ret->bank = TPM2_ALG_SHA256;
		else if (n == 6 && strncmp(s, "sha384", n) == 0)
			ret->bank = TPM2_ALG_SHA384;
		else if (n == 6 && strncmp(s, "sha512", n) == 0)
			ret->bank = TPM2_ALG_SHA512;
		else
			return TA_ERR_INVALID_ARGUMENT;
		p = colon + 1;
	}
	for (;;) {
		unsigned v = 0;
		size_t digits = 0;

		while (*p >= '0' && *p <= '9' && digits < 3) {
			v = v * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (digits == 0 || v >= TA_MAX_PCRS || (ret->mask & (1U << v)))
			return TA_ERR_INVALID_ARGUMENT;
		ret->mask |= 1U << v;
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return TA_ERR_INVALID_ARGUMENT;
	}
}

/* The selection of one bank (3 octets: PCRs 0-23). */
static void pcrs_selection(const struct tpm_pcrs *pcrs, TPML_PCR_SELECTION *sel)
{
	*sel = (TPML_PCR_SELECTION){ .count = 1 };
	sel->pcrSelections[0].hash = pcrs->bank;
	sel->pcrSelections[0].sizeofSelect = 3;
	for (unsigned i = 0; i < 3; i++)
		sel->pcrSelections[0].pcrSelect[i] = (uint8_t)(pcrs->mask >> (8 * i));
}

int tpm_pcr_policy(struct tpm *t, const struct tpm_pcrs *pcrs, bool with_auth, TPM2B_DIGEST *policy,
		   struct tpm_keyfile *k)
{
	_cleanup_(buf_freep) struct buf *values = buf_new(24 * 64), *step = buf_new(256),
				       *body = buf_new(256);
	TPML_PCR_SELECTION want;
	uint32_t left = pcrs->mask;
	uint8_t pcr_digest[32], d[32] = { 0 };
	int r, w = 0;

	if (!values || !step || !body)
		return TA_ERR_NOMEM;
	if (tpm_alg_digest_len(pcrs->bank) == 0 || pcrs->mask == 0)
		return TA_ERR_INVALID_ARGUMENT;
	/* PCR_Read answers at most 8 values at a time: ask for what is left
	 * until all came, in PCR order. */
	while (left) {
		_cleanup_(tpm_esys_freep) TPML_PCR_SELECTION *got = NULL;
		_cleanup_(tpm_esys_freep) TPML_DIGEST *vals = NULL;
		struct tpm_pcrs rest = { .bank = pcrs->bank, .mask = left };
		uint32_t got_mask = 0;
		TSS2_RC rc;

		pcrs_selection(&rest, &want);
		rc = sym_Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &want, NULL,
				       &got, &vals);
		r = tpm_rc(rc, "Esys_PCR_Read", 0);
		if (r < 0)
			return r;
		for (uint32_t i = 0; i < got->count; i++)
			if (got->pcrSelections[i].hash == pcrs->bank)
				for (unsigned j = 0; j < got->pcrSelections[i].sizeofSelect && j < 3; j++)
					got_mask |= (uint32_t)got->pcrSelections[i].pcrSelect[j] << (8 * j);
		got_mask &= left;
		if (got_mask == 0 || vals->count == 0) {
			log_error("the TPM has no %s PCR bank (or not these PCRs)", bank_name(pcrs->bank));
			return TA_ERR_TPM_UNSUPPORTED_ALG;
		}
		for (uint32_t i = 0; i < vals->count; i++)
			w |= buf_put(values, vals->digests[i].buffer, vals->digests[i].size);
		left &= ~got_mask;
	}
	/* pcrDigest: the policy's hash (the key's nameAlg, SHA-256) of the
	 * values; then policyDigest = H(H(0 || CC_PolicyPCR || pcrs ||
	 * pcrDigest) [|| CC_PolicyAuthValue]). */
	if (w || ta_hash_digest(TA_HASH_SHA256, buf_ptr(values), buf_len(values), pcr_digest) < 0)
		return TA_ERR_NOMEM;
	pcrs_selection(pcrs, &want);
	w = buf_put(step, d, sizeof(d)) | buf_put_u32(step, CC_POLICY_PCR) |
	    put_pcr_selection(step, &want) | buf_put(step, pcr_digest, sizeof(pcr_digest)) |
	    put_pcr_selection(body, &want) | buf_put(body, pcr_digest, sizeof(pcr_digest));
	if (w || ta_hash_digest(TA_HASH_SHA256, buf_ptr(step), buf_len(step), d) < 0)
		return TA_ERR_NOMEM;
	r = keyfile_policy_add(k, CC_POLICY_PCR, buf_ptr(body), buf_len(body));
	if (r < 0)
		return r;
	if (with_auth) {
		uint8_t a[36];

		memcpy(a, d, 32);
		a[32] = 0x00;
		a[33] = 0x00;
		a[34] = (uint8_t)(CC_POLICY_AUTH_VALUE >> 8);
		a[35] = (uint8_t)CC_POLICY_AUTH_VALUE;
		if (ta_hash_digest(TA_HASH_SHA256, a, sizeof(a), d) < 0)
			return TA_ERR_INTERNAL;
		r = keyfile_policy_add(k, CC_POLICY_AUTH_VALUE, NULL, 0);
		if (r < 0)
			return r;
	}
	policy->size = sizeof(d);
	memcpy(policy->buffer, d, sizeof(d));
	return 0;
}
