/* SPDX-License-Identifier: MIT */
/* privfile.h - software private key files, to be imported into the TPM:
 * OpenSSH's own format (PROTOCOL.key, plain or encrypted: bcrypt KDF with
 * aes*-ctr, aes*-cbc or aes*-gcm@openssh.com), traditional PEM (maybe
 * encrypted) and PKCS#8 (plain or encrypted), as ssh-keygen reads them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

struct evp_pkey_st;

struct privfile {
	struct evp_pkey_st *pkey; /* the private key */
	char *comment;            /* OpenSSH's format only (may be ""), else NULL */
};

void privfile_free(struct privfile *p);
DEFINE_CLEANUP(struct privfile, privfile_free)

/* Up to this many bcrypt rounds (ssh-keygen -a; its default is 16, about
 * 0.1 s here; 1024 take about 7 s): more would make the import look hung. */
#define PRIVFILE_MAX_ROUNDS 1024

struct privfile_info {
	bool openssh;   /* OpenSSH's own format */
	bool encrypted; /* a passphrase is needed */
	bool unsupported; /* OpenSSH: a cipher, KDF or round count we do not take */
	unsigned rounds;  /* OpenSSH: bcrypt rounds (0: none) */
	char type[64];  /* the key type when the file says it ("ssh-dss",
			 * "ssh-ed25519", "DSA", ...), else "" */
};

/* What the file is, without a passphrase; TA_ERR_FORMAT if it is none of
 * the formats above. */
int privfile_info(const void *data, size_t len, struct privfile_info *ret);
/* Parse (and decrypt with passphrase, which may be NULL for a plain
 * file).  TA_ERR_BAD_PASSPHRASE for a wrong passphrase, TA_ERR_KEY_TYPE
 * for a key type the agent does not know, TA_ERR_FORMAT, TA_ERR_UNSUPPORTED
 * (a cipher or KDF we do not implement; its name is logged at debug),
 * TA_ERR_KEY_MISMATCH when the file's public key is not its private key's. */
int privfile_parse(const void *data, size_t len, const char *passphrase, struct privfile **ret);
