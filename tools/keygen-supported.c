/* SPDX-License-Identifier: MIT */
/* keygen-supported.c - ssh-tpm-keygen --supported: the ECDSA curves and
 * RSA sizes this TPM can create (TPM2_TestParms). */
#include <stdio.h>

#include "cleanup.h"
#include "err.h"
#include "keygen.h"
#include "keystore.h"

int keygen_supported(const struct keygen_args *a)
{
	static const unsigned ecc_bits[] = { 256, 384, 521 };
	static const enum sshkey_type ecc_types[] = {
		SSHKEY_ECDSA_P256, SSHKEY_ECDSA_P384, SSHKEY_ECDSA_P521
	};
	static const unsigned rsa_bits[] = { 2048, 3072, 4096 };
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	int r;

	r = tpm_open(&a->tpm, &t);
	if (r < 0)
		return report_tpm_error(&a->tpm, r);
	printf("ecdsa bit lengths:");
	for (size_t i = 0; i < ELEMENTSOF(ecc_bits); i++) {
		r = tpm_test_key_params(t, ecc_types[i], ecc_bits[i]);
		if (r == 0)
			printf(" %u", ecc_bits[i]);
		else if (r != TA_ERR_TPM_UNSUPPORTED_ALG)
			return report_tpm_error(&a->tpm, r);
	}
	printf("\nrsa bit lengths:");
	for (size_t i = 0; i < ELEMENTSOF(rsa_bits); i++) {
		r = tpm_test_key_params(t, SSHKEY_RSA, rsa_bits[i]);
		if (r == 0)
			printf(" %u", rsa_bits[i]);
		else if (r != TA_ERR_TPM_UNSUPPORTED_ALG)
			return report_tpm_error(&a->tpm, r);
	}
	printf("\n");
	return 0;
}

