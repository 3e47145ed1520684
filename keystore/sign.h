/* SPDX-License-Identifier: MIT */
/* sign.h - data -> SSH signature blob, signed by a TPM key. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keyfile.h"
#include "tpm.h"

/* Hash data with hash (RSA: SHA-1 for ssh-rsa, SHA-256/512 for
 * rsa-sha2-*; ECDSA: the curve's hash, else TA_ERR_INVALID_ARGUMENT), have
 * the TPM sign the digest and append the SSH signature (string algorithm,
 * string blob) to out. */
int keystore_sign(struct tpm *t, const struct tpm_keyfile *k,
		  const char *auth, enum ta_hash hash, const uint8_t *data,
		  size_t len, struct buf *out);
/* The same with a saved context to try and renew (tpm_saved_ctx). */
int keystore_sign_ctx(struct tpm *t, const struct tpm_keyfile *k, const char *auth,
		      enum ta_hash hash, const uint8_t *data, size_t len,
		      struct tpm_saved_ctx *ctx, struct buf *out);
/* The SSH encoding of a TPM signature, for the given hash (RSA). */
int sign_encode(const struct tpm_sig *sig, enum ta_hash hash, size_t rsa_len,
		struct buf *out);
