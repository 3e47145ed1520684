/* SPDX-License-Identifier: MIT */
/* sshkey.h - SSH public keys: wire blobs, .pub lines, SHA256 fingerprints. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cleanup.h"

enum sshkey_type {
	SSHKEY_ECDSA_P256,
	SSHKEY_ECDSA_P384,
	SSHKEY_ECDSA_P521,
	SSHKEY_RSA,
};

enum ta_hash {
	TA_HASH_SHA1,
	TA_HASH_SHA256,
	TA_HASH_SHA384,
	TA_HASH_SHA512,
};

#define SSHKEY_MAX_BLOB (16 * 1024)
#define SSHKEY_MAX_RSA_BITS 16384

struct sshkey {
	enum sshkey_type type;
	/* ECDSA: uncompressed point 0x04||X||Y, coordinates padded. */
	uint8_t *q;
	size_t q_len;
	/* RSA: unsigned big-endian magnitudes, no leading zeros. */
	uint8_t *e;
	size_t e_len;
	uint8_t *n;
	size_t n_len;
};

void sshkey_free(struct sshkey *k);
DEFINE_CLEANUP(struct sshkey, sshkey_free)

/* "ecdsa-sha2-nistp256", ..., "ssh-rsa". */
const char *sshkey_type_name(enum sshkey_type t);
/* Curve identifier "nistp256" etc. (NULL for RSA). */
const char *sshkey_curve_name(enum sshkey_type t);
/* Size of an ECDSA field element in bytes (0 for RSA). */
size_t sshkey_ecdsa_field_len(enum sshkey_type t);
/* The hash an ECDSA key signs with. */
enum ta_hash sshkey_ecdsa_hash(enum sshkey_type t);
/* Key size in bits, as ssh-keygen -l prints it. */
unsigned sshkey_bits(const struct sshkey *k);
size_t ta_hash_len(enum ta_hash h);
/* OpenSSL's digest for h. */
const struct evp_md_st *ta_hash_md(enum ta_hash h);
/* Digest data with h; out must hold 64 bytes. */
int ta_hash_digest(enum ta_hash h, const void *data, size_t len, uint8_t *out);

/* Build keys from raw parts (copied). */
int sshkey_new_ecdsa(enum sshkey_type t, const uint8_t *x, size_t x_len,
		     const uint8_t *y, size_t y_len, struct sshkey **ret);
int sshkey_new_rsa(const uint8_t *e, size_t e_len, const uint8_t *n,
		   size_t n_len, struct sshkey **ret);

/* Wire blob (RFC 4253 / RFC 5656 public key format). */
int sshkey_to_blob(const struct sshkey *k, struct buf *out);
int sshkey_from_blob(const uint8_t *blob, size_t len, struct sshkey **ret);
/* True when both keys are the same public key. */
int sshkey_equal(const struct sshkey *a, const struct sshkey *b);

/* "SHA256:<base64 without padding>" of the blob, as ssh-keygen -l prints. */
int sshkey_fingerprint(const struct sshkey *k, char **ret);
/* The same of a key's wire blob, as it came (a host key, say). */
int sshkey_blob_fingerprint(const uint8_t *blob, size_t len, char **ret);
/* The randomart picture of the SHA256 fingerprint, as ssh-keygen -lv and
 * ssh-keygen's key generation draw it (11 lines, no final newline). */
int sshkey_randomart(const struct sshkey *k, char **ret);
/* "<type> <base64 blob>[ <comment>]" (no newline; control characters and
 * invalid UTF-8 in the comment become '?', so it is one line). */
int sshkey_format_pub(const struct sshkey *k, const char *comment, char **ret);
/* Parse one authorized_keys-style line "<type> <base64> [comment]".
 * Returns the raw blob, its type name and the comment (may be NULL). */
int sshkey_parse_pub_line(const char *line, uint8_t **ret_blob,
			  size_t *ret_blob_len, char **ret_type,
			  char **ret_comment);

/* The public key a certificate blob certifies (type must be one of the
 * *-cert-v01@openssh.com types for our key types). */
int sshkey_cert_public_key(const uint8_t *blob, size_t len,
			   struct sshkey **ret);
