/* handler.h - one agent connection: framing, dispatch and the requests. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "buf.h"
#include "cache.h"
#include "sshkey.h"
#include "tpm.h"

struct handler_ctx {
	const char *key_dir;          /* where NAME.tpm keys live */
	bool no_load;                 /* --no-load: list no key-dir keys */
	struct tpm_opts tpm;          /* how to reach the TPM */
	bool ask_owner;               /* -o: ask for the owner password */
	char *owner_pw;               /* asked by this connection: wiped at its end */
	enum cache_backend cache;     /* where passphrases are cached */
	unsigned cache_timeout;       /* seconds */
	unsigned prompt_timeout;      /* seconds a passphrase prompt may take */
	int conn_fd;                  /* the client's connection (-1: none);
				       * its hang-up cancels a prompt */
	pid_t peer_pid;               /* from SO_PEERCRED, for logs */
	uid_t peer_uid;
};

#define HANDLER_DEFAULT_PROMPT_TIMEOUT 120 /* seconds */
#define HANDLER_TPM_TIMEOUT 60             /* seconds, see TPM_DEFAULT_TIMEOUT */

/* True when the client has closed its connection (nobody to answer). */
bool handler_peer_gone(const struct handler_ctx *ctx);

/* One request (type byte first) -> one complete reply in resp.  Never
 * fails: errors become SSH_AGENT_FAILURE, the reason goes to the log. */
void handler_process_message(struct handler_ctx *ctx, struct buf *req,
			     struct buf *resp);

/* Serve one connection until EOF.  Returns 0 on a clean EOF, a negative
 * code when the peer broke the framing (connection should be closed). */
int handler_serve(struct handler_ctx *ctx, int in_fd, int out_fd);

/* SO_PEERCRED: allow only our own uid and root.  Fills peer pid/uid. */
int handler_check_peer(struct handler_ctx *ctx, int fd);

/* The hash a SIGN_REQUEST's flags ask for with a key of this type. */
enum ta_hash handler_sign_hash(enum sshkey_type type, uint32_t flags);

/* Requests (dispatch.c maps type bytes to these). */
int handler_request_identities(struct handler_ctx *ctx, struct buf *req,
			       struct buf *resp);
int handler_sign_request(struct handler_ctx *ctx, struct buf *req,
			 struct buf *resp);
