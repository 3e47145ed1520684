/* SPDX-License-Identifier: MIT */
/* fuzz-keyfile.c - libFuzzer target: TSS2 PRIVATE KEY text through
 * keyfile_parse; whatever parses must convert to an SSH key or be
 * refused, and must survive a write/read round trip unchanged. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "keyfile.h"
#include "pubkey.h"
#include "tpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tpm_keyfile *k = NULL, *back = NULL;
	struct sshkey *key = NULL;
	char *pem = NULL;
	size_t len;

	ERR_clear_error();
	if (keyfile_parse(data, size, &k) == 0) {
		tpm_public_to_sshkey(&k->pub, &key);
		if (keyfile_to_pem(k, k->description != NULL, &pem, &len) == 0) {
			if (keyfile_parse(pem, len, &back) != 0 ||
			    back->parent != k->parent ||
			    back->empty_auth != k->empty_auth ||
			    memcmp(&back->pub, &k->pub, sizeof(k->pub)) != 0 ||
			    memcmp(&back->priv, &k->priv, sizeof(k->priv)) != 0)
				abort();
		}
	}
	if (ERR_peek_error() != 0)
		abort(); /* every failure path must leave OpenSSL's queue clean */
	free(pem);
	sshkey_free(key);
	keyfile_free(k);
	keyfile_free(back);
	return 0;
}
