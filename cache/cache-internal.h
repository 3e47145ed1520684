/* SPDX-License-Identifier: MIT */
/* cache-internal.h - the backends behind cache.h; only cache.c calls
 * them (as wireguard-tools keeps ipc-*.h behind ipc.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cache.h"

/* Kernel keyring: a record is the "user" key named name (data as given)
 * in our keyring; lifetime 0 means no timeout. */
int cache_keyring_probe(void);
int cache_keyring_get(const char *name, uint8_t **ret, size_t *ret_len);
int cache_keyring_put(const char *name, const void *data, size_t len,
		      unsigned lifetime);
int cache_keyring_drop(const char *name);
/* The names after prefix of every live record whose name starts with it
 * (an array of strings, free each and it). */
int cache_keyring_list(const char *prefix, char ***ret, size_t *ret_n);

/* Secret Service: passphrases only (TA_ERR_UNSUPPORTED for other kinds). */
int cache_secret_probe(void);
int cache_secret_get(enum cache_kind kind, const char *id, uint8_t **ret,
		     size_t *ret_len);
int cache_secret_put(enum cache_kind kind, const char *id, const char *label,
		     const void *data, size_t len, unsigned lifetime);
int cache_secret_drop(enum cache_kind kind, const char *id);
