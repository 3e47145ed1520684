/* SPDX-License-Identifier: MIT */
/* err.h - the project's single error enum and its messages. */
#pragma once

enum ta_err {
	TA_OK = 0,
	TA_ERR_INTERNAL = -1,
	TA_ERR_NOMEM = -2,
	TA_ERR_INCOMPLETE = -3,
	TA_ERR_FORMAT = -4,
	TA_ERR_TOO_LARGE = -5,
	TA_ERR_TRAILING = -6,
	TA_ERR_SYSTEM = -7,
	TA_ERR_LIBCRYPTO = -8,
	TA_ERR_INVALID_ARGUMENT = -9,
	TA_ERR_TPM = -10,
	TA_ERR_TPM_AUTH = -11,
	TA_ERR_TPM_LOCKOUT = -12,
	TA_ERR_TPM_UNREACHABLE = -13,
	TA_ERR_TPM_UNSUPPORTED_ALG = -14,
	TA_ERR_TPM_OBJECT_MEMORY = -15,
	TA_ERR_KEY_NOT_FOUND = -16,
	TA_ERR_UNSUPPORTED = -17,
	TA_ERR_KEYFILE_PEM = -18,
	TA_ERR_KEYFILE_LABEL = -19,
	TA_ERR_KEYFILE_DER = -20,
	TA_ERR_KEYFILE_OID = -21,
	TA_ERR_KEYFILE_IMPORTABLE = -22,
	TA_ERR_KEYFILE_SEALED = -23,
	TA_ERR_KEYFILE_POLICY = -24,
	TA_ERR_KEYFILE_AUTHPOLICY = -25,
	TA_ERR_KEYFILE_SECRET = -26,
	TA_ERR_KEYFILE_PARENT = -27,
	TA_ERR_KEYFILE_PUBLIC = -28,
	TA_ERR_KEYFILE_PRIVATE = -29,
	TA_ERR_KEY_TYPE = -30,
	TA_ERR_CANCELLED = -31,
	TA_ERR_TPM_OWNER_AUTH = -32,
	TA_ERR_NO_PROMPT = -33,
	TA_ERR_TIMEOUT = -34,
	TA_ERR_UNSAFE_PATH = -35,
	TA_ERR_HANGUP = -36,
	TA_ERR_TPM_FOREIGN_KEY = -37,
	TA_ERR_AUTH_TOO_LONG = -38,
	TA_ERR_EOF = -39,
};

/* Human-readable message for a (negative) ta_err code.  For TA_ERR_SYSTEM
 * it appends strerror(errno); for TA_ERR_LIBCRYPTO it drains OpenSSL's
 * error queue.  The returned string is valid until the next call. */
const char *ta_strerror(int r);
