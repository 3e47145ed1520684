/* SPDX-License-Identifier: MIT */
/* identities.c - the one source of the identities this agent offers, for
 * listing and for signing alike: the key dir now; keys added with ssh-add
 * or ssh-tpm-add (cache records) and fallback agents' identities come
 * after it, in that order. */
#include <stdlib.h>

#include "err.h"
#include "handler.h"

int handler_identities(struct handler_conn *c, struct identity_list **ret)
{
	struct identity_list *l;

	if (!c->cfg->no_load)
		return keydir_scan(c->cfg->key_dir, ret);
	l = calloc(1, sizeof(*l));
	if (!l)
		return TA_ERR_NOMEM;
	*ret = l;
	return 0;
}
