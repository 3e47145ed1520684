/* SPDX-License-Identifier: MIT */
/* hostkeys.h - the TPM host keys shared by ssh-tpm-keygen -A and
 * ssh-tpm-hostkeys: their types and names in /etc/ssh, sshd's own keys,
 * and the sshd drop-in. */
#pragma once

#include "sshkey.h"

struct hostkey_type {
	const char *name;  /* "ecdsa": ssh_tpm_host_ecdsa_key.{tpm,pub} */
	const char *label; /* "ECDSA", for messages */
	enum sshkey_type type;
	unsigned bits;
};

/* ecdsa (P-256) then rsa (2048), as the manual lists them. */
extern const struct hostkey_type hostkey_types[];
extern const unsigned hostkey_types_n;

/* sshd's default host keys ("ssh_host_rsa_key", ...), in sshd's order. */
extern const char *const sshd_default_keys[];
extern const unsigned sshd_default_keys_n;

/* The directory host keys live in, as the system sees it ("/etc/ssh"),
 * and where we read and write them: prefix + that (prefix may be NULL). */
#define HOSTKEY_DIR "/etc/ssh"
int hostkey_dir(const char *prefix, char **ret);

/* The sshd drop-in ssh-tpm-hostkeys --install-sshd-config writes. */
#define SSHD_DROPIN_DIR HOSTKEY_DIR "/sshd_config.d"
#define SSHD_DROPIN_NAME "10-ssh-tpm-agent.conf"
/* The system agent's socket (the manual's path). */
#define SYSTEM_AGENT_SOCKET "/var/tmp/ssh-tpm-agent.sock"
