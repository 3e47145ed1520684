/* SPDX-License-Identifier: MIT */
/* cache-keyring.c - records in the kernel keyring (libkeyutils).
 *
 * Records are "user" keys named "ssh-tpm-agent:<kind>:<id>" (cache.c
 * makes the names) in a keyring of our own, "ssh-tpm-agent" (or
 * $SSH_TPM_AGENT_KEYRING), linked into the user keyring @u, each with its
 * kind's timeout.  Permissions grant the owning uid
 * (not just possessors) view/read/write/search: every later handler of the
 * same user finds them, whether or not it possesses @u (systemd services
 * with KeyringMode=private do not); other users get nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyutils.h>

#include "cache-internal.h"
#include "cleanup.h"
#include "err.h"
#include "log.h"

#define KEY_PERMS (KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ | \
		   KEY_USR_WRITE | KEY_USR_SEARCH | KEY_USR_LINK | \
		   KEY_USR_SETATTR)

static const char *keyring_name(void)
{
	const char *v = getenv("SSH_TPM_AGENT_KEYRING");

	return v && *v ? v : "ssh-tpm-agent";
}

/* Our keyring inside @u, created on first use when create is set. */
static int our_keyring(bool create, key_serial_t *ret)
{
	key_serial_t k;

	k = keyctl_search(KEY_SPEC_USER_KEYRING, "keyring", keyring_name(), 0);
	if (k < 0 && errno == ENOKEY && create) {
		k = add_key("keyring", keyring_name(), NULL, 0,
			    KEY_SPEC_USER_KEYRING);
		if (k >= 0 && keyctl_setperm(k, KEY_PERMS) < 0)
			return TA_ERR_SYSTEM;
	}
	if (k < 0)
		return errno == ENOKEY ? TA_ERR_KEY_NOT_FOUND : TA_ERR_SYSTEM;
	*ret = k;
	return 0;
}

int cache_keyring_probe(void)
{
	key_serial_t k;
	int r = our_keyring(true, &k);

	return r == TA_ERR_KEY_NOT_FOUND ? TA_ERR_SYSTEM : r;
}

/* The record called name (and our keyring holding it). */
static int find_entry(const char *name, key_serial_t *ret_kr, key_serial_t *ret_k)
{
	key_serial_t kr, k;
	int r;

	r = our_keyring(false, &kr);
	if (r < 0)
		return r;
	k = keyctl_search(kr, "user", name, 0);
	if (k < 0)
		return errno == ENOKEY || errno == EKEYEXPIRED ||
				       errno == EKEYREVOKED
			       ? TA_ERR_KEY_NOT_FOUND
			       : TA_ERR_SYSTEM;
	*ret_kr = kr;
	*ret_k = k;
	return 0;
}

int cache_keyring_get(const char *name, uint8_t **ret, size_t *ret_len)
{
	key_serial_t kr, k;
	void *data = NULL;
	long n;
	int r;

	r = find_entry(name, &kr, &k);
	if (r < 0)
		return r;
	n = keyctl_read_alloc(k, &data);
	if (n < 0)
		return errno == EKEYEXPIRED || errno == EKEYREVOKED
			       ? TA_ERR_KEY_NOT_FOUND
			       : TA_ERR_SYSTEM;
	*ret = data;
	*ret_len = (size_t)n;
	return 0;
}

int cache_keyring_put(const char *name, const void *data, size_t len,
		      unsigned lifetime)
{
	key_serial_t kr, k;
	int r;

	r = our_keyring(true, &kr);
	if (r < 0)
		return r;
	k = add_key("user", name, data, len, kr);
	if (k < 0)
		return TA_ERR_SYSTEM;
	if (keyctl_setperm(k, KEY_PERMS) < 0 ||
	    (lifetime && keyctl_set_timeout(k, lifetime) < 0)) {
		int saved = errno;

		keyctl_invalidate(k);
		errno = saved;
		return TA_ERR_SYSTEM;
	}
	return 0;
}

int cache_keyring_drop(const char *name)
{
	key_serial_t kr, k;
	int r;

	r = find_entry(name, &kr, &k);
	if (r == TA_ERR_KEY_NOT_FOUND)
		return 0;
	if (r < 0)
		return r;
	if (keyctl_invalidate(k) < 0 && keyctl_unlink(k, kr) < 0)
		return TA_ERR_SYSTEM;
	return 0;
}

int cache_keyring_list(const char *prefix, char ***ret, size_t *ret_n)
{
	size_t plen = strlen(prefix), n = 0;
	key_serial_t kr, *keys = NULL;
	char **ids = NULL;
	void *data = NULL;
	long len;
	int r;

	*ret = NULL;
	*ret_n = 0;
	r = our_keyring(false, &kr);
	if (r == TA_ERR_KEY_NOT_FOUND)
		return 0;
	if (r < 0)
		return r;
	len = keyctl_read_alloc(kr, &data);
	if (len < 0)
		return TA_ERR_SYSTEM;
	keys = data;
	ids = calloc((size_t)len / sizeof(key_serial_t) + 1, sizeof(char *));
	if (!ids) {
		free(data);
		return TA_ERR_NOMEM;
	}
	for (size_t i = 0; i < (size_t)len / sizeof(key_serial_t); i++) {
		char *desc = NULL, *name;

		/* "type;uid;gid;perm;name"; an expired or revoked entry
		 * cannot be described and is skipped. */
		if (keyctl_describe_alloc(keys[i], &desc) < 0)
			continue;
		name = desc;
		for (int f = 0; f < 4 && name; f++) {
			name = strchr(name, ';');
			if (name)
				name++;
		}
		if (name && strncmp(desc, "user;", 5) == 0 && strncmp(name, prefix, plen) == 0 &&
		    (ids[n] = strdup(name + plen)))
			n++;
		free(desc);
	}
	free(data);
	*ret = ids;
	*ret_n = n;
	return 0;
}
