/* SPDX-License-Identifier: MIT */
/* keyfile.h - TSS2 PRIVATE KEY files (draft-bottomley-tpm2-keys). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "cleanup.h"

#define KEYFILE_MAX_SIZE (64 * 1024)

/* Permanent and persistent parent handles. */
#define TA_RH_OWNER 0x40000001U
#define TA_RH_NULL 0x40000007U
#define TA_RH_ENDORSEMENT 0x4000000BU
#define TA_RH_PLATFORM 0x4000000CU

struct tpm_keyfile {
	bool empty_auth;   /* [0] emptyAuth TRUE: no passphrase needed */
	char *description; /* [4] description, or NULL */
	bool rsa_parent;   /* [5] rsaParent: permanent parent uses RSA-2048 */
	uint32_t parent;   /* 0 in the file is normalised to TA_RH_OWNER */
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv; /* importable: the duplicate TPM2_Import takes */
	bool importable;    /* 2.23.133.10.1.4: to be imported first */
	TPM2B_ENCRYPTED_SECRET secret; /* importable: [2], the inSymSeed */
	/* A hierarchy key (tpm_hier_key): no file, no private part; parent
	 * is the hierarchy, ctx a saved context of it (or NULL). */
	bool hierarchy;
	uint8_t *ctx;
	size_t ctx_len;
	/* [1] policy: n_policy steps, each a u32 command code, a u16 length
	 * and that many bytes of commandPolicy, in policy (NULL if none). */
	uint8_t *policy;
	size_t policy_len, n_policy;
	bool auth_policy; /* [3]: signed policies (read, never run) */
};

/* One [1] policy step, as keyfile_policy_next gives it. */
struct tpm_policy_step {
	uint32_t cc;
	const uint8_t *body;
	size_t len;
};
/* The step at *pos of k->policy, advancing *pos: false after the last. */
bool keyfile_policy_next(const struct tpm_keyfile *k, size_t *pos, struct tpm_policy_step *ret);
/* Append a step to k->policy. */
int keyfile_policy_add(struct tpm_keyfile *k, uint32_t cc, const void *body, size_t len);

void keyfile_free(struct tpm_keyfile *k);
DEFINE_CLEANUP(struct tpm_keyfile, keyfile_free)

/* Parse PEM text.  Every field of the draft is read; what we cannot honour
 * (policies, importable or sealed keys) is refused with its own code. */
int keyfile_parse(const void *pem, size_t len, struct tpm_keyfile **ret);
/* The same from DER (what the tpm-add-key agent extension carries). */
int keyfile_parse_der(const void *der, size_t len, struct tpm_keyfile **ret);
/* Flags for the _flags variants: */
enum {
	KEYFILE_IMPORTABLE_OK = 1 << 0, /* importable keys are read too */
};
int keyfile_parse_flags(const void *pem, size_t len, unsigned flags, struct tpm_keyfile **ret);
int keyfile_parse_der_flags(const void *der, size_t len, unsigned flags, struct tpm_keyfile **ret);
/* The same through OpenSSL's ASN.1 templates (which write the files):
 * what fuzz-keyfile holds keyfile_parse_der_flags to. */
int keyfile_parse_der_reference(const void *der, size_t len, unsigned flags,
				struct tpm_keyfile **ret);
int keyfile_read_fd_flags(int fd, unsigned flags, struct tpm_keyfile **ret);
/* Read and parse a file (at most KEYFILE_MAX_SIZE bytes). */
int keyfile_read(const char *path, struct tpm_keyfile **ret);
/* The same for an open file (a regular file, else refused). */
int keyfile_read_fd(int fd, struct tpm_keyfile **ret);
/* open(2) for reading a key file: never blocks on a FIFO, never becomes
 * the controlling tty.  -1 with errno on failure. */
int keyfile_open(const char *path);
int keyfile_dup(const struct tpm_keyfile *k, struct tpm_keyfile **ret);
/* Serialise as PEM.  The description is written as [4] only when
 * with_description is set (see keyfile.c for why the default is not to). */
int keyfile_to_pem(const struct tpm_keyfile *k, bool with_description,
		   char **ret_pem, size_t *ret_len);
int keyfile_to_der(const struct tpm_keyfile *k, bool with_description,
		   uint8_t **ret_der, size_t *ret_len);
