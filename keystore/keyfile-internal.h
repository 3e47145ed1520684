/* SPDX-License-Identifier: MIT */
/* keyfile-internal.h - a TSS2 PRIVATE KEY's DER fields as byte spans into
 * the encoding: what keyfile-der.c reads, and what keyfile.c turns into
 * a struct tpm_keyfile. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct der_span {
	const uint8_t *p;
	size_t len;
	bool present;
};

/* More [1] policy steps than this are refused (the longest chains seen
 * have three: PolicyPCR, PolicyAuthValue and a PolicyAuthorize). */
#define KEYFILE_MAX_POLICY 16

struct takey_view {
	struct der_span type;       /* OBJECT IDENTIFIER contents */
	int empty_auth;             /* [0]: -1 absent, 0 FALSE, 1 TRUE */
	bool policy;                /* [1] present */
	/* [1]'s steps: commandCode INTEGER contents, commandPolicy OCTET
	 * STRING contents, in order. */
	size_t n_policy;
	struct der_span policy_cc[KEYFILE_MAX_POLICY], policy_body[KEYFILE_MAX_POLICY];
	struct der_span secret;     /* [2] OCTET STRING contents */
	bool auth_policy;           /* [3] present */
	struct der_span description; /* [4] UTF8String contents */
	int rsa_parent;             /* [5]: as empty_auth */
	struct der_span parent;     /* INTEGER contents (two's complement) */
	struct der_span pubkey, privkey; /* OCTET STRING contents */
};

/* The whole of der is one TSS2 key SEQUENCE in DER (minimal lengths, no
 * indefinite forms, fields in the draft's order): 0 and the view, else
 * TA_ERR_KEYFILE_DER (or TA_ERR_TRAILING for bytes after it). */
int keyfile_der_read(const uint8_t *der, size_t len, struct takey_view *ret);

/* The first PEM block of text (lines before it are skipped, as OpenSSL
 * does): its label (NUL-terminated, in label, at most label_max - 1
 * bytes) and its base64 decoded into a new buffer.  A block with headers
 * (RFC 1421 "Proc-Type:" and such) is not one of ours.  TA_ERR_KEYFILE_PEM
 * when there is no well-formed block. */
int keyfile_pem_read(const char *text, size_t len, char *label, size_t label_max,
		     uint8_t **ret_der, size_t *ret_len);
