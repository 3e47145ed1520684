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
/* SOCK.lock, the lock every user of the swtpm at SOCK shares (tpm.c),
 * made if missing by the socket's owner (or root, for the owner) as soon
 * as the socket is there: a handler on a read-only file system
 * (ssh-tpm-agent@.service) or under SSH_TPM_LANDLOCK cannot make it, only
 * open it. */
void swtpm_lock_prepare(const char *sock);
