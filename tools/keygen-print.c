/* SPDX-License-Identifier: MIT */
/* keygen-print.c - ssh-tpm-keygen --print-pubkey FILE: the .pub line of
 * any TSS2 key file (ours, tpm2-openssl's, the Go agent's); no TPM. */
#include <stdio.h>

#include "cleanup.h"
#include "err.h"
#include "keygen.h"
#include "keystore.h"
#include "log.h"

int keygen_print_pubkey(const struct keygen_args *a)
{
	const char *path = a->print_pubkey;
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *line = NULL;
	int r;

	r = keyfile_read(path, &kf);
	if (r >= 0)
		r = tpm_public_to_sshkey(&kf->pub, &key);
	if (r >= 0)
		r = sshkey_format_pub(key, kf->description, &line);
	if (r < 0) {
		log_error_r(r, "%s", path);
		return 1;
	}
	printf("%s\n", line);
	return 0;
}

