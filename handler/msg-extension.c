/* SPDX-License-Identifier: MIT */
/* msg-extension.c - SSH_AGENTC_EXTENSION.
 * - "session-bind@openssh.com" (PROTOCOL.agent): the host key's
 *   signature over the session id is checked, and the binding kept for
 *   this connection (the handler's lifetime), as OpenSSH's agent keeps it
 *   for the socket.  Refused: EXTENSION_FAILURE, as OpenSSH answers.
 * - "query": the extensions we answer ourselves.
 * - "tpm-add-key", the Go ssh-tpm-agent's extension that ssh-tpm-add
 *   speaks (either tool with either agent): u8 17|25, string "TPMKEY",
 *   string TSS2 key (DER; PEM taken too), string certificate (empty for
 *   none), then constraints.  The key file's contents travel, so the
 *   agent never opens a path a client names.
 * Any other extension goes to the fallback agents; with none that takes
 * it, FAILURE, as OpenSSH's agent gives. */
#include <stdlib.h>
#include <string.h>

#include "added.h"
#include "agent.h"
#include "err.h"
#include "fallback.h"
#include "handler.h"
#include "keyfile.h"
#include "log.h"
#include "pubkey.h"
#include "softkey.h"
#include "sshkey.h"
#include "tpm.h"

#define TPM_ADD_KEY "tpm-add-key"
#define SESSION_BIND "session-bind@openssh.com"
#define QUERY "query"

/* 1 when blob is one of our identities (key dir or added), else 0. */
static int held_already(struct handler_conn *c, const uint8_t *blob, size_t len)
{
	_cleanup_(identity_list_freep) struct identity_list *ids = NULL;
	int r = handler_identities(c, &ids);

	if (r < 0)
		return r;
	return identity_list_find(ids, blob, len) ? 1 : 0;
}

static int tpm_add_key(struct handler_conn *c, struct buf *req)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	_cleanup_(sshkey_freep) struct sshkey *key = NULL, *certified = NULL;
	_cleanup_(buf_freep) struct buf *blob = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	_cleanup_free_ char *fp = NULL;
	const uint8_t *tag, *kbytes, *cert;
	size_t tag_len, k_len, cert_len, der_len = 0;
	const uint8_t *dest = NULL;
	size_t dest_len = 0;
	unsigned lifetime = 0;
	uint32_t flags = ADDED_TPM;
	uint8_t type;
	int r;

	if ((r = buf_get_u8(req, &type)) < 0 || (r = buf_get_string_direct(req, &tag, &tag_len)) < 0 ||
	    (r = buf_get_string_direct(req, &kbytes, &k_len)) < 0 ||
	    (r = buf_get_string_direct(req, &cert, &cert_len)) < 0)
		return r;
	if ((type != SSH_AGENTC_ADD_IDENTITY && type != SSH_AGENTC_ADD_ID_CONSTRAINED) ||
	    tag_len != 6 || memcmp(tag, "TPMKEY", 6) != 0) {
		log_info(TPM_ADD_KEY ": not a TPM key message (type %u)", type);
		return TA_ERR_FORMAT;
	}
	if ((r = added_parse_constraints(req, &lifetime, &flags, &dest, &dest_len)) < 0)
		return r;
	r = k_len > 10 && memcmp(kbytes, "-----BEGIN", 10) == 0 ? keyfile_parse(kbytes, k_len, &kf)
								 : keyfile_parse_der(kbytes, k_len, &kf);
	if (r >= 0)
		r = tpm_public_to_sshkey(&kf->pub, &key);
	if (r < 0) {
		log_info(TPM_ADD_KEY ": the key: %s", ta_strerror(r));
		return r;
	}
	if ((r = sshkey_fingerprint(key, &fp)) < 0)
		return r;
	if (kf->description && strlen(kf->description) > ADDED_MAX_COMMENT) {
		log_info(TPM_ADD_KEY ": a description of %zu bytes (at most %d)",
			 strlen(kf->description), ADDED_MAX_COMMENT);
		return TA_ERR_TOO_LARGE;
	}
	if (cert_len) {
		/* A certificate of this very key, or nothing. */
		r = softkey_cert_check(cert, cert_len);
		if (r >= 0)
			r = sshkey_cert_public_key(cert, cert_len, &certified);
		if (r < 0 || !sshkey_equal(certified, key)) {
			log_info(TPM_ADD_KEY ": the certificate is not one of %s", fp);
			return r < 0 ? r : TA_ERR_INVALID_ARGUMENT;
		}
	}
	blob = buf_new(SSHKEY_MAX_BLOB);
	if (!blob)
		return TA_ERR_NOMEM;
	if (!cert_len && (r = sshkey_to_blob(key, blob)) < 0)
		return r;
	if (cert_len && (r = buf_put(blob, cert, cert_len)) < 0)
		return r;
	/* A key file proves nothing (its public part is all a forged one
	 * needs): from a forwarded connection it may not replace what
	 * constrains a key we hold. */
	if (handler_is_remote(c) && (r = held_already(c, buf_ptr(blob), buf_len(blob))) != 0) {
		if (r > 0)
			log_info(TPM_ADD_KEY " from a forwarded connection over a key this agent holds (%s): refused",
				 fp);
		return r > 0 ? TA_ERR_INVALID_ARGUMENT : r;
	}
	/* A key file is no proof by itself (the public part is all a forged
	 * one needs): it must load in this TPM, or it could replace the
	 * record of a key we hold, its constraints with it. */
	{
		_cleanup_(tpm_closep) struct tpm *t = NULL;

		r = tpm_open(&c->tpm, &t);
		if (r >= 0)
			r = tpm_key_check(t, kf);
		if (r < 0) {
			log_info(TPM_ADD_KEY ": %s does not load in this TPM: %s", fp, ta_strerror(r));
			return r;
		}
	}
	/* Kept in our own encoding, description and all. */
	if ((r = keyfile_to_der(kf, true, &der, &der_len)) < 0)
		return r;
	r = added_put(c, buf_ptr(blob), buf_len(blob), der, der_len,
		      kf->description ? kf->description : "", dest, dest_len, flags, lifetime);
	if (r < 0)
		return r;
	log_debug(TPM_ADD_KEY " from pid %d uid %u: %s%s (%s), lifetime %u s%s", (int)c->peer.pid,
		  (unsigned)c->peer.uid, fp, cert_len ? " certificate" : "",
		  kf->description ? kf->description : "", lifetime,
		  flags & ADDED_CONFIRM ? ", confirm" : "");
	return 0;
}

static void binding_clear(struct handler_binding *b)
{
	free(b->hostkey);
	free(b->sid);
	memset(b, 0, sizeof(*b));
}

void handler_bindings_clear(struct handler_conn *c)
{
	for (size_t i = 0; i < c->n_bindings; i++)
		binding_clear(&c->bindings[i]);
	c->n_bindings = 0;
	for (size_t i = 0; i < c->n_bind_requests; i++)
		free(c->bind_requests[i].msg);
	c->n_bind_requests = 0;
}

bool handler_is_remote(const struct handler_conn *c)
{
	return c->n_bindings > 0 || c->bind_failed;
}

/* Kept for fallbacks that connect later, and passed on to those that are
 * connected: each fallback judges every bind itself, as if the client
 * spoke to it (a host key type we cannot check is no reason for a
 * fallback to think the connection local). */
static void pass_bind_on(struct handler_conn *c)
{
	struct handler_bind_request *b = &c->bind_requests[c->n_bind_requests];

	if (c->cfg->n_fallbacks == 0)
		return;
	if (c->n_bind_requests >= HANDLER_MAX_BIND_REQUESTS ||
	    c->request_len > HANDLER_MAX_BIND_REQUEST || !(b->msg = malloc(c->request_len))) {
		c->bind_requests_lost = true;
	} else {
		memcpy(b->msg, c->request, c->request_len);
		b->len = c->request_len;
		c->n_bind_requests++;
	}
	fallback_bind(c, c->request, c->request_len);
}

/* string host key, string session id, string signature, bool forwarding
 * -- the rules of OpenSSH's process_ext_session_bind. */
static int session_bind(struct handler_conn *c, struct buf *req)
{
	_cleanup_(binding_clear) struct handler_binding nb = { 0 };
	const uint8_t *key, *sid, *sig;
	size_t key_len, sid_len, sig_len;
	uint8_t fwd;
	int r;

	pass_bind_on(c);
	c->bind_failed = true; /* until it is recorded */
	if ((r = buf_get_string_direct(req, &key, &key_len)) < 0 ||
	    (r = buf_get_string_direct(req, &sid, &sid_len)) < 0 ||
	    (r = buf_get_string_direct(req, &sig, &sig_len)) < 0 || (r = buf_get_u8(req, &fwd)) < 0)
		return r;
	if (buf_len(req) != 0)
		return TA_ERR_TRAILING;
	if (sid_len > HANDLER_MAX_SID || sid_len == 0) {
		log_info(SESSION_BIND ": a session id of %zu bytes", sid_len);
		return TA_ERR_FORMAT;
	}
	r = softkey_verify(key, key_len, sig, sig_len, sid, sid_len);
	if (r < 0) {
		log_info(SESSION_BIND ": the host key's signature of the session id does not verify: %s",
			 ta_strerror(r));
		return r;
	}
	for (size_t i = 0; i < c->n_bindings; i++) {
		const struct handler_binding *b = &c->bindings[i];
		bool sid_match = buf_bytes_equal(sid, sid_len, b->sid, b->sid_len);

		if (!b->forwarded) {
			log_info(SESSION_BIND ": this connection is bound for a login already");
			return TA_ERR_INVALID_ARGUMENT;
		}
		if (sid_match && buf_bytes_equal(key, key_len, b->hostkey, b->hostkey_len)) {
			c->bind_failed = false;
			return 0; /* recorded already */
		}
		if (sid_match) {
			log_info(SESSION_BIND ": the session id is bound to another host key");
			return TA_ERR_INVALID_ARGUMENT;
		}
	}
	if (c->n_bindings >= HANDLER_MAX_BINDINGS) {
		log_info(SESSION_BIND ": more than %d sessions bound", HANDLER_MAX_BINDINGS);
		return TA_ERR_TOO_LARGE;
	}
	nb.forwarded = fwd != 0;
	if (!(nb.hostkey = malloc(key_len)) || !(nb.sid = malloc(sid_len)))
		return TA_ERR_NOMEM;
	memcpy(nb.hostkey, key, key_len);
	nb.hostkey_len = key_len;
	memcpy(nb.sid, sid, sid_len);
	nb.sid_len = sid_len;
	c->bindings[c->n_bindings++] = nb;
	memset(&nb, 0, sizeof(nb));
	c->bind_failed = false;
	log_debug(SESSION_BIND " from pid %d: session %zu bound%s", (int)c->peer.pid,
		  c->n_bindings, fwd ? " (forwarding)" : "");
	return 0;
}

int handler_session_bind(struct handler_conn *c, struct buf *req, struct buf *resp)
{
	int r = session_bind(c, req);

	buf_reset(resp);
	return buf_put_u8(resp, r < 0 ? SSH_AGENT_EXTENSION_FAILURE : SSH_AGENT_SUCCESS);
}

static int query(struct buf *req, struct buf *resp)
{
	int r;

	if (buf_len(req) != 0)
		return TA_ERR_TRAILING;
	if ((r = buf_put_u8(resp, SSH_AGENT_EXTENSION_RESPONSE)) < 0 ||
	    (r = buf_put_cstring(resp, QUERY)) < 0 || (r = buf_put_cstring(resp, SESSION_BIND)) < 0 ||
	    (r = buf_put_cstring(resp, TPM_ADD_KEY)) < 0)
		return r;
	return 0;
}

int handler_extension(struct handler_conn *c, struct buf *req, struct buf *resp)
{
	_cleanup_free_ char *name = NULL;
	int r;

	if ((r = buf_get_cstring(req, &name, NULL)) < 0)
		return r;
	if (strcmp(name, SESSION_BIND) == 0)
		return handler_session_bind(c, req, resp);
	if (strcmp(name, QUERY) == 0)
		return query(req, resp);
	if (strcmp(name, FALLBACK_HOPS) == 0) {
		uint32_t hops;

		if ((r = buf_get_u32(req, &hops)) < 0)
			return r;
		/* Deeper only: a client cannot make us shallower. */
		if (hops > FALLBACK_MAX_HOPS)
			hops = FALLBACK_MAX_HOPS;
		if (hops > c->hops)
			c->hops = hops;
		return buf_put_u8(resp, SSH_AGENT_SUCCESS);
	}
	if (strcmp(name, TPM_ADD_KEY) == 0) {
		r = tpm_add_key(c, req);
		return r < 0 ? r : buf_put_u8(resp, SSH_AGENT_SUCCESS);
	}
	if (c->cfg->n_fallbacks > 0)
		return handler_pass_through(c, resp);
	log_debug("extension '%s': not supported", name);
	return TA_ERR_UNSUPPORTED;
}
