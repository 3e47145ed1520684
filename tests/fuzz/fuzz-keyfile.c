/* SPDX-License-Identifier: MIT */
/* fuzz-keyfile.c - libFuzzer target: TSS2 PRIVATE KEY text through
 * keyfile_parse; whatever parses must convert to an SSH key or be
 * refused, and must survive a write/read round trip unchanged.  The same
 * bytes as DER: whatever our reader (keyfile-der.c) reads, OpenSSL's
 * ASN.1 templates read to the same key. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "keyfile.h"
#include "pubkey.h"
#include "tpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool keyfile_equal(const struct tpm_keyfile *a, const struct tpm_keyfile *b)
{
	return a->empty_auth == b->empty_auth && a->rsa_parent == b->rsa_parent &&
	       a->parent == b->parent && a->importable == b->importable &&
	       !a->description == !b->description &&
	       (!a->description || strcmp(a->description, b->description) == 0) &&
	       memcmp(&a->pub, &b->pub, sizeof(a->pub)) == 0 &&
	       memcmp(&a->priv, &b->priv, sizeof(a->priv)) == 0 &&
	       memcmp(&a->secret, &b->secret, sizeof(a->secret)) == 0 &&
	       a->n_policy == b->n_policy && a->policy_len == b->policy_len &&
	       a->auth_policy == b->auth_policy &&
	       (!a->policy_len || memcmp(a->policy, b->policy, a->policy_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tpm_keyfile *k = NULL, *back = NULL;
	struct sshkey *key = NULL;
	char *pem = NULL;
	size_t len;

	ERR_clear_error();
	if (keyfile_parse(data, size, &k) == 0) {
		tpm_public_to_sshkey(&k->pub, &key);
		(void)tpm_policy_check(k); /* the policy steps' own parsers */
		if (keyfile_to_pem(k, k->description != NULL, &pem, &len) == 0) {
			if (keyfile_parse(pem, len, &back) != 0 ||
			    back->parent != k->parent ||
			    back->empty_auth != k->empty_auth ||
			    back->policy_len != k->policy_len ||
			    (k->policy_len && memcmp(back->policy, k->policy, k->policy_len) != 0) ||
			    memcmp(&back->pub, &k->pub, sizeof(k->pub)) != 0 ||
			    memcmp(&back->priv, &k->priv, sizeof(k->priv)) != 0)
				abort();
		}
	}
	{
		struct tpm_keyfile *ours = NULL, *ref = NULL;

		if (keyfile_parse_der_flags(data, size, KEYFILE_IMPORTABLE_OK, &ours) == 0 &&
		    (keyfile_parse_der_reference(data, size, KEYFILE_IMPORTABLE_OK, &ref) != 0 ||
		     !keyfile_equal(ours, ref)))
			abort();
		keyfile_free(ours);
		keyfile_free(ref);
	}
	if (ERR_peek_error() != 0)
		abort(); /* every failure path must leave OpenSSL's queue clean */
	free(pem);
	sshkey_free(key);
	keyfile_free(k);
	keyfile_free(back);
	return 0;
}
