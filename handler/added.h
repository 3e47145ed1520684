/* SPDX-License-Identifier: MIT */
/* added.h - identities added with ssh-add (ADD_IDENTITY,
 * ADD_ID_CONSTRAINED): each one a cache record of kind identity in the
 * user's kernel keyring, so every later handler of the user sees it and
 * its lifetime holds with no process alive.  The record's id is the hex
 * SHA-256 of the blob it is listed with (a key and its certificate are
 * two identities, as in OpenSSH's agent). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handler.h"

struct added {
	uint64_t seq;     /* when first added: the listing order */
	uint8_t *blob;    /* listed blob (certificate or public key) */
	size_t blob_len;
	uint8_t *key;     /* the private key as ssh-add sent it (secret) */
	size_t key_len;
	char *comment;
	uint8_t *dest;    /* destination constraints (dest.h), as sent */
	size_t dest_len;
	uint32_t flags;   /* ADDED_CONFIRM */
};

#define ADDED_CONFIRM 0x1
#define ADDED_MAX_COMMENT 1024
#define ADDED_TPM 0x2 /* key: a TSS2 key file (DER), from ssh-tpm-add */

/* The constraints that end ADD_ID_CONSTRAINED (and tpm-add-key): a
 * lifetime, confirm and destinations (restrict-destination-v00@
 * openssh.com, checked; *dest points into req), each at most once, as
 * OpenSSH's agent takes them; any other one is refused
 * (TA_ERR_UNSUPPORTED). */
int added_parse_constraints(struct buf *req, unsigned *lifetime, uint32_t *flags,
			    const uint8_t **dest, size_t *dest_len);

void added_clear(struct added *a);

/* The record's bytes (version 3; see added.c) and back.  Decoding reads
 * version 2 too, and the key only when with_key is set or the key is a
 * TSS2 key file (ADDED_TPM): a listing reads past no secret.  *ret is
 * cleared with added_clear(). */
int added_encode(struct buf *b, const struct added *a);
int added_decode(const uint8_t *data, size_t len, bool with_key, struct added *ret);

/* Store (or replace, keeping its place in the list) an identity; lifetime
 * 0: until removed. */
int added_put(struct handler_conn *c, const uint8_t *blob, size_t blob_len,
	      const uint8_t *key, size_t key_len, const char *comment,
	      const uint8_t *dest, size_t dest_len, uint32_t flags, unsigned lifetime);
/* The identity listed with blob: TA_ERR_KEY_NOT_FOUND when none. */
int added_get(struct handler_conn *c, const uint8_t *blob, size_t blob_len,
	      struct added *ret);
int added_drop(struct handler_conn *c, const uint8_t *blob, size_t blob_len);
/* Every added identity, oldest first (the private keys of software keys
 * left out; TPM key files in). */
int added_list(struct handler_conn *c, struct added **ret, size_t *ret_n);
/* keep (may be NULL): identities whose records stay. */
int added_drop_all(struct handler_conn *c, const struct identity_list *keep);
