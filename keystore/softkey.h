/* SPDX-License-Identifier: MIT */
/* softkey.h - ordinary (software) SSH private keys, as ssh-add sends them
 * in ADD_IDENTITY (PROTOCOL.agent): ed25519, ecdsa P-256/384/521 and rsa,
 * and their certificates.  They are parsed, checked (the private part
 * must match the public one) and signed with by OpenSSL.  The agent keeps
 * them only as the bytes ssh-add sent, in the kernel keyring. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cleanup.h"
#include "sshkey.h"

struct softkey;

/* Parse a private key from b (its type name and fields; the comment that
 * follows in ADD_IDENTITY is left in b).  Checks that the private key
 * belongs to the public one, and refuses rsa under 1024 bits as OpenSSH
 * does.  TA_ERR_KEY_TYPE for a type we do not know. */
int softkey_parse(struct buf *b, struct softkey **ret);
void softkey_free(struct softkey *k);
/* The OpenSSL key, handed over (k keeps none). */
struct evp_pkey_st *softkey_take_pkey(struct softkey *k);
/* A certificate (of a key type we hold) that is well formed to its last
 * byte and signed by the CA key it names (ed25519, ecdsa or rsa): 0, else
 * TA_ERR_FORMAT / TA_ERR_KEY_TYPE. */
int softkey_cert_check(const uint8_t *cert, size_t len);
DEFINE_CLEANUP(struct softkey, softkey_free)

/* What a certificate says (PROTOCOL.certkeys); pointers into its blob. */
#define SOFTKEY_CERT_USER 1
#define SOFTKEY_CERT_HOST 2
struct softkey_cert {
	uint32_t type;                /* SOFTKEY_CERT_USER or _HOST */
	const uint8_t *principals;    /* a list of strings */
	size_t principals_len;
	uint64_t valid_after, valid_before;
	size_t critical_len;          /* 0: no critical options */
	const uint8_t *ca;            /* the CA's public key blob */
	size_t ca_len;
	const uint8_t *sig_alg;       /* the CA signature's algorithm */
	size_t sig_alg_len;
};
/* softkey_cert_check, and what the certificate says. */
int softkey_cert_parse(const uint8_t *cert, size_t len, struct softkey_cert *ret);
/* A public key (or certificate) blob as a client can read it: well
 * formed to its last byte for the types we know and for ssh-dss and
 * sk-* keys; a type nobody here knows passes (clients skip those). */
int softkey_pubkey_check(const uint8_t *blob, size_t len);
/* sig (string algorithm, string blob) is the signature of data by the
 * public key (ed25519, ecdsa, rsa, or a certificate of one: its CA's
 * signature is checked too) in key: 0, else TA_ERR_FORMAT (a bad
 * signature), TA_ERR_KEY_TYPE. */
int softkey_verify(const uint8_t *key, size_t key_len, const uint8_t *sig, size_t sig_len,
		   const uint8_t *data, size_t data_len);

/* The blob the agent lists: the certificate for a certificate, else the
 * public key. */
void softkey_blob(const struct softkey *k, const uint8_t **ret, size_t *ret_len);
/* "SHA256:..." of the public key (of the certified key for a
 * certificate), as ssh-add -l prints it. */
int softkey_fingerprint(const struct softkey *k, char **ret);
/* "ED25519", "ECDSA", "RSA" (ssh-add -l's last column; "-CERT" added for
 * certificates), and the key size in bits. */
const char *softkey_label(const struct softkey *k);
unsigned softkey_bits(const struct softkey *k);
bool softkey_is_rsa(const struct softkey *k);

/* Sign data and append the SSH signature (string algorithm, string blob)
 * to out.  hash matters for rsa only (SHA-1: ssh-rsa, SHA-256/512:
 * rsa-sha2-*); ecdsa signs with its curve's hash, ed25519 with none. */
int softkey_sign(const struct softkey *k, enum ta_hash hash, const uint8_t *data,
		 size_t len, struct buf *out);
