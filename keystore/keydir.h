/* SPDX-License-Identifier: MIT */
/* keydir.h - the identities in a key directory: every NAME.tpm (comment
 * from NAME.pub) and its NAME-cert.pub certificate.  Reads files only:
 * listing never opens the TPM. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "keyfile.h"
#include "sshkey.h"

#define KEYDIR_MAX_KEYS 1024

struct identity {
	char *path;               /* the .tpm file */
	struct tpm_keyfile *kf;   /* parsed key file */
	struct sshkey *key;       /* its public key */
	uint8_t *blob;            /* key blob, or certificate blob */
	size_t blob_len;
	char *comment;
	bool is_cert;
	/* Added with ssh-add (a software key in the keyring): path, kf and
	 * key are NULL; the private key is fetched when it signs. */
	bool added;
	bool confirm; /* every use asked (ssh-add -c, --confirm-loaded) */
	uint8_t *dest; /* destination constraints (ssh-add -h), as sent */
	size_t dest_len;
	unsigned fallback; /* listed by fallback agent number fallback - 1
			    * (only blob and comment are set); 0: ours */
};

struct identity_list {
	struct identity *v;
	size_t n;
};

/* Free what an identity holds (it may be half built) and zero it; for
 * _cleanup_(identity_clear) on a struct identity. */
void identity_clear(struct identity *id);
/* An empty list (NULL: no memory). */
struct identity_list *identity_list_new(void);
void identity_list_free(struct identity_list *l);
DEFINE_CLEANUP(struct identity_list, identity_list_free)

/* id->key and id->blob from id->kf's public area. */
int identity_set_public(struct identity *id);
/* pub_path (a .pub line) holds key: 0 and its comment (sanitized, or
 * NULL for none); TA_ERR_KEY_NOT_FOUND for another key, else why not. */
int keydir_read_pub(const char *pub_path, const struct sshkey *key, char **ret_comment);

/* Scan dir (non-recursive).  Unreadable or invalid key files are skipped
 * (logged at debug); a missing directory gives an empty list. */
int keydir_scan(const char *dir, struct identity_list **ret);
/* keydir_scan, through an index file in the user's runtime directory
 * (keyindex.h; idx_path NULL: none): while every file stats as when it
 * was scanned, the identities come from it, without kf and key (see
 * identity_load).  The same list as a scan, in the same order. */
int keydir_scan_indexed(const char *dir, const char *idx_path, struct identity_list **ret);
/* The key-dir identity whose blob is blob, its key file read and checked
 * to hold that key: a list of it alone, or empty.  With a
 * current index only that key file is read.  (When two files hold one
 * key, a file added since the index was written may be listed before the
 * one found here: the same key, signing the same.) */
int keydir_lookup(const char *dir, const char *idx_path, const uint8_t *blob, size_t len,
		  struct identity_list **ret);
/* An identity from the index: read its key file into kf and key, checked
 * to be the listed key (TA_ERR_KEY_NOT_FOUND when it changed since).  A
 * no-op for identities that have them. */
int identity_load(struct identity *id);

/* The identity whose blob equals blob, or NULL. */
const struct identity *identity_list_find(const struct identity_list *l,
					  const uint8_t *blob, size_t len);
