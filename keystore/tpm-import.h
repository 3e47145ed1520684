/* SPDX-License-Identifier: MIT */
/* tpm-import.h - keys made outside the TPM: a software private key
 * wrapped to a storage parent's public key (the outer wrapper of TPM
 * duplication, computed here), and TPM2_Import of such a wrapping into a
 * key file this TPM loads.  Even a local import wraps in software first:
 * the private key never crosses the TPM bus in clear. */
#pragma once

#include <stddef.h>

#include <tss2/tss2_tpm2_types.h>

#include "keyfile.h"
#include "tpm.h"

struct evp_pkey_st;

/* The key's public area and its sensitive part (with auth as its
 * passphrase), wrapped to parent (an ECC or RSA storage key; its nameAlg
 * and symmetric algorithm are used): what TPM2_Import takes as
 * objectPublic, duplicate and inSymSeed.  TA_ERR_KEY_TYPE for a key that
 * is neither ecdsa P-256/384/521 nor rsa 2048..4096, TA_ERR_FORMAT for a
 * parent that is not a storage key. */
int tpm_wrap_key(struct evp_pkey_st *key, const char *auth, const TPMT_PUBLIC *parent,
		 TPM2B_PUBLIC *ret_pub, TPM2B_PRIVATE *ret_dup, TPM2B_ENCRYPTED_SECRET *ret_seed);

/* The TPM public area an imported key gets (TA_ERR_KEY_TYPE as above). */
int tpm_key_public(struct evp_pkey_st *key, TPM2B_PUBLIC *ret);

/* A parent's public key as another machine hands it over: an SPKI PEM
 * ("BEGIN PUBLIC KEY", as tpm2_createprimary -f pem and systemd write it;
 * taken as the TCG SRK template of its type, ECC P-256 or RSA-2048), or a
 * marshalled TPM2B_PUBLIC (tpm2_readpublic -o, systemd's .tpm2b_public).
 * *ret_rsa tells an RSA parent. */
int tpm_parent_public_parse(const void *data, size_t len, TPMT_PUBLIC *ret, bool *ret_rsa);

/* The parent is what a hierarchy's CreatePrimary of the SRK template
 * (ECC P-256 or RSA-2048) gives, unique aside: an importable key naming a
 * hierarchy as its parent can be imported under it. */
bool tpm_parent_is_srk_template(const TPMT_PUBLIC *p);

/* Wrap key to this TPM's parent (a hierarchy's SRK or a persistent
 * handle) and import it: *ret is a loadable key file. */
int tpm_import_key(struct tpm *t, struct evp_pkey_st *key, const char *auth, uint32_t parent,
		   struct tpm_keyfile **ret);
/* Import an importable key file (made by --wrap here or elsewhere):
 * *ret is the loadable key file. */
int tpm_import_keyfile(struct tpm *t, const struct tpm_keyfile *k, struct tpm_keyfile **ret);
