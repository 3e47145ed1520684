/* SPDX-License-Identifier: MIT */
/* sandbox.h - the tools under SSH_TPM_LANDLOCK: each restricts itself
 * once its command line is read, before it reads a key or asks for a
 * passphrase.  Without the variable each returns 0 at once; otherwise 0,
 * or -1 after one line (a rule that cannot be added). */
#pragma once

#include <stddef.h>

#include "keygen.h"

/* ssh-tpm-keygen: the TPM (not for --print-pubkey and --wrap); writing the
 * directory of the key it writes (-f, else ~/.ssh, made now: a name typed
 * at the prompt must then be in it; -A: the host key dir, made now);
 * reading the files it reads (--print-pubkey, --import, --wrap,
 * --wrap-with) and their directories (NAME.pub next to them). */
int sandbox_keygen(const struct keygen_args *a);
/* ssh-tpm-add: the TPM (a passphrase is checked there), reading the
 * directories of the n key files in paths (NAME.pub and NAME-cert.pub
 * next to them; n == 0: ~/.ssh). */
int sandbox_add(const struct tpm_opts *tpm, char *const *paths, size_t n);
/* ssh-tpm-hostkeys printing the host keys: reading the host key dir
 * under prefix. */
int sandbox_hostkeys(const char *prefix);
