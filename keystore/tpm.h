/* SPDX-License-Identifier: MIT */
/* tpm.h - TPM access through ESYS: TCTI choice, parents, create, load, sign.
 * No TSS2_RC leaves this module: failures are enum ta_err codes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "keyfile.h"
#include "sshkey.h"

struct tpm;

struct tpm_opts {
	const char *tcti;       /* --tcti CONF, or NULL */
	bool swtpm;             /* --swtpm */
	const char *owner_auth; /* owner hierarchy password, or NULL */
	unsigned timeout_s;     /* the longest the TPM may take from open to
				 * close (0: TPM_DEFAULT_TIMEOUT) */
};

/* A TPM that does not answer (a hung swtpm, a TCTI another client holds)
 * ends the process after this long, with a message: ESYS's synchronous
 * calls wait forever and retry on EINTR. */
#define TPM_DEFAULT_TIMEOUT 300

/* The TCTI configuration string to use, in order: opts->tcti, --swtpm,
 * $SSH_TPM_AGENT_TCTI, $SSH_TPM_AGENT_SWTPM, $TPM2TOOLS_TCTI.  *ret is NULL
 * when none applies: the tpm2-tss loader's default (/dev/tpmrm0, ...). */
int tpm_resolve_tcti(const struct tpm_opts *opts, char **ret);
/* The same for messages: never starts the --swtpm daemon. */
int tpm_describe_tcti(const struct tpm_opts *opts, char **ret);

int tpm_open(const struct tpm_opts *opts, struct tpm **ret);
void tpm_close(struct tpm *t);
DEFINE_CLEANUP(struct tpm, tpm_close)
/* True for a TPM without a resource manager (swtpm, /dev/tpm0): its users
 * take turns, and objects of a process that dies stay loaded. */
bool tpm_needs_lock(const struct tpm *t);
/* The TCTI in use, for messages ("default" for the loader's choice). */
const char *tpm_tcti_name(const struct tpm *t);

/* 0 if the TPM can make keys of this type and size, else
 * TA_ERR_TPM_UNSUPPORTED_ALG. */
int tpm_test_key_params(struct tpm *t, enum sshkey_type type, unsigned bits);

/* PCRs a key is sealed to: one bank (TPM2_ALG_SHA256 by default), PCRs
 * 0-23 as bits. */
#define TA_MAX_PCRS 24
struct tpm_pcrs {
	uint16_t bank;
	uint32_t mask;
};
/* "7,11" or "sha1:0,7": TA_ERR_INVALID_ARGUMENT when malformed. */
int tpm_pcrs_parse(const char *s, struct tpm_pcrs *ret);
/* 0 if every step of the key's [1] policy is one we run, else the error
 * (logged, naming the step). */
int tpm_policy_check(const struct tpm_keyfile *k);
/* The key's [1] policy has a TPM2_PolicyAuthValue: the TPM checks its
 * passphrase (without one, a policy key's passphrase is never used). */
bool tpm_policy_has_auth_value(const struct tpm_keyfile *k);

/* Create a signing key under parent (TA_RH_OWNER or a persistent handle).
 * auth may be NULL/empty for a key without passphrase. */
int tpm_create_key(struct tpm *t, enum sshkey_type type, unsigned bits,
		   const char *auth, uint32_t parent,
		   struct tpm_keyfile **ret);
/* The same, sealed to the current values of pcrs (NULL: not sealed): a
 * PolicyPCR (AND PolicyAuthValue with auth) key, userWithAuth clear.
 * TPM_KEY_NO_DA (only without auth): noDA, so that the key signs while
 * the TPM is in dictionary-attack lockout -- for host keys, which never
 * get a passphrase (ssh-tpm-keygen -p refuses one on a noDA key). */
#define TPM_KEY_NO_DA 0x1u
int tpm_create_key_pcrs(struct tpm *t, enum sshkey_type type, unsigned bits, const char *auth,
			uint32_t parent, const struct tpm_pcrs *pcrs, unsigned flags,
			struct tpm_keyfile **ret);

/* Hierarchy keys (--hierarchy): the signing primary of a hierarchy
 * (TA_RH_*), ECC P-256 or RSA-2048, from the Go ssh-tpm-agent's templates.
 * *ret has hierarchy set, the public area and, when the TPM gave one, a
 * saved context (ctx) that lets a later process skip the derivation.  It
 * signs through tpm_sign_digest like a key file. */
int tpm_hier_key(struct tpm *t, uint32_t hierarchy, bool rsa, struct tpm_keyfile **ret);
void tpm_hier_template(bool rsa, TPM2B_PUBLIC *ret);

/* TPM2_ReadClock: what tells a TPM reset (reset), restart, or clear
 * (clock starts again near 0) from "still the same". */
struct tpm_clock {
	uint32_t reset, restart;
	uint64_t clock;
};
int tpm_read_clock(struct tpm *t, struct tpm_clock *ret);

#define TPM_SIG_MAX 1024

struct tpm_sig {
	enum sshkey_type type;
	/* RSA: the signature in sig[0..sig_len); ECDSA: r and s. */
	uint8_t sig[TPM_SIG_MAX];
	size_t sig_len;
	uint8_t r[80], s[80];
	size_t r_len, s_len;
};

/* Load the key under its parent, sign the digest and flush everything
 * loaded.  For RSA, hash selects RSASSA-PKCS1-v1_5 with that hash; for
 * ECDSA, the digest must be of the curve's hash. */
int tpm_sign_digest(struct tpm *t, const struct tpm_keyfile *k,
		    const char *auth, enum ta_hash hash, const uint8_t *digest,
		    size_t digest_len, struct tpm_sig *ret);

/* The owner password was taken by the TPM since tpm_open (a signature
 * from saved contexts, or under a persistent SRK, needs none: then a
 * wrong one is not found out). */
bool tpm_owner_auth_checked(const struct tpm *t);

/* A key file's loaded object as TPM2_ContextSave saved it (a marshalled
 * TPMS_CONTEXT), kept by the caller between processes: loading it back
 * (ContextLoad, one cheap command) replaces the parent and the Load.  It
 * holds nothing usable off this TPM (the TPM encrypts and MACs it with a
 * key of its own) and no way around the key's passphrase (the
 * authorization is the object's, checked at Sign).  A TPM reset, restart
 * or clear, or another TPM, makes it fail to load: then the key is loaded
 * from the file as before and saved again. */
struct tpm_saved_blob {
	uint8_t *blob; /* in: to try (NULL: none); out: the new one if renewed */
	size_t len;
	bool used;     /* out: the object came from blob */
	bool renewed;  /* out: blob is a new saved context, to be kept */
};
/* The key's, and its parent's when the key has to be loaded from the file
 * (an owner-hierarchy SRK made by CreatePrimary: its context skips the
 * look for a persistent SRK and the CreatePrimary; a wrong one fails the
 * Load, and then the parent is made as before). */
struct tpm_saved_ctx {
	struct tpm_saved_blob key, parent;
};
void tpm_saved_ctx_clear(struct tpm_saved_ctx *c);
/* Only keys under a hierarchy's primary have saved contexts: their parent
 * can always be made again, so a context never outlives a key that would
 * load from its file (a key under a persistent handle stops loading when
 * that handle is evicted; its context would not). */
bool tpm_saved_ctx_ok(const struct tpm_keyfile *k);
/* tpm_sign_digest, trying ctx first (ctx may be NULL). */
int tpm_sign_digest_ctx(struct tpm *t, const struct tpm_keyfile *k,
			const char *auth, enum ta_hash hash, const uint8_t *digest,
			size_t digest_len, struct tpm_saved_ctx *ctx, struct tpm_sig *ret);

/* The key loads under its parent in this TPM (its private part is this
 * TPM's wrapping of its public part), then is flushed.  No
 * authorization is needed: a passphrase is not checked. */
int tpm_key_check(struct tpm *t, const struct tpm_keyfile *k);

/* Change a key's passphrase (TPM2_ObjectChangeAuth).  On success *ret is
 * the key file with the new private part; the input is not changed. */
int tpm_change_auth(struct tpm *t, const struct tpm_keyfile *k,
		    const char *old_auth, const char *new_auth,
		    struct tpm_keyfile **ret);
