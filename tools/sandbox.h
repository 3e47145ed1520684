/* SPDX-License-Identifier: MIT */
/* sandbox.h - the tools under SSH_TPM_LANDLOCK: each restricts itself
 * once it knows which files it works on, before it reads a key or asks for
 * a passphrase.  Without the variable each returns 0 at once; otherwise 0,
 * or -1 after one line (a rule that cannot be added, or a --swtpm daemon
 * that does not start, reported as the TPM error it is). */
#pragma once

#include <stddef.h>

#include "keygen.h"

/* ssh-tpm-keygen once argv is read: the TPM (not for --print-pubkey and
 * --wrap); writing the directory of the key it writes (-f; for -p also the
 * directory of the file behind a symlink; -A: the host key dir, made now);
 * reading the files it reads (--print-pubkey, --import, --wrap,
 * --wrap-with) and their directories (NAME.pub next to them).  Key
 * creation and -p without -f ask for the file name first: they are
 * restricted by sandbox_keygen_file once it is known, and this does
 * nothing for them. */
int sandbox_keygen(const struct keygen_args *a);
/* Key creation or -p without -f, once the name given at the prompt (or its
 * default) is known: as sandbox_keygen with -f name. */
int sandbox_keygen_file(const struct keygen_args *a, const char *name);
/* ssh-tpm-add: the TPM (a passphrase is checked there), reading the
 * directories of the n key files in paths (NAME.pub and NAME-cert.pub
 * next to them; n == 0: ~/.ssh). */
int sandbox_add(const struct tpm_opts *tpm, char *const *paths, size_t n);
/* ssh-tpm-hostkeys printing the host keys: reading the host key dir
 * under prefix. */
int sandbox_hostkeys(const char *prefix);
