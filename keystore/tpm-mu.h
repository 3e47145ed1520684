/* SPDX-License-Identifier: MIT */
/* tpm-mu.h - the TPM structures a key file holds (TPM2B_PUBLIC of an RSA
 * or ECC key, plain TPM2Bs), read and written in the TPM's wire format
 * without tss2-mu, so that reading a key file -- and with it listing keys
 * -- needs no tss2 library at all (see tss2-dl.h). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "buf.h"

/* A TPM2B_PUBLIC (size, then TPMT_PUBLIC) of type RSA or ECC; the size
 * must be exactly that of the TPMT_PUBLIC.  Every union member is read as
 * tss2-mu 3.2 reads it; other object types and selectors tss2-mu does not
 * know are TA_ERR_FORMAT.  On failure *ret is zeroed and b unchanged. */
int mu_get_public(struct buf *b, TPM2B_PUBLIC *ret);
/* The same, writing: the size is computed from the area, as tss2-mu does. */
int mu_put_public(struct buf *b, const TPM2B_PUBLIC *pub);
/* A bare TPMT_PUBLIC (what a Name hashes). */
int mu_put_tpmt_public(struct buf *b, const TPMT_PUBLIC *pub);

/* A TPM2B of at most cap bytes (size u16, then the bytes) into dst. */
int mu_get_tpm2b(struct buf *b, uint8_t *dst, size_t cap, uint16_t *ret_size);
int mu_put_tpm2b(struct buf *b, const uint8_t *src, uint16_t size);

/* Whole-buffer forms: all of data must be the structure. */
int mu_public_from_bytes(const uint8_t *data, size_t len, TPM2B_PUBLIC *ret);
/* Marshal into out (cap bytes); *ret_len the bytes written. */
int mu_public_to_bytes(const TPM2B_PUBLIC *pub, uint8_t *out, size_t cap, size_t *ret_len);
