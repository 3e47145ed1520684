/* SPDX-License-Identifier: MIT */
/* test-cache.c - the cache of records against the real kernel keyring:
 * kinds are separate namespaces, records round-trip as bytes, expire,
 * are dropped and forgotten; the "none" backend keeps nothing. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <keyutils.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "err.h"

static char ring[64];

static void setup(void)
{
	/* A keyring of this test's own inside @u (shared by all of root). */
	snprintf(ring, sizeof(ring), "ta-test-cache-%d-%ld", (int)getpid(), (long)time(NULL));
	setenv("SSH_TPM_AGENT_KEYRING", ring, 1);
}

static void teardown(void)
{
	key_serial_t k = keyctl_search(KEY_SPEC_USER_KEYRING, "keyring", ring, 0);

	if (k >= 0)
		keyctl_unlink(k, KEY_SPEC_USER_KEYRING);
}

TestSuite(cache, .init = setup, .fini = teardown);

static struct cache *open_keyring(unsigned timeout)
{
	struct cache *c = NULL;

	cr_assert(eq(int, cache_open(CACHE_KEYRING, timeout, &c), 0));
	cr_assert(eq(int, cache_backend(c), CACHE_KEYRING));
	return c;
}

Test(cache, passphrase_round_trip)
{
	struct cache *c = open_keyring(60);
	char *p = NULL;

	cr_assert(eq(int, cache_get_passphrase(c, "SHA256:abc", &p), TA_ERR_KEY_NOT_FOUND));
	cr_assert(eq(int, cache_put_passphrase(c, "SHA256:abc", "k", "pw-1"), 0));
	cr_assert(eq(int, cache_get_passphrase(c, "SHA256:abc", &p), 0));
	cr_assert(eq(str, p, "pw-1"));
	secret_free(p);
	cache_close(c);
}

Test(cache, record_is_named_by_kind_and_id)
{
	struct cache *c = open_keyring(60);
	key_serial_t kr;

	cr_assert(eq(int, cache_put_passphrase(c, "SHA256:abc", "k", "pw"), 0));
	kr = keyctl_search(KEY_SPEC_USER_KEYRING, "keyring", ring, 0);
	cr_assert(gt(i32, kr, 0));
	cr_assert(gt(i32, keyctl_search(kr, "user", "ssh-tpm-agent:passphrase:SHA256:abc", 0), 0));
	cache_close(c);
}

Test(cache, kinds_are_separate_namespaces)
{
	struct cache *c = open_keyring(60);
	static const uint8_t blob[] = { 0, 1, 2, 0xff, 0 };
	uint8_t *d = NULL;
	size_t n = 0;

	cr_assert(eq(int, cache_put_passphrase(c, "id", "k", "pw"), 0));
	cr_assert(eq(int, cache_get(c, CACHE_CONSTRAINT, "id", &d, &n), TA_ERR_KEY_NOT_FOUND));
	cr_assert(eq(int, cache_put(c, CACHE_CONSTRAINT, "id", NULL, blob, sizeof(blob), 0), 0));
	cr_assert(eq(int, cache_get(c, CACHE_CONSTRAINT, "id", &d, &n), 0));
	/* Bytes, NULs included. */
	cr_assert(eq(sz, n, sizeof(blob)));
	cr_assert(eq(int, memcmp(d, blob, n), 0));
	erase_and_free(d, n);
	cr_assert(eq(int, cache_drop(c, CACHE_CONSTRAINT, "id"), 0));
	cr_assert(eq(int, cache_get(c, CACHE_CONSTRAINT, "id", &d, &n), TA_ERR_KEY_NOT_FOUND));
	/* The passphrase of the same id is untouched. */
	{
		char *p = NULL;

		cr_assert(eq(int, cache_get_passphrase(c, "id", &p), 0));
		secret_free(p);
	}
	cache_close(c);
}

Test(cache, passphrase_expires_after_the_timeout)
{
	struct cache *c = open_keyring(1);
	char *p = NULL;

	cr_assert(eq(int, cache_put_passphrase(c, "SHA256:x", "k", "pw"), 0));
	sleep(2);
	cr_assert(eq(int, cache_get_passphrase(c, "SHA256:x", &p), TA_ERR_KEY_NOT_FOUND));
	cache_close(c);
}

Test(cache, drop_of_nothing_is_fine)
{
	struct cache *c = open_keyring(60);

	cr_assert(eq(int, cache_drop_passphrase(c, "SHA256:none"), 0));
	cache_close(c);
}

Test(cache, forget_drops_from_the_keyring)
{
	struct cache *c = open_keyring(60);
	char *p = NULL;

	cr_assert(eq(int, cache_put_passphrase(c, "SHA256:f", "k", "pw"), 0));
	cache_forget(CACHE_PASSPHRASE, "SHA256:f");
	cr_assert(eq(int, cache_get_passphrase(c, "SHA256:f", &p), TA_ERR_KEY_NOT_FOUND));
	cache_close(c);
}

Test(cache, passphrase_with_nul_is_not_ours)
{
	struct cache *c = open_keyring(60);
	char *p = NULL;

	cr_assert(eq(int, cache_put(c, CACHE_PASSPHRASE, "SHA256:n", NULL, "a\0b", 3, 0), 0));
	cr_assert(eq(int, cache_get_passphrase(c, "SHA256:n", &p), TA_ERR_FORMAT));
	cr_assert(eq(ptr, p, NULL));
	cache_close(c);
}

Test(cache, oversized_record_is_refused)
{
	struct cache *c = open_keyring(60);
	static uint8_t big[CACHE_MAX_RECORD + 1];

	cr_assert(eq(int, cache_put(c, CACHE_IDENTITY, "big", NULL, big, sizeof(big), 0), TA_ERR_TOO_LARGE));
	cache_close(c);
}

Test(cache, none_keeps_no_passphrase)
{
	struct cache *c = NULL;
	char *p = NULL;

	cr_assert(eq(int, cache_open(CACHE_NONE, 60, &c), 0));
	cr_assert(eq(int, cache_put_passphrase(c, "SHA256:z", "k", "pw"), 0));
	cr_assert(eq(int, cache_get_passphrase(c, "SHA256:z", &p), TA_ERR_KEY_NOT_FOUND));
	cache_close(c);
}

Test(cache_kind_name, every_kind_has_a_name)
{
	for (int k = CACHE_PASSPHRASE; k <= CACHE_TPM_CONTEXT; k++)
		cr_assert(strcmp(cache_kind_name((enum cache_kind)k), "?") != 0);
	cr_assert(eq(str, (char *)cache_kind_name(CACHE_OWNER_PASSWORD), "owner-password"));
}

Test(cache_backend_from_string, names)
{
	enum cache_backend b;

	cr_assert(eq(int, cache_backend_from_string("secret", &b), 0));
	cr_assert(eq(int, b, CACHE_SECRET));
	cr_assert(eq(int, cache_backend_from_string("bogus", &b), TA_ERR_INVALID_ARGUMENT));
}
