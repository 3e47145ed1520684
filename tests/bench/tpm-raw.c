/* SPDX-License-Identifier: MIT */
/* tpm-raw.c - the raw TPM cost of one signature, in-process: open the
 * TPM context, CreatePrimary (SRK) + Load + Sign + flushes, close.  Prints
 * the median in milliseconds over N runs.
 * usage: tpm-raw KEYFILE [N]
 *        tpm-raw --rate KEYFILE N: one TPM context and one SRK, then N
 *        times Load + Sign + FlushContext, serially: prints signatures per
 *        second (the TPM's own ceiling for a key loaded per signature). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tss2/tss2_esys.h>

#include "err.h"
#include "keystore.h"
#include "tpm-internal.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int rate(const char *path, int n)
{
	struct tpm_keyfile *kf = NULL;
	struct tpm *t = NULL;
	struct tpm_obj p = { .h = ESYS_TR_NONE };
	TPM2B_DIGEST dig = { .size = 32 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_ECDSA };
	TPMT_TK_HASHCHECK check = { .tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL };
	double t0;
	int r;

	scheme.details.any.hashAlg = TPM2_ALG_SHA256;
	r = keyfile_read(path, &kf);
	if (r == 0 && kf->pub.publicArea.type == TPM2_ALG_RSA)
		scheme.scheme = TPM2_ALG_RSASSA;
	if (r == 0)
		r = tpm_open(NULL, &t);
	if (r == 0) {
		p.t = t;
		r = tpm_parent_open(t, kf->parent, kf->rsa_parent, true, &p);
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, ta_strerror(r));
		return 1;
	}
	memset(dig.buffer, 0x5a, 32);
	t0 = now_ms();
	for (int i = 0; i < n; i++) {
		ESYS_TR h = ESYS_TR_NONE;
		TPMT_SIGNATURE *sig = NULL;

		if (Esys_Load(t->esys, p.h, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &kf->priv,
			      &kf->pub, &h) != TSS2_RC_SUCCESS ||
		    Esys_Sign(t->esys, h, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &dig, &scheme,
			      &check, &sig) != TSS2_RC_SUCCESS) {
			fprintf(stderr, "Load/Sign failed\n");
			return 1;
		}
		Esys_Free(sig);
		Esys_FlushContext(t->esys, h);
	}
	printf("%.1f\n", n / ((now_ms() - t0) / 1e3));
	tpm_obj_release(&p);
	tpm_close(t);
	keyfile_free(kf);
	return 0;
}

int main(int argc, char **argv)
{
	struct tpm_keyfile *kf = NULL;
	enum sshkey_type type;
	unsigned bits;
	uint8_t digest[64];
	double *t;
	int n = argc > 2 ? atoi(argv[2]) : 50;
	int r;

	if (argc == 4 && strcmp(argv[1], "--rate") == 0)
		return rate(argv[2], atoi(argv[3]));
	if (argc < 2 || n < 1) {
		fprintf(stderr, "usage: tpm-raw KEYFILE [N]\n");
		return 2;
	}
	r = keyfile_read(argv[1], &kf);
	if (r == 0)
		r = tpm_public_type(&kf->pub, &type, &bits);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], ta_strerror(r));
		return 1;
	}
	t = calloc((size_t)n, sizeof(*t));
	memset(digest, 0x5a, sizeof(digest));
	for (int i = 0; i < n; i++) {
		struct tpm *tp = NULL;
		struct tpm_sig sig;
		enum ta_hash h = type == SSHKEY_RSA ? TA_HASH_SHA256 : sshkey_ecdsa_hash(type);
		double t0 = now_ms();

		r = tpm_open(NULL, &tp);
		if (r == 0)
			r = tpm_sign_digest(tp, kf, NULL, h, digest, ta_hash_len(h), &sig);
		tpm_close(tp);
		t[i] = now_ms() - t0;
		if (r < 0) {
			fprintf(stderr, "sign: %s\n", ta_strerror(r));
			return 1;
		}
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%.3f\n", t[n / 2]);
	free(t);
	keyfile_free(kf);
	return 0;
}
