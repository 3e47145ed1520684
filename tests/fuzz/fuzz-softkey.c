/* SPDX-License-Identifier: MIT */
/* fuzz-softkey - public key and certificate blobs as other agents and
 * session binds bring them: a fallback agent's listing
 * (softkey_pubkey_check), a certificate's fields (softkey_cert_parse),
 * a host key verifying a signature (softkey_verify, the input as key and
 * as signature). */
#include <stddef.h>
#include <stdint.h>

#include "softkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sid[32] = { 1 };
	struct softkey_cert ci;

	softkey_pubkey_check(data, size);
	softkey_cert_parse(data, size, &ci);
	softkey_verify(data, size, data, size, sid, sizeof(sid));
	return 0;
}
