/* SPDX-License-Identifier: MIT */
/* err.c - messages for enum ta_err (one switch, no default: a new code
 * without a message breaks the build under -Werror=switch-enum). */
#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

static const char *ta_err_message(enum ta_err e)
{
	switch (e) {
	case TA_OK:
		return "success";
	case TA_ERR_INTERNAL:
		return "internal error";
	case TA_ERR_NOMEM:
		return "out of memory";
	case TA_ERR_INCOMPLETE:
		return "data is truncated";
	case TA_ERR_FORMAT:
		return "invalid format";
	case TA_ERR_TOO_LARGE:
		return "data is too large";
	case TA_ERR_TRAILING:
		return "unexpected trailing data";
	case TA_ERR_SYSTEM:
		return "system error";
	case TA_ERR_LIBCRYPTO:
		return "error in libcrypto";
	case TA_ERR_INVALID_ARGUMENT:
		return "invalid argument";
	case TA_ERR_TPM:
		return "TPM command failed";
	case TA_ERR_TPM_AUTH:
		return "TPM authorization failed (wrong passphrase?)";
	case TA_ERR_TPM_LOCKOUT:
		return "TPM is in dictionary-attack lockout; wait for the lockout to expire";
	case TA_ERR_TPM_UNREACHABLE:
		return "cannot reach the TPM";
	case TA_ERR_TPM_UNSUPPORTED_ALG:
		return "key type or size not supported by this TPM";
	case TA_ERR_TPM_OBJECT_MEMORY:
		return "TPM object or session memory is full: objects or sessions loaded by other "
		       "programs hold it (list them with 'tpm2_getcap handles-transient' and "
		       "'tpm2_getcap handles-loaded-session', flush them with "
		       "'tpm2_flushcontext -t' and 'tpm2_flushcontext -l')";
	case TA_ERR_KEY_NOT_FOUND:
		return "key not found";
	case TA_ERR_UNSUPPORTED:
		return "operation not supported";
	case TA_ERR_KEYFILE_PEM:
		return "not a PEM file (no '-----BEGIN TSS2 PRIVATE KEY-----' block)";
	case TA_ERR_KEYFILE_LABEL:
		return "PEM label is not 'TSS2 PRIVATE KEY'";
	case TA_ERR_KEYFILE_DER:
		return "TSS2 key: ASN.1 structure is invalid or truncated";
	case TA_ERR_KEYFILE_OID:
		return "TSS2 key: 'type' is not a TPM key OID (2.23.133.10.1.x)";
	case TA_ERR_KEYFILE_IMPORTABLE:
		return "TSS2 key: an importable key (2.23.133.10.1.4) made for this TPM by --wrap; import it first with ssh-tpm-keygen --import FILE";
	case TA_ERR_KEYFILE_SEALED:
		return "TSS2 key: sealed data objects (2.23.133.10.1.5) are not signing keys";
	case TA_ERR_KEYFILE_POLICY:
		return "TSS2 key: [1] policy is malformed (a step that is not a command code and its parameters, or more than 16 steps)";
	case TA_ERR_KEYFILE_AUTHPOLICY:
		return "TSS2 key: signed policies ([3] authPolicy, TPM2_PolicyAuthorize) are not supported: the key can be listed but not used";
	case TA_ERR_POLICY_UNSUPPORTED:
		return "TSS2 key: its [1] policy has a step this agent does not run (the log names it): the key can be listed but not used";
	case TA_ERR_PCR_CHANGED:
		return "the machine's boot state changed: this key is sealed to PCR values the TPM no longer has (the log names the PCRs)";
	case TA_ERR_POLICY_FAILED:
		return "the TPM refused the key's policy (its [1] policy is missing or does not match the key's authPolicy, or the state it names changed)";
	case TA_ERR_KEYFILE_SECRET:
		return "TSS2 key: [2] secret is malformed, missing from an importable key, or in a key that is not importable";
	case TA_ERR_KEYFILE_PARENT:
		return "TSS2 key: 'parent' is not an owner/endorsement/platform/null hierarchy or persistent handle";
	case TA_ERR_KEYFILE_PUBLIC:
		return "TSS2 key: 'pubkey' is not a valid TPM2B_PUBLIC";
	case TA_ERR_KEYFILE_PRIVATE:
		return "TSS2 key: 'privkey' is not a valid TPM2B_PRIVATE";
	case TA_ERR_KEY_TYPE:
		return "unsupported key type";
	case TA_ERR_CANCELLED:
		return "cancelled";
	case TA_ERR_NO_PROMPT:
		return "cannot ask for the passphrase: no terminal, and the askpass program may not be used (set SSH_ASKPASS and DISPLAY, or SSH_ASKPASS_REQUIRE=force)";
	case TA_ERR_TPM_OWNER_AUTH:
		return "TPM owner authorization failed: the owner hierarchy has a password (give it with -o or SSH_TPM_AGENT_OWNER_PASSWORD)";
	case TA_ERR_TIMEOUT:
		return "timed out";
	case TA_ERR_UNSAFE_PATH:
		return "refusing a file or directory that another user could change";
	case TA_ERR_HANGUP:
		return "the client went away";
	case TA_ERR_TPM_FOREIGN_KEY:
		return "the key does not belong to this TPM: it was made on another TPM, "
		       "or this TPM was cleared (TPM2_Clear) since it was made";
	case TA_ERR_BAD_PASSPHRASE:
		return "incorrect passphrase supplied to decrypt private key";
	case TA_ERR_TPM_IMPORT_PARENT:
		return "the TPM cannot unwrap the key: it was wrapped for another parent key "
		       "(another TPM, another --wrap-with key, or the TPM was cleared since), "
		       "or the file is damaged";
	case TA_ERR_KEY_MISMATCH:
		return "the public key in the file does not match its private key";
	case TA_ERR_TSS2_MISSING:
		return "the TPM software stack could not be loaded (libtss2-esys.so.0, "
		       "libtss2-tctildr.so.0, libtss2-mu.so.0, libtss2-rc.so.0: Debian packages "
		       "libtss2-esys-3.0.2-0, libtss2-tctildr0, libtss2-mu0, libtss2-rc0)";
	case TA_ERR_EOF:
		return "connection closed";
	case TA_ERR_AUTH_TOO_LONG:
		return "passphrase is longer than the TPM accepts for this key "
		       "(32 bytes for keys with a SHA-256 name)";
	}
	return NULL;
}

const char *ta_strerror(int r)
{
	static __thread char msg[512];
	const char *m = ta_err_message((enum ta_err)r);
	unsigned long e;

	if (!m) {
		snprintf(msg, sizeof(msg), "unknown error %d", r);
		return msg;
	}
	if (r == TA_ERR_SYSTEM) {
		snprintf(msg, sizeof(msg), "%s", strerror(errno));
		return msg;
	}
	if (r == TA_ERR_LIBCRYPTO) {
		e = ERR_get_error();
		if (e != 0) {
			char buf[256];
			ERR_error_string_n(e, buf, sizeof(buf));
			ERR_clear_error();
			snprintf(msg, sizeof(msg), "%s: %s", m, buf);
			return msg;
		}
	}
	return m;
}
