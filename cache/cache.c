/* cache.c - the cache interface: pick a backend, fall back to none. */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "err.h"
#include "log.h"

struct cache {
	enum cache_backend backend;
	unsigned timeout;
};

static const char *backend_name(enum cache_backend b)
{
	switch (b) {
	case CACHE_NONE:
		return "none";
	case CACHE_KEYRING:
		return "keyring";
	case CACHE_SECRET:
		return "secret";
	}
	return "?";
}

int cache_backend_from_string(const char *s, enum cache_backend *ret)
{
	static const enum cache_backend all[] = { CACHE_NONE, CACHE_KEYRING,
						  CACHE_SECRET };

	for (size_t i = 0; i < ELEMENTSOF(all); i++)
		if (strcmp(s, backend_name(all[i])) == 0) {
			*ret = all[i];
			return 0;
		}
	return TA_ERR_INVALID_ARGUMENT;
}

int cache_open(enum cache_backend backend, unsigned timeout, struct cache **ret)
{
	struct cache *c = calloc(1, sizeof(*c));
	int r = 0;

	if (!c)
		return TA_ERR_NOMEM;
	c->timeout = timeout ? timeout : CACHE_DEFAULT_TIMEOUT;
	c->backend = backend;
	if (backend == CACHE_KEYRING)
		r = cache_keyring_probe();
	else if (backend == CACHE_SECRET)
		r = cache_secret_probe();
	if (r < 0) {
		log_warning("passphrase cache (%s) unavailable, not caching: %s",
			    backend_name(backend), ta_strerror(r));
		c->backend = CACHE_NONE;
	}
	*ret = c;
	return 0;
}

void cache_close(struct cache *c)
{
	free(c);
}

enum cache_backend cache_backend(const struct cache *c)
{
	return c ? c->backend : CACHE_NONE;
}

int cache_get_passphrase(struct cache *c, const char *fingerprint, char **ret)
{
	*ret = NULL;
	switch (cache_backend(c)) {
	case CACHE_KEYRING:
		return cache_keyring_get(fingerprint, ret);
	case CACHE_SECRET:
		return cache_secret_get(fingerprint, ret);
	case CACHE_NONE:
		break;
	}
	return TA_ERR_KEY_NOT_FOUND;
}

int cache_put_passphrase(struct cache *c, const char *fingerprint,
			 const char *label, const char *passphrase)
{
	switch (cache_backend(c)) {
	case CACHE_KEYRING:
		return cache_keyring_put(fingerprint, passphrase, c->timeout);
	case CACHE_SECRET:
		return cache_secret_put(fingerprint, label, passphrase, c->timeout);
	case CACHE_NONE:
		break;
	}
	return 0;
}

int cache_drop_passphrase(struct cache *c, const char *fingerprint)
{
	switch (cache_backend(c)) {
	case CACHE_KEYRING:
		return cache_keyring_drop(fingerprint);
	case CACHE_SECRET:
		return cache_secret_drop(fingerprint);
	case CACHE_NONE:
		break;
	}
	return 0;
}
