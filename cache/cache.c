/* SPDX-License-Identifier: MIT */
/* cache.c - the cache interface: kinds and their namespaces, the choice
 * of backend per kind, the fall back to none. */
#include "cache.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache-internal.h"
#include "err.h"
#include "log.h"

struct cache {
	enum cache_backend backend; /* for passphrases */
	int keyring;                /* the keyring works (every other kind):
				     * 1 yes, 0 no, -1 not probed yet */
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

const char *cache_kind_name(enum cache_kind k)
{
	switch (k) {
	case CACHE_PASSPHRASE:
		return "passphrase";
	case CACHE_OWNER_PASSWORD:
		return "owner-password";
	case CACHE_IDENTITY:
		return "identity";
	case CACHE_CONSTRAINT:
		return "constraint";
	case CACHE_LOCK:
		return "lock";
	case CACHE_TPM_CONTEXT:
		return "tpm-context";
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
	/* Every other kind lives in the keyring, whatever the backend; it
	 * is probed (and our keyring made) only when such a kind is used. */
	c->keyring = c->backend == CACHE_KEYRING ? 1 : -1;
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

/* Where a kind goes in this cache. */
static enum cache_backend place(struct cache *c, enum cache_kind kind)
{
	if (!c)
		return CACHE_NONE;
	if (kind == CACHE_PASSPHRASE)
		return c->backend;
	/* The owner password follows the passphrases' choice of "none". */
	if (kind == CACHE_OWNER_PASSWORD && c->backend == CACHE_NONE)
		return CACHE_NONE;
	if (c->keyring < 0)
		c->keyring = cache_keyring_probe() == 0;
	return c->keyring ? CACHE_KEYRING : CACHE_NONE;
}

static int record_name(enum cache_kind kind, const char *id, char *buf,
		       size_t size)
{
	int n = snprintf(buf, size, "ssh-tpm-agent:%s:%s", cache_kind_name(kind), id);

	return n < 0 || (size_t)n >= size ? TA_ERR_INVALID_ARGUMENT : 0;
}

int cache_get(struct cache *c, enum cache_kind kind, const char *id,
	      uint8_t **ret, size_t *ret_len)
{
	char name[256];
	int r;

	*ret = NULL;
	*ret_len = 0;
	switch (place(c, kind)) {
	case CACHE_KEYRING:
		r = record_name(kind, id, name, sizeof(name));
		return r < 0 ? r : cache_keyring_get(name, ret, ret_len);
	case CACHE_SECRET:
		return cache_secret_get(kind, id, ret, ret_len);
	case CACHE_NONE:
		break;
	}
	return TA_ERR_KEY_NOT_FOUND;
}

int cache_put(struct cache *c, enum cache_kind kind, const char *id,
	      const char *label, const void *data, size_t len,
	      unsigned lifetime)
{
	char name[256];
	int r;

	if (len > CACHE_MAX_RECORD)
		return TA_ERR_TOO_LARGE;
	if (!lifetime && (kind == CACHE_PASSPHRASE || kind == CACHE_OWNER_PASSWORD))
		lifetime = c->timeout;
	switch (place(c, kind)) {
	case CACHE_KEYRING:
		r = record_name(kind, id, name, sizeof(name));
		return r < 0 ? r : cache_keyring_put(name, data, len, lifetime);
	case CACHE_SECRET:
		return cache_secret_put(kind, id, label, data, len, lifetime);
	case CACHE_NONE:
		break;
	}
	/* A cache may forget; an added identity or a lock must not vanish
	 * while the client is told it took. */
	return kind == CACHE_PASSPHRASE || kind == CACHE_OWNER_PASSWORD ||
		       kind == CACHE_TPM_CONTEXT
		       ? 0
		       : TA_ERR_UNSUPPORTED;
}

int cache_flush(enum cache_kind kind)
{
	char prefix[64], name[256], **ids = NULL;
	size_t n = 0;
	int r;

	snprintf(prefix, sizeof(prefix), "ssh-tpm-agent:%s:", cache_kind_name(kind));
	r = cache_keyring_list(prefix, &ids, &n);
	if (r < 0)
		return r == TA_ERR_SYSTEM && (errno == EACCES || errno == ENOKEY) ? 0 : r;
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(name, sizeof(name), "%s%s", prefix, ids[i]) < (int)sizeof(name)
				? cache_keyring_drop(name)
				: TA_ERR_INVALID_ARGUMENT;

		if (k < 0 && r == 0)
			r = k;
		free(ids[i]);
	}
	free(ids);
	return r;
}

int cache_list(struct cache *c, enum cache_kind kind, char ***ret_ids, size_t *ret_n)
{
	char prefix[64];
	int r;

	*ret_ids = NULL;
	*ret_n = 0;
	(void)c;
	if (kind == CACHE_PASSPHRASE)
		return 0;
	snprintf(prefix, sizeof(prefix), "ssh-tpm-agent:%s:", cache_kind_name(kind));
	/* Listing makes no keyring, and a keyring we may not read (a
	 * service with KeyringMode=private does not possess @u) or none at
	 * all holds nothing for us: an empty list, quietly. */
	r = cache_keyring_list(prefix, ret_ids, ret_n);
	if (r == TA_ERR_SYSTEM && (errno == EACCES || errno == ENOKEY || errno == EKEYREVOKED ||
				   errno == EKEYEXPIRED || errno == ENOSYS)) {
		log_debug("keyring: no %s records to read (%s)", cache_kind_name(kind),
			  strerror(errno));
		return 0;
	}
	return r;
}

int cache_drop(struct cache *c, enum cache_kind kind, const char *id)
{
	char name[256];
	int r;

	switch (place(c, kind)) {
	case CACHE_KEYRING:
		r = record_name(kind, id, name, sizeof(name));
		return r < 0 ? r : cache_keyring_drop(name);
	case CACHE_SECRET:
		return cache_secret_drop(kind, id);
	case CACHE_NONE:
		break;
	}
	return 0;
}

void cache_forget(enum cache_kind kind, const char *id)
{
	const char *bus = getenv("DBUS_SESSION_BUS_ADDRESS");
	char name[256];

	if (record_name(kind, id, name, sizeof(name)) == 0 &&
	    cache_keyring_drop(name) < 0)
		log_debug("keyring: could not drop %s", name);
	/* The Secret Service only when a session bus is there (libsecret
	 * would otherwise try to start one). */
	if (kind == CACHE_PASSPHRASE && bus && *bus && cache_secret_probe() == 0)
		cache_secret_drop(kind, id);
}

int cache_get_passphrase(struct cache *c, const char *fingerprint, char **ret)
{
	uint8_t *data;
	size_t len;
	char *s;
	int r;

	*ret = NULL;
	r = cache_get(c, CACHE_PASSPHRASE, fingerprint, &data, &len);
	if (r < 0)
		return r;
	/* A passphrase has no NUL byte: such an entry is not ours. */
	if (memchr(data, '\0', len)) {
		erase_and_free(data, len);
		return TA_ERR_FORMAT;
	}
	s = malloc(len + 1);
	if (s) {
		memcpy(s, data, len);
		s[len] = '\0';
	}
	erase_and_free(data, len);
	if (!s)
		return TA_ERR_NOMEM;
	*ret = s;
	return 0;
}

int cache_put_passphrase(struct cache *c, const char *fingerprint,
			 const char *label, const char *passphrase)
{
	return cache_put(c, CACHE_PASSPHRASE, fingerprint, label, passphrase,
			 strlen(passphrase), 0);
}

int cache_drop_passphrase(struct cache *c, const char *fingerprint)
{
	return cache_drop(c, CACHE_PASSPHRASE, fingerprint);
}
