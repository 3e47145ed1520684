/* SPDX-License-Identifier: MIT */
/* pubkey.h - what a TPM2B_PUBLIC says without a TPM: the SSH public key,
 * its type and size, and how long its passphrase may be. */
#pragma once

#include <stddef.h>

#include <tss2/tss2_tpm2_types.h>

#include "sshkey.h"

/* The SSH public key held in a TPM2B_PUBLIC. */
int tpm_public_to_sshkey(const TPM2B_PUBLIC *pub, struct sshkey **ret);
/* The longest passphrase (authValue) the TPM accepts for this object:
 * the digest size of its name algorithm (32 for our SHA-256 keys). */
size_t tpm_auth_max(const TPM2B_PUBLIC *pub);
#define TPM_NEW_KEY_AUTH_MAX 32
/* The key type and size of a TPM2B_PUBLIC. */
int tpm_public_type(const TPM2B_PUBLIC *pub, enum sshkey_type *ret_type,
		    unsigned *ret_bits);
