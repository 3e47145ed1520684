/* SPDX-License-Identifier: MIT */
/* bcrypt-pbkdf.h - the key derivation of OpenSSH's encrypted private key
 * files (PROTOCOL.key: kdfname "bcrypt"): PBKDF2-like rounds over a
 * bcrypt-style hash built from the EksBlowfish key schedule. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Fill key[0..keylen) (at most 1024 bytes) from pass and salt (at most 1024
 * bytes) with the
 * given number of rounds (>= 1).  0, or TA_ERR_INVALID_ARGUMENT. */
int bcrypt_pbkdf(const char *pass, size_t passlen, const uint8_t *salt, size_t saltlen,
		 uint8_t *key, size_t keylen, unsigned rounds);
