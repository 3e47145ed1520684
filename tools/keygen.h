/* SPDX-License-Identifier: MIT */
/* keygen.h - what the modes of ssh-tpm-keygen share: the parsed command
 * line (handed to each mode, read-only) and a few helpers.  One file per
 * mode: keygen-create.c, keygen-passwd.c (-p), keygen-print.c
 * (--print-pubkey), keygen-supported.c; ssh-tpm-keygen.c parses argv and
 * picks the mode. */
#pragma once

#include <stdbool.h>

#include "sysutil.h"
#include "tpm.h"

struct keygen_args {
	const char *type;        /* -t (default "ecdsa") */
	unsigned bits;           /* -b (0: the type's default) */
	const char *comment;     /* -C */
	const char *file;        /* -f */
	char *new_passphrase;    /* -N (a copy: argv is wiped) */
	char *old_passphrase;    /* -P */
	bool quiet;              /* -q */
	const char *print_pubkey; /* --print-pubkey FILE */
	bool supported;          /* --supported */
	bool change;             /* -p */
	bool ask_owner;          /* -o */
	struct tpm_opts tpm;     /* --tcti, --swtpm, --tpm-timeout, owner */
};

/* The modes: each returns the exit status. */
int keygen_create(const struct keygen_args *a);
int keygen_change_passphrase(const struct keygen_args *a);
int keygen_print_pubkey(const struct keygen_args *a);
int keygen_supported(const struct keygen_args *a);

/* Logs a TPM error in one line (naming the TCTI when unreachable); 1. */
int report_tpm_error(const struct tpm_opts *tpm, int r);
/* Ask for a passphrase twice, like ssh-keygen; three tries. */
int ask_twice(const char *first, const char *again, char **ret);
