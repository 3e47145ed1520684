/* SPDX-License-Identifier: MIT */
/* tpm-internal.h - what tpm.c (the context) and tpm-key.c (key
 * operations) share; not part of the keystore interface. */
#pragma once

#include <signal.h>
#include <stdbool.h>

#include <tss2/tss2_esys.h>

#include "tss2-dl.h"

#include "tpm.h"

struct tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	char *tcti_conf;
	TPM2B_AUTH owner_auth;
	bool owner_auth_checked; /* a command under the owner took it */
	int lock_fd; /* held from open to close; -1 with a resource manager */
	bool lock_exclusive; /* no other user can hold objects in the TPM now */
	bool watchdog;       /* SIGALRM armed (old_alarm to restore) */
	struct sigaction old_alarm;
};

/* An ESYS object handle with the knowledge of how to let it go. */
struct tpm_obj {
	struct tpm *t;
	ESYS_TR h;
	bool transient; /* flush (transient) or just close (persistent) */
};

void tpm_esys_freep(void *p);
/* The one map from TSS2_RC to enum ta_err, logging the decoded code at
 * debug.  flags say what the call was, for the few codes whose meaning
 * depends on it: */
enum {
	TPM_RC_PARAMS = 1 << 0,  /* TestParms: any TPM format-one error is
				  * "not supported" */
	TPM_RC_OWNER = 1 << 1,   /* the owner hierarchy's auth was used */
	TPM_RC_CONNECT = 1 << 2, /* opening the connection: a failure is
				  * "unreachable" */
	TPM_RC_IMPORT = 1 << 3,  /* TPM2_Import: a wrapping the parent cannot
				  * open is "wrapped for another parent" */
};
int tpm_rc(TSS2_RC rc, const char *what, unsigned flags);
/* TA_ERR_AUTH_TOO_LONG when pw is longer than max bytes. */
int tpm_set_auth(TPM2B_AUTH *dst, const char *pw, size_t max);
/* The one way a TPM operation runs: op loads what it needs and releases
 * all of it on every path; when the TPM is full (TA_ERR_TPM_OBJECT_MEMORY),
 * objects left by dead processes are flushed and op runs once more. */
int tpm_run(struct tpm *t, int (*op)(struct tpm *t, void *arg), void *arg);
/* Flush transient objects left by dead processes (TPMs without a resource
 * manager, under our lock).  True if anything was flushed. */
bool tpm_flush_stale(struct tpm *t);
void tpm_obj_release(struct tpm_obj *o);
/* Release a loaded key, first wiping the auth value ESYS keeps for it. */
void tpm_key_release(struct tpm_obj *key);

/* A salted HMAC session with parameter encryption (AES-128-CFB) both
 * ways, for one command (tpm-session.c): salt is a storage key whose
 * public ESYS holds, in practice the parent the key was loaded under. */
int tpm_session_start(struct tpm *t, ESYS_TR salt, struct tpm_obj *ret);
/* After that one command (rc its result): the TPM ended the session on
 * success; otherwise it is flushed. */
void tpm_session_end(struct tpm_obj *s, TSS2_RC rc);
/* The auth handle for a command under the owner hierarchy (the owner
 * password set for ESYS): ESYS_TR_PASSWORD without an owner password,
 * else a session salted to a null-hierarchy primary, in s. */
int tpm_owner_session(struct tpm *t, struct tpm_obj *s, ESYS_TR *ret);

/* The policy session for a key's [1] policy, salted to salt, every step
 * run (tpm-policy.c); TA_ERR_PCR_CHANGED when a PolicyPCR no longer
 * holds. */
int tpm_policy_session(struct tpm *t, const struct tpm_keyfile *k, ESYS_TR salt,
		       struct tpm_obj *ret);
/* A PolicyPCR (+ PolicyAuthValue) of pcrs' current values: the policy
 * digest for the key's authPolicy, and the steps appended to k. */
int tpm_pcr_policy(struct tpm *t, const struct tpm_pcrs *pcrs, bool with_auth, TPM2B_DIGEST *policy,
		   struct tpm_keyfile *k);

#define TA_SRK_HANDLE 0x81000001U /* the TCG's persistent SRK */

/* ESYS_TR_RH_* of a permanent handle (ESYS_TR_NONE for others). */
ESYS_TR tpm_hierarchy_tr(uint32_t h);
/* A hierarchy key (k->hierarchy) into key (tpm-hier.c). */
int tpm_hier_load(struct tpm *t, const struct tpm_keyfile *k, struct tpm_obj *key);
/* The storage-key template of permanent parents (ECC P-256 H-2 or
 * RSA-2048 H-1, unique empty). */
void tpm_srk_template(bool rsa, TPM2B_PUBLIC *tp);
/* p is tpm_srk_template(rsa)'s public area, unique aside. */
bool tpm_public_is_srk_template(const TPMT_PUBLIC *p, bool rsa);
/* Open a key's parent: a persistent handle, or the primary the hierarchy
 * makes from tpm_srk_template (a verified persistent SRK standing in for
 * the owner's when persistent is set). */
int tpm_parent_open(struct tpm *t, uint32_t parent, bool rsa, bool persistent,
		    struct tpm_obj *ret);
