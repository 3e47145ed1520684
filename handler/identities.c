/* SPDX-License-Identifier: MIT */
/* identities.c - the one source of the identities this agent offers, for
 * listing and for signing alike: the key dir first, then the keys added
 * with ssh-add (cache records, oldest first, none twice).  Fallback
 * agents' identities come after those (fallback.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "added.h"
#include "dest.h"
#include "err.h"
#include "handler.h"
#include "log.h"
#include "pubkey.h"
#include "sign.h"
#include "sysutil.h"

/* Append the added identities to l. */
static int append_added(struct handler_conn *c, struct identity_list *l)
{
	struct added *v = NULL;
	struct identity *grown;
	size_t n = 0;
	int r;

	r = added_list(c, &v, &n);
	if (r < 0) {
		log_warning("added identities cannot be read: %s", ta_strerror(r));
		return 0;
	}
	if (n == 0)
		return 0;
	grown = realloc(l->v, (l->n + n) * sizeof(*grown));
	if (!grown) {
		r = TA_ERR_NOMEM;
		goto out;
	}
	l->v = grown;
	for (size_t i = 0; i < n; i++) {
		struct tpm_keyfile *kf = NULL;
		struct sshkey *key = NULL;

		struct identity *same = (struct identity *)identity_list_find(l, v[i].blob,
									     v[i].blob_len);

		/* Added again over a key-dir key (ssh-tpm-add -c of
		 * ~/.ssh/id_ecdsa.tpm): listed once, with the added
		 * constraint.  (Its lifetime cannot remove a file.) */
		if (same) {
			same->confirm = same->confirm || (v[i].flags & ADDED_CONFIRM);
			/* ... and its destination constraints (ssh-tpm-add -h
			 * is a restriction asked for). */
			if (v[i].dest && !same->dest) {
				same->dest = TAKE_PTR(v[i].dest);
				same->dest_len = v[i].dest_len;
			}
			continue;
		}
		/* A TPM key from ssh-tpm-add signs as a key-dir key does. */
		if ((v[i].flags & ADDED_TPM) &&
		    (keyfile_parse_der(v[i].key, v[i].key_len, &kf) < 0 ||
		     tpm_public_to_sshkey(&kf->pub, &key) < 0)) {
			keyfile_free(kf);
			continue;
		}
		l->v[l->n++] = (struct identity){
			.path = kf ? strdup("(added with ssh-tpm-add)") : NULL,
			.kf = kf,
			.key = key,
			.blob = TAKE_PTR(v[i].blob),
			.blob_len = v[i].blob_len,
			.comment = TAKE_PTR(v[i].comment),
			.is_cert = false,
			.added = true,
			.confirm = v[i].flags & ADDED_CONFIRM,
			.dest = TAKE_PTR(v[i].dest),
			.dest_len = v[i].dest_len,
		};
	}
out:
	for (size_t i = 0; i < n; i++)
		added_clear(&v[i]);
	free(v);
	return r;
}

const char *handler_keyidx_path(struct handler_conn *c)
{
	_cleanup_free_ char *rt = NULL;
	uint8_t md[64];
	char hex[33];

	if (c->keyidx_tried)
		return c->keyidx_path;
	c->keyidx_tried = true;
	/* One index per key dir (named by a hash of its path). */
	if (runtime_dir(&rt) < 0 ||
	    ta_hash_digest(TA_HASH_SHA256, c->cfg->key_dir, strlen(c->cfg->key_dir), md) < 0)
		return NULL;
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (asprintf(&c->keyidx_path, "%s/keydir-%s.index", rt, hex) < 0)
		c->keyidx_path = NULL;
	return c->keyidx_path;
}

/* The key dir's part: all of it, or (blob) only the one identity. */
static int keydir_part(struct handler_conn *c, const uint8_t *blob, size_t len,
		       struct identity_list **ret)
{
	_cleanup_(identity_list_freep) struct identity_list *l = NULL;
	int r;

	*ret = NULL;
	if (c->cfg->no_load)
		return (*ret = identity_list_new()) ? 0 : TA_ERR_NOMEM;
	r = blob ? keydir_lookup(c->cfg->key_dir, handler_keyidx_path(c), blob, len, &l)
		 : keydir_scan_indexed(c->cfg->key_dir, handler_keyidx_path(c), &l);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n; i++)
		l->v[i].confirm = c->cfg->confirm_loaded;
	*ret = TAKE_PTR(l);
	return 0;
}

int handler_identities(struct handler_conn *c, struct identity_list **ret)
{
	return handler_identities_for(c, NULL, 0, ret);
}

int handler_identities_for(struct handler_conn *c, const uint8_t *blob, size_t len,
			   struct identity_list **ret)
{
	_cleanup_(identity_list_freep) struct identity_list *l = NULL;
	int r;

	r = keydir_part(c, blob, len, &l);
	if (r < 0)
		return r;
	r = handler_append_hierarchy(c, l);
	if (r < 0)
		return r;
	r = append_added(c, l);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(l);
	return 0;
}

bool handler_permitted(struct handler_conn *c, const struct identity *id)
{
	return dest_permitted(c, id->dest, id->dest_len, NULL) == 0;
}
