/* SPDX-License-Identifier: MIT */
/* msg-sign.c - SIGN_REQUEST: find the identity (key or certificate) among
 * those we offer, ask for its passphrase if it has one, open the TPM,
 * sign, close the TPM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "added.h"
#include "ask.h"
#include "cache.h"
#include "dest.h"
#include "err.h"
#include "fallback.h"
#include "handler.h"
#include "keydir.h"
#include "log.h"
#include "pubkey.h"
#include "agent.h"
#include "sign.h"
#include "softkey.h"
#include "sysutil.h"

enum ta_hash handler_sign_hash(enum sshkey_type type, uint32_t flags)
{
	if (type != SSHKEY_RSA)
		return sshkey_ecdsa_hash(type);
	/* Like OpenSSH's agent: SHA-256 wins if both flags are set; no flag
	 * is the old ssh-rsa (SHA-1). */
	if (flags & SSH_AGENT_RSA_SHA2_256)
		return TA_HASH_SHA256;
	if (flags & SSH_AGENT_RSA_SHA2_512)
		return TA_HASH_SHA512;
	return TA_HASH_SHA1;
}

static struct ask_limits prompt_limits(const struct handler_conn *c)
{
	return (struct ask_limits){ .watch_fd = c->fd,
				    .timeout_s = c->cfg->prompt_timeout };
}

/* The owner password's record: the hex SHA-256 of the TPM's TCTI (one
 * password per TPM). */
static int owner_cache_id(struct handler_conn *c, char id[65])
{
	_cleanup_free_ char *tcti = NULL;
	const char *name;
	uint8_t md[64];
	int r;

	r = tpm_describe_tcti(&c->tpm, &tcti);
	if (r < 0)
		return r;
	name = tcti ? tcti : "default";
	r = ta_hash_digest(TA_HASH_SHA256, name, strlen(name), md);
	if (r < 0)
		return r;
	for (int i = 0; i < 32; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* A cache record as a string (NULL when absent or holding a NUL). */
static int cache_get_string(struct cache *cache, enum cache_kind kind, const char *id, char **ret)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char *s;
	int r;

	*ret = NULL;
	r = cache_get(cache, kind, id, &data, &len);
	if (r < 0)
		return r;
	if (memchr(data, 0, len) || !(s = malloc(len + 1))) {
		erase_and_free(data, len);
		return TA_ERR_FORMAT;
	}
	memcpy(s, data, len);
	s[len] = '\0';
	erase_and_free(data, len);
	*ret = s;
	return 0;
}

/* The owner password for -o: the cached one, else asked (once, not per
 * connection: the keyring keeps it for the cache's timeout once the TPM
 * took it; --no-cache: asked every time).  Kept for this connection,
 * wiped when it ends. */
static int owner_password(struct handler_conn *c, bool *ret_asked)
{
	struct ask_limits lim = prompt_limits(c);
	struct cache *cache;
	char owner_id[65];
	char *pw = NULL;
	int r;

	*ret_asked = false;
	if (owner_cache_id(c, owner_id) >= 0 && handler_conn_cache(c, &cache) >= 0)
		(void)cache_get_string(cache, CACHE_OWNER_PASSWORD, owner_id, &pw);
	if (!pw) {
		r = ask_passphrase("Enter the TPM owner password: ", 0, &lim, &pw);
		ask_release_terminal();
		if (r < 0)
			return r;
		*ret_asked = true;
	}
	c->owner_pw = pw;
	c->tpm.owner_auth = pw;
	return 0;
}

/* Keep the owner password the TPM just took; drop one it refused. */
static void owner_password_keep(struct handler_conn *c, bool asked, bool checked, int r)
{
	struct cache *cache;
	char owner_id[65];

	if (!c->owner_pw || (r != 0 && r != TA_ERR_TPM_OWNER_AUTH) ||
	    owner_cache_id(c, owner_id) < 0 || handler_conn_cache(c, &cache) < 0)
		return;
	if (r == TA_ERR_TPM_OWNER_AUTH)
		cache_drop(cache, CACHE_OWNER_PASSWORD, owner_id);
	/* Only once the TPM took it: saved contexts sign without it, and
	 * would let a wrong one through. */
	else if (asked && checked &&
		 cache_put(cache, CACHE_OWNER_PASSWORD, owner_id, "ssh-tpm-agent: TPM owner password",
			   c->owner_pw, strlen(c->owner_pw), 0) < 0)
		log_warning("cannot cache the TPM owner password");
}

/* Open the TPM (locked only for this), sign, close; the saved contexts
 * tried and kept.  *ret_owner_checked: the owner password was used. */
static int sign_once(struct handler_conn *c, const struct identity *id, const char *pass,
		     uint32_t flags, const uint8_t *data, size_t data_len,
		     struct tpm_saved_ctx *ctx, const char *ctx_id, const char *srk_id,
		     struct buf *sig, bool *ret_owner_checked)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	int r;

	*ret_owner_checked = false;
	buf_reset(sig);
	/* A client that gave up gets no signature (and caches nothing). */
	if (handler_peer_gone(c))
		return TA_ERR_HANGUP;
	r = tpm_open(&c->tpm, &t);
	if (r < 0)
		return r;
	/* Waiting for the TPM (another handler's turn) may take long. */
	if (handler_peer_gone(c))
		return TA_ERR_HANGUP;
	r = keystore_sign_ctx(t, id->kf, pass, handler_sign_hash(id->key->type, flags),
			      data, data_len, ctx, sig);
	*ret_owner_checked = tpm_owner_auth_checked(t);
	tpm_close(TAKE_PTR(t)); /* the TPM is the next handler's */
	if (!ctx)
		return r;
	if (ctx->key.renewed)
		handler_keyctx_put(c, ctx_id, &ctx->key);
	else if (ctx->key.blob && !ctx->key.used)
		handler_keyctx_drop(c, ctx_id); /* stale: not tried again */
	if (ctx->parent.renewed)
		handler_keyctx_put(c, srk_id, &ctx->parent);
	return r;
}

/* One signature attempt.  With -o and saved contexts at hand, the owner
 * password is asked only if the TPM turns out to need it (the contexts
 * did not load and the SRK had to be made). */
static int try_sign(struct handler_conn *c, const struct identity *id,
		    const char *pass, uint32_t flags, const uint8_t *data,
		    size_t data_len, struct buf *sig)
{
	_cleanup_(tpm_saved_ctx_clear) struct tpm_saved_ctx ctx = { 0 };
	char ctx_id[70], srk_id[70];
	bool keep_ctx, need_owner, asked = false, checked = false;
	int r;

	/* The saved contexts, read before the TPM is ours (the lock is held
	 * only for TPM commands). */
	keep_ctx = tpm_saved_ctx_ok(id->kf) && handler_keyctx_ids(c, id->kf, ctx_id, srk_id) == 0;
	if (keep_ctx) {
		(void)handler_keyctx_get(c, ctx_id, &ctx.key);
		(void)handler_keyctx_get(c, srk_id, &ctx.parent);
	}
	need_owner = c->cfg->ask_owner && !c->tpm.owner_auth;
	if (need_owner && !ctx.key.blob && !ctx.parent.blob) {
		r = owner_password(c, &asked);
		if (r < 0)
			return r;
		need_owner = false;
	}
	r = sign_once(c, id, pass, flags, data, data_len, keep_ctx ? &ctx : NULL, ctx_id, srk_id,
		      sig, &checked);
	if (r == TA_ERR_TPM_OWNER_AUTH && need_owner) {
		r = owner_password(c, &asked);
		if (r < 0)
			return r;
		r = sign_once(c, id, pass, flags, data, data_len, keep_ctx ? &ctx : NULL, ctx_id,
			      srk_id, sig, &checked);
	}
	owner_password_keep(c, asked, checked, r);
	return r;
}

/* A passphrase that cannot be right never reaches the TPM, where it would
 * cost a dictionary-attack strike: empty (Enter at the prompt means
 * "cancel", as in ssh and ssh-add) or longer than the TPM accepts. */
static int check_passphrase(const struct identity *id, const char *fp,
			    const char *pass)
{
	size_t max = tpm_auth_max(&id->kf->pub);

	if (!*pass) {
		log_info("empty passphrase for %s: cancelled, nothing sent to the TPM", fp);
		return TA_ERR_CANCELLED;
	}
	if (strlen(pass) > max) {
		log_info("passphrase for %s is %zu bytes, more than the %zu this key can have: not sent to the TPM",
			 fp, strlen(pass), max);
		return TA_ERR_AUTH_TOO_LONG;
	}
	return 0;
}

static int ask_key_passphrase(struct handler_conn *c,
			      const struct identity *id, const char *fp,
			      char **ret)
{
	_cleanup_free_ char *prompt = NULL;
	struct ask_limits lim = prompt_limits(c);
	char *pass = NULL;
	int r;

	*ret = NULL;
	_cleanup_free_ char *name = strdup(id->comment);

	/* One line: a comment from ssh-tpm-add is the client's. */
	if (!name)
		return TA_ERR_NOMEM;
	text_sanitize(name);
	if (asprintf(&prompt, "Enter passphrase for TPM key %s (%s): ", name, fp) < 0)
		return TA_ERR_NOMEM;
	r = ask_passphrase(prompt, 0, &lim, &pass);
	ask_release_terminal();
	if (r == TA_ERR_NO_PROMPT)
		log_warning("no terminal and no askpass to ask for the passphrase of %s (%s): run ssh-tpm-add on that key, which asks in your terminal and caches the passphrase for the agent",
			    id->comment, fp);
	if (r == TA_ERR_TIMEOUT)
		log_info("no passphrase for %s within %u s (--prompt-timeout): not signing",
			 fp, c->cfg->prompt_timeout);
	if (r < 0)
		return r;
	r = check_passphrase(id, fp, pass);
	if (r < 0) {
		secret_free(pass);
		return r;
	}
	*ret = pass;
	return 0;
}

/* A key with a passphrase: the cache first, else ask.  A wrong cached
 * passphrase costs one TPM authorization failure, is dropped, and the
 * user is asked once more -- never more than once per request, so a stale
 * cache cannot walk the TPM into dictionary-attack lockout. */
static int sign_with_passphrase(struct handler_conn *c,
				const struct identity *id, const char *fp,
				uint32_t flags, const uint8_t *data,
				size_t data_len, struct buf *sig)
{
	struct cache *cache;
	char *pass = NULL;
	bool from_cache;
	int r;

	r = handler_conn_cache(c, &cache);
	if (r < 0)
		return r;
	r = cache_get_passphrase(cache, fp, &pass);
	if (r < 0 && r != TA_ERR_KEY_NOT_FOUND)
		log_warning("passphrase cache lookup failed: %s", ta_strerror(r));
	from_cache = r == 0;
	if (from_cache && check_passphrase(id, fp, pass) < 0) {
		cache_drop_passphrase(cache, fp);
		secret_free(pass);
		pass = NULL;
		from_cache = false;
	}
	if (!from_cache) {
		r = ask_key_passphrase(c, id, fp, &pass);
		if (r < 0)
			return r;
	}
	r = try_sign(c, id, pass, flags, data, data_len, sig);
	if (r == TA_ERR_TPM_AUTH && from_cache) {
		log_info("cached passphrase for %s is wrong: dropped, asking again", fp);
		cache_drop_passphrase(cache, fp);
		secret_free(pass);
		pass = NULL;
		from_cache = false;
		r = ask_key_passphrase(c, id, fp, &pass);
		if (r == 0)
			r = try_sign(c, id, pass, flags, data, data_len, sig);
	}
	/* Nothing is cached for a client that is gone: nobody saw a prompt
	 * through to its end. */
	if (r == 0 && !from_cache && !handler_peer_gone(c)) {
		int k = cache_put_passphrase(cache, fp, id->comment, pass);

		if (k < 0)
			log_warning("cannot cache the passphrase: %s", ta_strerror(k));
	}
	secret_free(pass);
	return r;
}

/* ssh-add -c: every use asked through SSH_ASKPASS (SSH_ASKPASS_PROMPT=
 * confirm), naming the key and the program that asks. */
int handler_confirm_use(struct handler_conn *c, const char *comment, const char *fp,
			const char *dest_user)
{
	_cleanup_free_ char *prompt = NULL, *cmdline = handler_peer_cmdline(c),
			    *name = strdup(comment), *exe = strdup(handler_peer_exe(c)),
			    *user = dest_user ? strdup(dest_user) : NULL;
	struct ask_limits lim = prompt_limits(c);
	char *yes = NULL;
	int r;

	/* One line each: the comment is the client's, and a line break in
	 * it must not forge a line of the question. */
	if (!name || !exe || (dest_user && !user))
		return TA_ERR_NOMEM;
	text_sanitize(name);
	text_sanitize(exe);
	if (user)
		text_sanitize(user);
	comment = name;
	/* A destination-constrained key says where (as OpenSSH's does). */
	if (asprintf(&prompt, "Allow use of key %s?\nKey fingerprint %s.%s%s%s\nRequested by %s (pid %d): %s",
		     comment, fp, user ? "\npublic key authentication request for user \"" : "",
		     user ? user : "", user ? "\" to listed host" : "", exe, (int)c->peer.pid,
		     cmdline ? cmdline : "?") < 0)
		return TA_ERR_NOMEM;
	r = ask_passphrase(prompt, ASK_CONFIRM, &lim, &yes);
	secret_free(yes);
	if (r == TA_ERR_NO_PROMPT)
		log_warning("%s needs confirming and there is no SSH_ASKPASS to ask with (DISPLAY or SSH_ASKPASS_REQUIRE=force): refused",
			    fp);
	else if (r < 0)
		log_info("use of %s by pid %d not confirmed", fp, (int)c->peer.pid);
	return r;
}

/* A key added with ssh-add: its private key from the keyring, parsed
 * again (it was checked when added), signed with in this process. */
static int sign_added(struct handler_conn *c, const struct identity *id, const char *dest_user,
		      uint32_t flags, const uint8_t *data, size_t data_len,
		      struct buf *sig)
{
	_cleanup_(softkey_freep) struct softkey *k = NULL;
	_cleanup_(buf_freep) struct buf *kb = NULL;
	_cleanup_free_ char *fp = NULL;
	struct added a;
	int r;

	r = added_get(c, id->blob, id->blob_len, &a);
	if (r < 0)
		return r; /* removed or expired since the listing */
	kb = buf_from(a.key, a.key_len);
	r = kb ? softkey_parse(kb, &k) : TA_ERR_NOMEM;
	if (r >= 0)
		r = softkey_fingerprint(k, &fp);
	if (r >= 0 && (a.flags & ADDED_CONFIRM))
		r = handler_confirm_use(c, a.comment, fp, dest_user);
	if (r >= 0 && log_get_max() >= LOG_LEVEL_DEBUG)
		log_debug("SIGN_REQUEST from pid %d uid %u: added key %s (%s), flags 0x%x, client %s",
			  (int)c->peer.pid, (unsigned)c->peer.uid, fp, a.comment, flags,
			  handler_peer_exe(c));
	if (r >= 0)
		r = softkey_sign(k, softkey_is_rsa(k) ? handler_sign_hash(SSHKEY_RSA, flags)
						      : TA_HASH_SHA256,
				 data, data_len, sig);
	buf_free(TAKE_PTR(kb));
	added_clear(&a);
	return r;
}

/* A TPM key (key dir, or added with ssh-tpm-add): confirm if asked,
 * the passphrase if it has one, then the TPM. */
static int sign_tpm(struct handler_conn *c, const struct identity *id, const char *dest_user,
		    uint32_t flags, const uint8_t *data, size_t data_len, struct buf *sig)
{
	_cleanup_free_ char *fp = NULL;
	int r;

	r = sshkey_fingerprint(id->key, &fp);
	if (r < 0)
		return r;
	if (log_get_max() >= LOG_LEVEL_DEBUG)
		log_debug("SIGN_REQUEST from pid %d uid %u: key %s%s (%s), flags 0x%x, client %s",
			  (int)c->peer.pid, (unsigned)c->peer.uid, fp,
			  id->is_cert ? " certificate" : "", id->path, flags,
			  handler_peer_exe(c));
	/* A policy we cannot run: refused (the log names the step) before
	 * anyone is asked for anything. */
	if ((id->kf->n_policy || id->kf->auth_policy) && (r = tpm_policy_check(id->kf)) < 0)
		return r;
	if (id->confirm && (r = handler_confirm_use(c, id->comment, fp, dest_user)) < 0)
		return r;
	/* A policy without PolicyAuthValue: the TPM checks no passphrase,
	 * asking for one would only pretend it does. */
	if (id->kf->empty_auth || (id->kf->n_policy && !tpm_policy_has_auth_value(id->kf)))
		return try_sign(c, id, NULL, flags, data, data_len, sig);
	return sign_with_passphrase(c, id, fp, flags, data, data_len, sig);
}

/* A key we do not hold: the first fallback agent that lists it signs
 * (its answer, whatever it is, is the client's). */
static int sign_fallback(struct handler_conn *c, const uint8_t *blob, size_t blob_len,
			 struct buf *resp)
{
	size_t i;
	int r;

	if (c->cfg->n_fallbacks == 0)
		return TA_ERR_KEY_NOT_FOUND;
	r = fallback_find(c, blob, blob_len, &i);
	if (r < 0)
		return r;
	r = fallback_call(c, i, c->request, c->request_len, resp, fallback_slow_ms(c));
	if (r < 0)
		return r;
	log_debug("SIGN_REQUEST from pid %d: signed by fallback agent %s", (int)c->peer.pid,
		  c->cfg->fallbacks[i]);
	return 0;
}

/* The audit line of a request for one of our keys: the data is read
 * only to tell whether it is an SSH login (and whose). */
static void audit(struct handler_conn *c, const struct identity *id, const uint8_t *blob,
		  size_t blob_len, const uint8_t *data, size_t data_len, int r)
{
	_cleanup_free_ char *fp = NULL, *user = dest_login_user(data, data_len, blob, blob_len),
			    *host = NULL;
	struct handler_audit a;

	/* (Added identities may have no parsed key: the blob's own.) */
	if ((id->key ? sshkey_fingerprint(id->key, &fp) : sshkey_blob_fingerprint(blob, blob_len, &fp)) <
	    0)
		return;
	if (user && c->n_bindings > 0) {
		const struct handler_binding *b = &c->bindings[c->n_bindings - 1];

		(void)sshkey_blob_fingerprint(b->hostkey, b->hostkey_len, &host);
	}
	a = (struct handler_audit){ .key_fp = fp, .comment = id->comment, .ssh_user = user,
				    .hostkey_fp = host };
	handler_audit_sign(c, &a, r);
}

int handler_sign_request(struct handler_conn *c, struct buf *req,
			 struct buf *resp)
{
	_cleanup_(identity_list_freep) struct identity_list *ids = NULL;
	_cleanup_(buf_freep) struct buf *sig = NULL;
	_cleanup_free_ char *dest_user = NULL;
	const struct identity *id;
	const uint8_t *blob, *data;
	size_t blob_len, data_len;
	uint32_t flags;
	int r;

	if ((r = buf_get_string_direct(req, &blob, &blob_len)) != 0 ||
	    (r = buf_get_string_direct(req, &data, &data_len)) != 0 ||
	    (r = buf_get_u32(req, &flags)) != 0)
		return r;
	if (buf_len(req) != 0)
		return TA_ERR_TRAILING;
	r = handler_identities_for(c, blob, blob_len, &ids);
	if (r < 0)
		return r;
	id = identity_list_find(ids, blob, blob_len);
	if (!id)
		return sign_fallback(c, blob, blob_len, resp);
	if (id->dest) {
		r = dest_check_sign(c, id->dest, id->dest_len, blob, blob_len, data, data_len,
				    &dest_user);
		if (r < 0)
			return r;
	}
	sig = buf_new(4096);
	if (!sig)
		return TA_ERR_NOMEM;
	r = id->added && !id->kf ? sign_added(c, id, dest_user, flags, data, data_len, sig)
				 : sign_tpm(c, id, dest_user, flags, data, data_len, sig);
	audit(c, id, blob, blob_len, data, data_len, r);
	if (r < 0)
		return r;
	if ((r = buf_put_u8(resp, SSH_AGENT_SIGN_RESPONSE)) != 0 ||
	    (r = buf_put_stringb(resp, sig)) != 0)
		return r;
	return 0;
}
