/* SPDX-License-Identifier: MIT */
/* verify.h - check SSH signatures with OpenSSL (independently of the TPM). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sshkey.h"

/* Verify an SSH signature blob (string alg, string sig) over data with
 * the public key, using OpenSSL only.  Returns 1 if valid, 0 if not.
 * *ret_alg receives the algorithm name (static storage of the blob copy). */
int test_verify_ssh_sig(const struct sshkey *key, const uint8_t *sig,
			size_t sig_len, const void *data, size_t data_len,
			char *ret_alg, size_t alg_size);
