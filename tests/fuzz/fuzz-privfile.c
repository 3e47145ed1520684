/* SPDX-License-Identifier: MIT */
/* fuzz-privfile.c - libFuzzer target: the files ssh-tpm-keygen --import
 * and --wrap read: software private keys (privfile: OpenSSH, PEM, PKCS#8,
 * without a passphrase -- a passphrase would run the KDF the file asks
 * for, slow by design), parent public keys, and importable TSS2 keys.
 * Whatever parses must give a TPM public area or be refused, and every
 * failure must leave OpenSSL's error queue clean. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "keyfile.h"
#include "privfile.h"
#include "tpm-import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct privfile *p = NULL;
	struct privfile_info info;
	struct tpm_keyfile *k = NULL;
	TPMT_PUBLIC parent;
	TPM2B_PUBLIC pub;
	bool rsa;

	ERR_clear_error();
	if (privfile_info(data, size, &info) == 0 && privfile_parse(data, size, NULL, &p) == 0) {
		if (info.encrypted && info.openssh)
			abort(); /* decrypted without a passphrase */
		(void)tpm_key_public(p->pkey, &pub);
	}
	if (tpm_parent_public_parse(data, size, &parent, &rsa) == 0 && rsa != (parent.type == TPM2_ALG_RSA))
		abort();
	(void)keyfile_parse_flags(data, size, KEYFILE_IMPORTABLE_OK, &k);
	if (ERR_peek_error() != 0)
		abort();
	privfile_free(p);
	keyfile_free(k);
	return 0;
}
