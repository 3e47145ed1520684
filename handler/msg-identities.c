/* SPDX-License-Identifier: MIT */
/* msg-identities.c - REQUEST_IDENTITIES: every identity we offer (key
 * dir keys and their certificates, added keys this connection may see),
 * then the fallback agents' (none twice).  Reads files and the keyring
 * only; the TPM is not opened. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fallback.h"
#include "handler.h"
#include "keydir.h"
#include "log.h"
#include "agent.h"

int handler_request_identities(struct handler_conn *c, struct buf *req,
			       struct buf *resp)
{
	_cleanup_(identity_list_freep) struct identity_list *ids = NULL, *fb = NULL;
	size_t n;
	int r;

	if (buf_len(req) != 0)
		return TA_ERR_TRAILING;
	r = handler_identities(c, &ids);
	if (r < 0)
		return r;
	if (c->cfg->n_fallbacks > 0) {
		r = fallback_identities(c, ids, &fb);
		if (r < 0)
			return r;
	}
	/* Hidden by its destination constraints: not listed (a fallback's
	 * copy of the same key stays hidden too: ours is the one that
	 * would sign). */
	n = 0;
	for (size_t i = 0; i < ids->n; i++) {
		if (!handler_permitted(c, &ids->v[i])) {
			identity_clear(&ids->v[i]);
			continue;
		}
		ids->v[n++] = ids->v[i];
	}
	ids->n = n;
	if (fb && fb->n > 0) {
		struct identity *grown = realloc(ids->v, (ids->n + fb->n) * sizeof(*grown));

		if (!grown)
			return TA_ERR_NOMEM;
		ids->v = grown;
		memcpy(ids->v + ids->n, fb->v, fb->n * sizeof(*grown));
		ids->n += fb->n;
		/* ids owns them now. */
		for (size_t i = 0; i < fb->n; i++) {
			fb->v[i].blob = NULL;
			fb->v[i].comment = NULL;
		}
	}
	/* What this listing saw, none included (a key gone from a fallback
	 * must not stay mapped to it). */
	if (fb && fallback_remember(c, ids->v + ids->n - fb->n, fb->n) < 0)
		log_debug("the fallbacks' listing is not kept: a signature lists again");
	n = ids->n;
	/* OpenSSH's clients refuse a longer list whole. */
	if (n > AGENT_MAX_IDENTITIES) {
		log_warning("%zu identities (with the fallbacks'): listing the first %d", n,
			    AGENT_MAX_IDENTITIES);
		n = AGENT_MAX_IDENTITIES;
	}
	/* Answer only what fits in one frame (clients have the same limit). */
	for (size_t i = 0, size = 5; i < n; i++) {
		size += 8 + ids->v[i].blob_len + strlen(ids->v[i].comment);
		if (size > buf_max(resp)) {
			log_warning("%s: %zu identities do not fit in one reply; listing %zu",
				    c->cfg->key_dir, n, i);
			n = i;
			break;
		}
	}
	log_debug("REQUEST_IDENTITIES from pid %d uid %u: %zu identities",
		  (int)c->peer.pid, (unsigned)c->peer.uid, n);
	if ((r = buf_put_u8(resp, SSH_AGENT_IDENTITIES_ANSWER)) != 0 ||
	    (r = buf_put_u32(resp, (uint32_t)n)) != 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = buf_put_string(resp, ids->v[i].blob,
					ids->v[i].blob_len)) != 0 ||
		    (r = buf_put_cstring(resp, ids->v[i].comment)) != 0)
			return r;
	return 0;
}
