/* SPDX-License-Identifier: MIT */
/* identities.c - the one source of the identities this agent offers, for
 * listing and for signing alike: the key dir first, then the keys added
 * with ssh-add (cache records, oldest first, none twice); fallback
 * agents' identities will come after those. */
#include <stdlib.h>
#include <string.h>

#include "added.h"
#include "err.h"
#include "handler.h"
#include "log.h"

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
		if (identity_list_find(l, v[i].blob, v[i].blob_len))
			continue;
		l->v[l->n++] = (struct identity){
			.blob = TAKE_PTR(v[i].blob),
			.blob_len = v[i].blob_len,
			.comment = TAKE_PTR(v[i].comment),
			.is_cert = false,
			.added = true,
		};
	}
out:
	for (size_t i = 0; i < n; i++)
		added_clear(&v[i]);
	free(v);
	return r;
}

int handler_identities(struct handler_conn *c, struct identity_list **ret)
{
	_cleanup_(identity_list_freep) struct identity_list *l = NULL;
	int r;

	if (!c->cfg->no_load) {
		r = keydir_scan(c->cfg->key_dir, &l);
		if (r < 0)
			return r;
	} else if (!(l = calloc(1, sizeof(*l)))) {
		return TA_ERR_NOMEM;
	}
	r = append_added(c, l);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(l);
	return 0;
}
