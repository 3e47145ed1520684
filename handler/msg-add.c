/* SPDX-License-Identifier: MIT */
/* msg-add.c - ADD_IDENTITY and ADD_ID_CONSTRAINED: a software key from
 * ssh-add, checked, then kept as the bytes ssh-add sent in the user's
 * kernel keyring (added.c).  Constraints as OpenSSH's agent takes them:
 * a lifetime (the keyring entry's timeout, so it holds with no process
 * alive) and confirm (every use asked through SSH_ASKPASS); anything
 * else is refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "added.h"
#include "agent.h"
#include "err.h"
#include "handler.h"
#include "log.h"
#include "softkey.h"

static int add(struct handler_conn *c, struct buf *req, struct buf *resp, bool constrained)
{
	_cleanup_(softkey_freep) struct softkey *k = NULL;
	_cleanup_free_ char *comment = NULL, *fp = NULL;
	const uint8_t *key = buf_ptr(req), *blob;
	size_t key_len, blob_len, before = buf_len(req);
	const uint8_t *dest = NULL;
	size_t dest_len = 0;
	unsigned lifetime = 0;
	uint32_t flags = 0;
	int r;

	r = softkey_parse(req, &k);
	/* sk-* keys and others: a fallback agent may hold them. */
	if (r == TA_ERR_KEY_TYPE && c->cfg->n_fallbacks > 0)
		return handler_pass_through(c, resp);
	if (r == TA_ERR_KEY_TYPE)
		log_info("ADD_IDENTITY: a key type this agent does not hold (ed25519, ecdsa and rsa keys only)");
	if (r < 0)
		return r;
	key_len = before - buf_len(req);
	if ((r = buf_get_cstring(req, &comment, NULL)) < 0)
		return r;
	/* The keyring's per-user quota (20000 bytes by default) is shared
	 * with every cached passphrase: no room for essays. */
	if (strlen(comment) > ADDED_MAX_COMMENT) {
		log_info("ADD_IDENTITY: a comment of %zu bytes (at most %d)", strlen(comment),
			 ADDED_MAX_COMMENT);
		return TA_ERR_TOO_LARGE;
	}
	if (constrained &&
	    (r = added_parse_constraints(req, &lifetime, &flags, &dest, &dest_len)) < 0)
		return r;
	if (buf_len(req) != 0)
		return TA_ERR_TRAILING;
	softkey_blob(k, &blob, &blob_len);
	if ((r = softkey_fingerprint(k, &fp)) < 0)
		return r;
	r = added_put(c, blob, blob_len, key, key_len, comment, dest, dest_len, flags, lifetime);
	if (r == TA_ERR_UNSUPPORTED)
		log_error("no kernel keyring to keep %s in (a service needs KeyringMode=shared): not added",
			  fp);
	else if (r == TA_ERR_SYSTEM && errno == EDQUOT)
		log_error("the kernel keyring quota of uid %u is full (/proc/sys/kernel/keys/maxbytes, maxkeys): %s not added",
			  (unsigned)geteuid(), fp);
	if (r < 0)
		return r;
	log_debug("ADD_IDENTITY from pid %d uid %u: %s %s (%s), lifetime %u s%s%s",
		  (int)c->peer.pid, (unsigned)c->peer.uid, softkey_label(k), fp,
		  comment, lifetime, flags & ADDED_CONFIRM ? ", confirm" : "",
		  dest ? ", destination-constrained" : "");
	return buf_put_u8(resp, SSH_AGENT_SUCCESS);
}

int handler_add_identity(struct handler_conn *c, struct buf *req, struct buf *resp)
{
	return add(c, req, resp, false);
}

int handler_add_id_constrained(struct handler_conn *c, struct buf *req, struct buf *resp)
{
	return add(c, req, resp, true);
}
