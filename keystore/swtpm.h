/* SPDX-License-Identifier: MIT */
/* swtpm.h - the --swtpm backend: a persistent per-user swtpm daemon. */
#pragma once

/* Directory holding the swtpm state and sockets:
 * $SSH_TPM_AGENT_SWTPM_DIR, else /var/tmp/ssh-tpm-agent for root and
 * /var/tmp/ssh-tpm-agent-UID for other users. */
int swtpm_daemon_dir(char **ret);
/* Make sure the daemon runs (starting it once, under a lock, if needed)
 * and return the TCTI string "swtpm:path=DIR/sock". */
int swtpm_daemon_tcti(char **ret);
