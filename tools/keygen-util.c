/* SPDX-License-Identifier: MIT */
/* keygen-util.c - helpers of the ssh-tpm-keygen modes: TPM errors in
 * one line, asking for a new passphrase twice. */
#include <stdio.h>
#include <string.h>

#include "ask.h"
#include "cleanup.h"
#include "err.h"
#include "keygen.h"
#include "log.h"

int report_tpm_error(const struct tpm_opts *tpm, int r)
{
	_cleanup_free_ char *tcti = NULL;

	if (r == TA_ERR_TPM_UNREACHABLE) {
		tpm_describe_tcti(tpm, &tcti);
		log_error("cannot reach the TPM (TCTI '%s'): is a TPM present? Try --tcti or --swtpm",
			  tcti ? tcti : "default: /dev/tpmrm0, tabrmd on a D-Bus system bus, /dev/tpm0");
	} else {
		log_error_r(r, "TPM");
	}
	return 1;
}

/* Ask for a passphrase twice, like ssh-keygen; three tries. */
int ask_twice(const char *first, const char *again, char **ret)
{
	for (int tries = 0; tries < 3; tries++) {
		char *p1 = NULL, *p2 = NULL;
		int r;

		r = ask_passphrase(first, ASK_ALLOW_STDIN, NULL, &p1);
		if (r < 0)
			return r;
		r = ask_passphrase(again, ASK_ALLOW_STDIN, NULL, &p2);
		if (r < 0) {
			secret_free(p1);
			return r;
		}
		if (strcmp(p1, p2) == 0) {
			secret_free(p2);
			ask_release_terminal();
			*ret = p1;
			return 0;
		}
		secret_free(p1);
		secret_free(p2);
		fprintf(stderr, "Passphrases do not match.  Try again.\n");
	}
	ask_release_terminal();
	return TA_ERR_CANCELLED;
}

