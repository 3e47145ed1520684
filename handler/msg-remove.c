/* SPDX-License-Identifier: MIT */
/* msg-remove.c - REMOVE_IDENTITY and REMOVE_ALL_IDENTITIES: they remove
 * identities added with ssh-add.  Key-dir keys come from files and stay:
 * removing one is refused (delete or move its file instead); removing all
 * removes every added identity and leaves the key dir alone.  A key a
 * fallback agent holds is removed there (the one that lists it); removing
 * all removes all at every fallback agent too.
 * A record over a key-dir key (ssh-tpm-add -c or -h of ~/.ssh/id_ecdsa.tpm)
 * is what constrains that key: removing it would not remove the key, only
 * its constraints, so a forwarded connection cannot. */
#include "added.h"
#include "agent.h"
#include "err.h"
#include "fallback.h"
#include "handler.h"
#include "keydir.h"
#include "log.h"

/* The key dir's identities, for a forwarded connection (else none). */
static int keydir_for_remote(struct handler_conn *c, struct identity_list **ret)
{
	*ret = NULL;
	if (!handler_is_remote(c) || c->cfg->no_load)
		return 0;
	return keydir_scan(c->cfg->key_dir, ret);
}

int handler_remove_identity(struct handler_conn *c, struct buf *req, struct buf *resp)
{
	_cleanup_(identity_list_freep) struct identity_list *kd = NULL;
	const uint8_t *blob;
	size_t len;
	int r;

	if ((r = buf_get_string_direct(req, &blob, &len)) < 0)
		return r;
	if (buf_len(req) != 0)
		return TA_ERR_TRAILING;
	if ((r = keydir_for_remote(c, &kd)) < 0)
		return r;
	if (kd && identity_list_find(kd, blob, len)) {
		log_info("REMOVE_IDENTITY from a forwarded connection: the constraints of a key-dir key stay");
		return TA_ERR_INVALID_ARGUMENT;
	}
	r = added_drop(c, blob, len);
	if (r == TA_ERR_KEY_NOT_FOUND) {
		_cleanup_(identity_list_freep) struct identity_list *ids = NULL;
		const struct identity *id = NULL;
		size_t i;

		if (handler_identities(c, &ids) == 0 &&
		    (id = identity_list_find(ids, blob, len)) && !id->added) {
			if (id->kf && id->kf->hierarchy)
				log_info("REMOVE_IDENTITY: %s is a hierarchy key: the agent offers it while started with --hierarchy",
					 id->comment);
			else
				log_info("REMOVE_IDENTITY: %s is a key file in the key dir: remove or move the file to remove it",
					 id->path);
		}
		if (!id && c->cfg->n_fallbacks > 0 && fallback_find(c, blob, len, &i) == 0)
			return fallback_call(c, i, c->request, c->request_len, resp,
					     FALLBACK_QUICK_MS);
	}
	if (r < 0)
		return r;
	return buf_put_u8(resp, SSH_AGENT_SUCCESS);
}

int handler_remove_all_identities(struct handler_conn *c, struct buf *req,
				  struct buf *resp)
{
	_cleanup_(identity_list_freep) struct identity_list *kd = NULL;
	int r;

	if (buf_len(req) != 0)
		return TA_ERR_TRAILING;
	if ((r = keydir_for_remote(c, &kd)) < 0)
		return r;
	r = added_drop_all(c, kd);
	for (size_t i = 0; i < c->cfg->n_fallbacks; i++) {
		_cleanup_(buf_freep) struct buf *fr = buf_new(AGENT_MAX_LEN);
		uint8_t t = 0;

		if (!fr)
			return TA_ERR_NOMEM;
		if (fallback_call(c, i, c->request, c->request_len, fr, FALLBACK_QUICK_MS) == 0 &&
		    buf_get_u8(fr, &t) == 0 && t != SSH_AGENT_SUCCESS)
			log_debug("REMOVE_ALL_IDENTITIES: fallback agent %s answered %u",
				  c->cfg->fallbacks[i], t);
	}
	if (r < 0)
		return r;
	return buf_put_u8(resp, SSH_AGENT_SUCCESS);
}
