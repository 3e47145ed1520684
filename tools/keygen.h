/* SPDX-License-Identifier: MIT */
/* keygen.h - what the modes of ssh-tpm-keygen share: the parsed command
 * line (handed to each mode, read-only) and a few helpers.  One file per
 * mode: keygen-create.c, keygen-passwd.c (-p), keygen-print.c
 * (--print-pubkey), keygen-supported.c; ssh-tpm-keygen.c parses argv and
 * picks the mode. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

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
	bool host_keys;          /* -A (-f is then a prefix) */
	uint32_t parent;         /* --parent-handle (0: the owner hierarchy) */
	const char *import;      /* -I/--import PATH */
	const char *wrap;        /* --wrap PATH */
	const char *wrap_with;   /* --wrap-with PARENT */
	uint32_t hierarchy;      /* --hierarchy (with -A): TA_RH_*, 0: none */
	const char *hierarchy_name;
	struct tpm_pcrs pcrs;    /* --pcrs, when with_pcrs */
	bool with_pcrs;
	struct tpm_opts tpm;     /* --tcti, --swtpm, --tpm-timeout, owner */
};

/* The modes: each returns the exit status. */
int keygen_import(const struct keygen_args *a);
int keygen_wrap(const struct keygen_args *a);
int keygen_create(const struct keygen_args *a);
int keygen_change_passphrase(const struct keygen_args *a);
int keygen_print_pubkey(const struct keygen_args *a);
int keygen_supported(const struct keygen_args *a);
int keygen_host_keys(const struct keygen_args *a);

/* Logs a TPM error in one line (naming the TCTI when unreachable); 1. */
int report_tpm_error(const struct tpm_opts *tpm, int r);
/* Ask for a passphrase twice, like ssh-keygen; three tries. */
int ask_twice(const char *first, const char *again, char **ret);
/* "user@host" for the effective uid (NULL when out of memory). */
char *keygen_default_comment(void);
/* tpm_create_key_pcrs under parent (0: the owner SRK), with the cleanup
 * signals held when the TPM has no resource manager; flags as there. */
int keygen_new_key(struct tpm *t, enum sshkey_type type, unsigned bits,
		   const char *pass, uint32_t parent, const struct tpm_pcrs *pcrs,
		   unsigned flags, struct tpm_keyfile **ret);
/* The key's .pub line, newline included. */
int keygen_pub_line(const struct tpm_keyfile *kf, const char *comment, char **ret);
/* Write key_path (0600) and pub_path (pub_mode), both in dirfd, and commit
 * them together (the old pair survives any failure); kf's description
 * becomes comment.  *ret_fp (may be NULL) gets the fingerprint.  0, or -1
 * after one line naming the file. */
int keygen_write_pair(int dirfd, const char *key_path, const char *pub_path,
		      mode_t pub_mode, struct tpm_keyfile *kf, const char *comment,
		      char **ret_fp);

/* The two files of a key: NAME.tpm and NAME.pub (".tpm" in the name is
 * dropped), their directory open. */
struct keygen_targets {
	char *key_path, *pub_path;
	int dirfd;
};
#define KEYGEN_TARGETS_INIT { .dirfd = -1 }
void keygen_targets_clear(struct keygen_targets *t);
/* What may be replaced without asking. */
struct keygen_replace {
	const char *source;       /* the file being imported, as the .tpm */
	const struct sshkey *pub; /* a .pub holding this key */
};
/* Check the two paths (missing or regular files; an existing one is
 * replaced only after "Overwrite (y/n)?" unless may allows it) and open
 * their directory.  0, or -1 after one line. */
int keygen_targets_open(const char *name, const struct keygen_replace *may,
			struct keygen_targets *ret);
