/* SPDX-License-Identifier: MIT */
/* sandbox.c - SSH_TPM_LANDLOCK for a handler: the rules for one
 * connection, enforced after the peer check and before the client's first
 * request is read (sandbox.h). */
#include "sandbox.h"

#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "err.h"
#include "landlock.h"
#include "log.h"
#include "tpm-landlock.h"

int handler_sandbox(struct handler_conn *c)
{
	_cleanup_(landlock_rules_freep) struct landlock_rules *rules = NULL;
	_cleanup_free_ char *tcti = NULL;
	char proc[64];
	bool tpm;
	int r;

	if (!landlock_wanted())
		return 0;
	(void)handler_peer_exe(c);
	/* Starts the --swtpm daemon if need be.  When it cannot, requests
	 * that need no TPM are still served (as without Landlock); those that
	 * do fail when they try again. */
	r = tpm_resolve_tcti(&c->cfg->tpm, &tcti);
	tpm = r >= 0;
	if (!tpm)
		log_msg_r(LOG_LEVEL_WARNING, r, __func__, "SSH_TPM_LANDLOCK: no TPM to allow");
	r = landlock_rules_new(&rules);
	if (r >= 0)
		r = landlock_rules_allow_base(rules);
	if (r >= 0)
		r = landlock_rules_allow(rules, c->cfg->key_dir, LANDLOCK_ALLOW_READ);
	if (r >= 0 && c->peer.pid > 0) {
		snprintf(proc, sizeof(proc), "/proc/%d", (int)c->peer.pid);
		r = landlock_rules_allow(rules, proc, LANDLOCK_ALLOW_READ);
	}
	/* Fallback agents (-A), the Secret Service (D-Bus), the journal:
	 * connecting to a unix socket is not a file-system access. */
	if (r >= 0 && tpm)
		r = tpm_landlock_allow(tcti, rules);
	if (r >= 0)
		r = landlock_rules_enforce(rules, "the handler");
	if (r < 0)
		log_error_r(r, "SSH_TPM_LANDLOCK: cannot restrict the handler");
	return r;
}
