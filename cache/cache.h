/* cache.h - state that must outlive one handler: passphrases, keyed by the
 * SSH key fingerprint, with a lifetime.  Backends: the kernel keyring
 * (default), the Secret Service through libsecret, or none. */
#pragma once

#include <stdbool.h>

#include "cleanup.h"

enum cache_backend {
	CACHE_NONE,
	CACHE_KEYRING,
	CACHE_SECRET,
};

#define CACHE_DEFAULT_TIMEOUT 600 /* seconds */

struct cache;

/* Never fails for an unusable backend: it warns once and behaves as
 * CACHE_NONE (e.g. no keyring in a container, no Secret Service). */
int cache_open(enum cache_backend backend, unsigned timeout, struct cache **ret);
void cache_close(struct cache *c);
DEFINE_CLEANUP(struct cache, cache_close)

/* The backend actually in use (CACHE_NONE after a fallback). */
enum cache_backend cache_backend(const struct cache *c);
int cache_backend_from_string(const char *s, enum cache_backend *ret);

/* TA_ERR_KEY_NOT_FOUND when nothing (or nothing unexpired) is cached.
 * The result is freed with secret_free(). */
int cache_get_passphrase(struct cache *c, const char *fingerprint, char **ret);
/* label: what a user sees in a keyring app (e.g. key comment). */
int cache_put_passphrase(struct cache *c, const char *fingerprint,
			 const char *label, const char *passphrase);
int cache_drop_passphrase(struct cache *c, const char *fingerprint);

/* Backends. */
int cache_keyring_get(const char *fingerprint, char **ret);
int cache_keyring_put(const char *fingerprint, const char *passphrase,
		      unsigned timeout);
int cache_keyring_drop(const char *fingerprint);
/* 0 if the keyring can be used here. */
int cache_keyring_probe(void);

int cache_secret_get(const char *fingerprint, char **ret);
int cache_secret_put(const char *fingerprint, const char *label,
		     const char *passphrase, unsigned timeout);
int cache_secret_drop(const char *fingerprint);
int cache_secret_probe(void);
