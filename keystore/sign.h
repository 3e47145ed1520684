/* sign.h - data -> SSH signature blob, signed by a TPM key. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keyfile.h"
#include "tpm.h"

/* Agent-protocol sign flags (draft-ietf-sshm-ssh-agent). */
#define SSH_AGENT_RSA_SHA2_256 0x02
#define SSH_AGENT_RSA_SHA2_512 0x04

/* Hash data as the key type and flags require, have the TPM sign it and
 * append the SSH signature (string algorithm, string blob) to out. */
int keystore_sign(struct tpm *t, const struct tpm_keyfile *k,
		  const char *auth, uint32_t flags, const uint8_t *data,
		  size_t len, struct buf *out);
/* The SSH encoding of a TPM signature, for the given hash (RSA). */
int sign_encode(const struct tpm_sig *sig, enum ta_hash hash, size_t rsa_len,
		struct buf *out);
