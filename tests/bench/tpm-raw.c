/* SPDX-License-Identifier: MIT */
/* tpm-raw.c - the raw TPM cost of one signature, in-process: open the
 * TPM context, CreatePrimary (SRK) + Load + Sign + flushes, close.  Prints
 * the median in milliseconds over N runs.
 * usage: tpm-raw KEYFILE [N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "keystore.h"

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

int main(int argc, char **argv)
{
	struct tpm_keyfile *kf = NULL;
	enum sshkey_type type;
	unsigned bits;
	uint8_t digest[64];
	double *t;
	int n = argc > 2 ? atoi(argv[2]) : 50;
	int r;

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
