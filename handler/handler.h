/* SPDX-License-Identifier: MIT */
/* handler.h - one agent connection: a read-only configuration, the state
 * of one connection, framing, dispatch and the requests. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "buf.h"
#include "cache.h"
#include "keydir.h"
#include "sshkey.h"
#include "tpm.h"

/* What argv and the environment said; never changed once serving. */
struct handler_config {
	const char *key_dir;       /* where NAME.tpm keys live */
	bool no_load;              /* --no-load: list no key-dir keys */
	uint32_t hierarchy;        /* --hierarchy: its keys offered (0: none) */
	struct tpm_opts tpm;       /* how to reach the TPM */
	bool confirm_loaded;       /* --confirm-loaded: key-dir keys ask */
	bool ask_owner;            /* -o: ask for the owner password */
	enum cache_backend cache;  /* where passphrases are cached */
	unsigned cache_timeout;    /* seconds */
	unsigned prompt_timeout;   /* seconds a passphrase prompt may take */
	char **fallbacks;          /* -A: fallback agents' sockets, in order */
	size_t n_fallbacks;
	unsigned frame_ms;         /* a request frame from its first byte to
				    * its last, a reply frame from its first
				    * write to its last (0: no bound) */
	unsigned max_connections;  /* -l listener: handlers at once (0: no cap) */
};

#define HANDLER_DEFAULT_PROMPT_TIMEOUT 120 /* seconds */
/* A frame (256 KiB at most) takes microseconds on a local socket: a
 * client that needs 10 s for one, or does not read our reply for 10 s,
 * is stuck or hostile, and its handler ends.  SSH_TPM_AGENT_FRAME_TIMEOUT_MS
 * overrides it (tests, tuning). */
#define HANDLER_FRAME_TIMEOUT_MS (10 * 1000)
/* As our socket units' MaxConnections=: 1024 for root (the system agent:
 * sshd keeps one connection per SSH session), else 256.
 * SSH_TPM_AGENT_MAX_CONNECTIONS overrides it (tests, tuning). */
#define HANDLER_MAX_CONNECTIONS_ROOT 1024
#define HANDLER_MAX_CONNECTIONS_USER 256
#define HANDLER_TPM_TIMEOUT 60             /* seconds, see TPM_DEFAULT_TIMEOUT */

/* The client, from SO_PEERCRED (and /proc), for checks and logs. */
struct handler_peer {
	pid_t pid;
	uid_t uid;
	char *exe; /* its executable (handler_peer_exe), or NULL */
};

/* A session bound to the connection (session-bind@openssh.com): the
 * host key and the session id it signed. */
struct handler_binding {
	uint8_t *hostkey;
	size_t hostkey_len;
	uint8_t *sid;
	size_t sid_len;
	bool forwarded;
};

/* A session-bind request as the client sent it, accepted or not: every
 * fallback agent gets each one and judges it itself. */
struct handler_bind_request {
	uint8_t *msg;
	size_t len;
};

#define HANDLER_MAX_BINDINGS 16 /* as OpenSSH's agent */
#define HANDLER_MAX_SID 128
#define HANDLER_MAX_BIND_REQUESTS 32
#define HANDLER_MAX_BIND_REQUEST (64 * 1024)

/* A fallback agent's connection, opened when first needed. */
struct handler_fallback {
	int fd;      /* -1: not connected */
	bool dead;   /* could not be reached in this connection: skipped */
};

/* One connection: everything a handler owns, and only for the connection
 * (its session bindings and its fallback connections included). */
struct handler_conn {
	const struct handler_config *cfg;
	int fd;                   /* the client's connection (-1: none); its
				   * hang-up cancels a prompt */
	struct handler_peer peer;
	struct cache *cache;      /* opened on first use */
	struct cache *state;      /* added identities, lock: keyring only,
				   * opened on first use (no passphrase
				   * backend probed for a listing) */
	struct tpm_opts tpm;      /* cfg->tpm, with this connection's owner
				   * password once asked */
	char *owner_pw;           /* asked in this connection: wiped at its end */
	const uint8_t *request;   /* the request being served, whole (type */
	size_t request_len;       /* byte first), for passing it on */
	struct handler_binding bindings[HANDLER_MAX_BINDINGS];
	size_t n_bindings;
	bool bind_failed;         /* a session-bind was refused */
	struct handler_bind_request bind_requests[HANDLER_MAX_BIND_REQUESTS];
	size_t n_bind_requests;
	bool bind_requests_lost;  /* more than we keep: fallbacks that were
				   * not connected then cannot be told */
	struct handler_fallback *fallbacks; /* cfg->n_fallbacks of them */
	struct identity_list *fallback_seen; /* the fallbacks' identities as this
				   * connection last listed them (which one
				   * signs: no second listing) */
	unsigned hops;            /* the client is an ssh-tpm-agent's fallback
				   * connection, this many agents deep */
	bool hier_known;          /* --hierarchy keys looked up in this connection */
	struct tpm_keyfile *hier_keys[2]; /* what that gave (RSA, ECDSA; NULL: none) */
	char *keyidx_path;        /* the key dir's index (NULL: none / not yet) */
	bool keyidx_tried;
};

/* fd may be -1 (no connection: tests, fuzzing). */
void handler_conn_init(struct handler_conn *c, const struct handler_config *cfg, int fd);
/* Close the cache, wipe the secrets, free what the connection held. */
void handler_conn_done(struct handler_conn *c);
/* The cache, opened (once per connection) on first use. */
int handler_conn_cache(struct handler_conn *c, struct cache **ret);
int handler_conn_state(struct handler_conn *c, struct cache **ret);
/* --hierarchy: append its two keys (hierarchy.c); a TPM that cannot give
 * them is logged, and the rest is still listed. */
int handler_append_hierarchy(struct handler_conn *c, struct identity_list *l);

/* Saved contexts (keyctx.c): the record ids of k and of its SRK on this
 * connection's TPM ("key-"/"srk-" and 64 hex digits), the saved context
 * under one (TA_ERR_KEY_NOT_FOUND: none), keeping a renewed one, dropping
 * one. */
int handler_keyctx_ids(struct handler_conn *c, const struct tpm_keyfile *k, char ret_key[70],
		       char ret_srk[70]);
int handler_keyctx_get(struct handler_conn *c, const char *rid, struct tpm_saved_blob *ret);
void handler_keyctx_put(struct handler_conn *c, const char *rid, const struct tpm_saved_blob *ctx);
void handler_keyctx_drop(struct handler_conn *c, const char *rid);
/* The tpm-context records' bytes, for tests and fuzzing: a saved
 * context (keyctx.c: version, context) and a hierarchy key (hierarchy.c:
 * version, the TPM's clock info, TPM2B_PUBLIC, context).  Parsing a
 * hierarchy record made before now's reset, restart or clear is
 * TA_ERR_KEY_NOT_FOUND; *ret is then a key of hierarchy h. */
int handler_keyctx_record_encode(struct buf *b, const struct tpm_saved_blob *ctx);
int handler_keyctx_record_parse(const uint8_t *data, size_t len, struct tpm_saved_blob *ret);
int handler_hier_record_encode(struct buf *b, const struct tpm_clock *now,
			       const struct tpm_keyfile *k);
int handler_hier_record_parse(const uint8_t *data, size_t len, const struct tpm_clock *now,
			      uint32_t h, struct tpm_keyfile **ret);

/* The key dir's index file in our runtime directory (keydir.h), or NULL
 * when there is none to be had. */
const char *handler_keyidx_path(struct handler_conn *c);
/* handler_identities for signing with blob: of the key dir only the
 * identity with that blob (keydir_lookup), then the rest as there. */
int handler_identities_for(struct handler_conn *c, const uint8_t *blob, size_t len,
			   struct identity_list **ret);

/* The identities this agent holds, in order: the key dir's (unless
 * --no-load), then the added ones.  The one source for both listing and
 * signing.  Destination-constrained ones are in, whatever the
 * connection's bindings (handler_permitted says). */
int handler_identities(struct handler_conn *c, struct identity_list **ret);
/* May this identity be listed / used on this connection (destination
 * constraints against its session bindings)? */
bool handler_permitted(struct handler_conn *c, const struct identity *id);

/* The client's executable, for logs ("?" when unknown). */
const char *handler_peer_exe(struct handler_conn *c);
/* The peer's command line (/proc/PID/cmdline, arguments joined by spaces,
 * made safe to show, at most 256 bytes), or "?"; free it. */
char *handler_peer_cmdline(const struct handler_conn *c);

/* True when the client has closed its connection (nobody to answer). */
bool handler_peer_gone(const struct handler_conn *c);

/* One request (type byte first) -> one complete reply in resp.  Never
 * fails: errors become SSH_AGENT_FAILURE, the reason goes to the log. */
void handler_process_message(struct handler_conn *c, struct buf *req,
			     struct buf *resp);

/* Serve one connection until EOF.  Returns 0 on a clean EOF, a negative
 * code when the peer broke the framing or the bounds of cfg->frame_ms
 * (a request sent too slowly, a reply not read: TA_ERR_TIMEOUT, logged);
 * the connection should then be closed. */
int handler_serve(struct handler_conn *c, int in_fd, int out_fd);

/* SO_PEERCRED: allow only our own uid and root.  Fills in the peer. */
int handler_check_peer(struct handler_conn *c, int fd);

/* The per-connection work shared by every entry mode: peer check, serve.
 * Returns the process exit status. */
int handler_run_connection(const struct handler_config *cfg, int in_fd, int out_fd);

/* The hash a SIGN_REQUEST's flags ask for with a key of this type. */
enum ta_hash handler_sign_hash(enum sshkey_type type, uint32_t flags);

/* Requests (dispatch.c maps type bytes to these). */
int handler_request_identities(struct handler_conn *c, struct buf *req,
			       struct buf *resp);
int handler_sign_request(struct handler_conn *c, struct buf *req,
			 struct buf *resp);
int handler_add_identity(struct handler_conn *c, struct buf *req, struct buf *resp);
int handler_add_id_constrained(struct handler_conn *c, struct buf *req, struct buf *resp);
int handler_remove_identity(struct handler_conn *c, struct buf *req, struct buf *resp);
int handler_remove_all_identities(struct handler_conn *c, struct buf *req,
				  struct buf *resp);
int handler_lock(struct handler_conn *c, struct buf *req, struct buf *resp);
int handler_unlock(struct handler_conn *c, struct buf *req, struct buf *resp);
/* The user's agent is locked (ssh-add -x), by any handler. */
bool handler_locked(struct handler_conn *c);
int handler_extension(struct handler_conn *c, struct buf *req, struct buf *resp);
/* What a signature's audit line names besides the peer (audit.c). */
struct handler_audit {
	const char *key_fp, *comment;
	const char *ssh_user;   /* the data is an SSH login of this user, or NULL */
	const char *hostkey_fp; /* the host key of the session bound last, or NULL */
};
/* One line (a journal entry under the journal) per signature request
 * that named a key: signed (result 0) or refused (its error). */
void handler_audit_sign(struct handler_conn *c, const struct handler_audit *a, int result);
/* The user of an SSH userauth request signed with blob (NULL when the
 * data is not one). */
char *dest_login_user(const uint8_t *data, size_t len, const uint8_t *blob, size_t blob_len);

/* Forget the connection's session bindings. */
void handler_bindings_clear(struct handler_conn *c);
/* The connection came through a forwarding (a session was bound, or a
 * bind was tried): OpenSSH's socket_is_remote. */
bool handler_is_remote(const struct handler_conn *c);
/* session-bind@openssh.com (allowed while locked). */
int handler_session_bind(struct handler_conn *c, struct buf *req, struct buf *resp);
/* A request we do not serve ourselves (the whole of c->request): the
 * reply of the first fallback agent that does not fail it. */
int handler_pass_through(struct handler_conn *c, struct buf *resp);
/* ssh-add -c: ask through SSH_ASKPASS whether this use may go ahead
 * (dest_user: the target user of a destination-constrained key's
 * login, or NULL). */
int handler_confirm_use(struct handler_conn *c, const char *comment, const char *fp,
			const char *dest_user);
