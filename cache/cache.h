/* SPDX-License-Identifier: MIT */
/* cache.h - records that must outlive one handler: passphrases now, and
 * what a stateless agent keeps between connections next.  Each record has
 * a kind (its namespace and its lifetime), an id within the kind, and
 * bytes.  Backends (private, cache-internal.h): the kernel keyring (the
 * default, and the only home of every kind but passphrases), the Secret
 * Service through libsecret (passphrases, if asked for), or none. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

enum cache_backend {
	CACHE_NONE,
	CACHE_KEYRING,
	CACHE_SECRET,
};

/* What a record is.  In the kernel keyring each kind is its own
 * namespace: a "user" key named "ssh-tpm-agent:<kind>:<id>".
 *
 *   kind             id                 lifetime                 secret
 *   passphrase       key fingerprint    --cache-timeout          yes
 *   owner-password   TCTI of the TPM    --cache-timeout          yes
 *   identity         key fingerprint    its lifetime constraint, yes (an added
 *                                       else until removed         private key)
 *   constraint       key fingerprint    as its identity          no
 *   lock             "agent"            until unlocked           yes (a hash)
 *   tpm-context      hierarchy-H-ALG-T  until reboot; ignored    no
 *                    (handler/hierarchy.c) after a TPM reset,
 *                                       restart or clear
 *                    key-HASH, srk-HASH --cache-timeout; one    no
 *                    (handler/keyctx.c) that does not load is
 *                                       dropped
 *
 * Only passphrases may go to the Secret Service (--cache secret); every
 * other kind lives in the kernel keyring whatever the backend. */
enum cache_kind {
	CACHE_PASSPHRASE,
	CACHE_OWNER_PASSWORD,
	CACHE_IDENTITY,
	CACHE_CONSTRAINT,
	CACHE_LOCK,
	CACHE_TPM_CONTEXT,
};

#define CACHE_DEFAULT_TIMEOUT 600 /* seconds */
#define CACHE_MAX_RECORD (16 * 1024)

/* "passphrase", "owner-password", ... */
const char *cache_kind_name(enum cache_kind k);

struct cache;

/* Never fails for an unusable backend: it warns once and behaves as
 * CACHE_NONE (e.g. no keyring in a container, no Secret Service).
 * timeout: the lifetime of passphrases (0: CACHE_DEFAULT_TIMEOUT). */
int cache_open(enum cache_backend backend, unsigned timeout, struct cache **ret);
void cache_close(struct cache *c);
DEFINE_CLEANUP(struct cache, cache_close)

/* The backend actually in use for passphrases (CACHE_NONE after a
 * fallback). */
enum cache_backend cache_backend(const struct cache *c);
int cache_backend_from_string(const char *s, enum cache_backend *ret);

/* A record's bytes (free them with erase_and_free(p, len)).
 * TA_ERR_KEY_NOT_FOUND when there is none, or none unexpired. */
int cache_get(struct cache *c, enum cache_kind kind, const char *id,
	      uint8_t **ret, size_t *ret_len);
/* Store (replace) a record.  lifetime in seconds; 0 is the kind's default
 * (the cache's timeout for passphrases and the owner password, none for
 * the others).  label: what a user sees in a keyring app.  Without a
 * keyring, passphrases and contexts are silently not kept; identities,
 * constraints and the lock fail (TA_ERR_UNSUPPORTED). */
int cache_put(struct cache *c, enum cache_kind kind, const char *id,
	      const char *label, const void *data, size_t len,
	      unsigned lifetime);
/* The ids of every live record of kind (not passphrases), in no order:
 * an array of strings (free each, then it).  Records may expire or be
 * dropped by another handler between this and a cache_get. */
int cache_list(struct cache *c, enum cache_kind kind, char ***ret_ids, size_t *ret_n);
/* Drop every record of kind from the kernel keyring (the standalone
 * agent's SIGUSR1). */
int cache_flush(enum cache_kind kind);
/* 0 also when there was nothing to drop. */
int cache_drop(struct cache *c, enum cache_kind kind, const char *id);
/* Drop a record from every backend that may hold it, whichever the agent
 * was told to use (ssh-tpm-keygen -p forgets an old passphrase). */
void cache_forget(enum cache_kind kind, const char *id);

/* Passphrases as strings (no NUL inside).  Free with secret_free(). */
int cache_get_passphrase(struct cache *c, const char *fingerprint, char **ret);
int cache_put_passphrase(struct cache *c, const char *fingerprint,
			 const char *label, const char *passphrase);
int cache_drop_passphrase(struct cache *c, const char *fingerprint);
