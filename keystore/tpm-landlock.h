/* SPDX-License-Identifier: MIT */
/* tpm-landlock.h - what the TPM needs under SSH_TPM_LANDLOCK. */
#pragma once

#include "landlock.h"
#include "tpm.h"

/* Rules for the TCTI that tpm_open would use with opts: the device nodes
 * (read, write, ioctl), a swtpm socket's shared lock file (read; the socket
 * itself needs no rule: Landlock does not restrict connecting to a unix
 * socket), nothing for TCP (not handled) or tabrmd (D-Bus).  The --swtpm
 * daemon is started now if it is not running: a restricted process could
 * not start it (nor should it be restricted as that process is). */
int tpm_landlock_allow(const struct tpm_opts *opts, struct landlock_rules *rules);
