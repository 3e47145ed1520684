/* SPDX-License-Identifier: MIT */
/* tpm-landlock.h - what the TPM needs under SSH_TPM_LANDLOCK. */
#pragma once

#include "landlock.h"
#include "tpm.h"

/* Rules for the TCTI configuration conf, as tpm_resolve_tcti gives it
 * (NULL: tpm.c's default chain): the device nodes (read, write, ioctl), a
 * swtpm socket's shared lock file (read; made first if it is ours to make;
 * the socket itself needs no rule: Landlock does not restrict connecting to
 * a unix socket), nothing for TCP (not handled) or tabrmd (D-Bus).  Call
 * tpm_resolve_tcti before restricting: it starts the --swtpm daemon, which
 * a restricted process could not exec (nor should the daemon inherit the
 * restriction).  A TCTI without rules here is warned about. */
int tpm_landlock_allow(const char *conf, struct landlock_rules *rules);
