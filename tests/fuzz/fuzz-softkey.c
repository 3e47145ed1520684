/* SPDX-License-Identifier: MIT */
/* fuzz-softkey - public key and certificate blobs as other agents and
 * session binds bring them: a fallback agent's listing
 * (softkey_pubkey_check), a certificate's fields (softkey_cert_parse),
 * a host key verifying a signature (softkey_verify, the input as key and
 * as signature).  Failures leave OpenSSL's error queue empty. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "softkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sid[32] = { 1 };
	struct softkey_cert ci;

	softkey_pubkey_check(data, size);
	softkey_cert_parse(data, size, &ci);
	softkey_verify(data, size, data, size, sid, sizeof(sid));
	/* Every failure leaves OpenSSL's error queue clean, as fuzz-keyfile
	 * checks for key files: a stale entry would be printed with the next
	 * TA_ERR_LIBCRYPTO (err.c) as its cause.  (A queue that fills also
	 * costs LeakSanitizer passes here, 10x the time.) */
	if (ERR_peek_error() != 0)
		abort();
	return 0;
}
