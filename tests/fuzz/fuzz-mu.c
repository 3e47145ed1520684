/* SPDX-License-Identifier: MIT */
/* fuzz-mu.c - libFuzzer target, differential: keystore/tpm-mu.c against
 * tss2-mu itself.  Whatever we read, tss2-mu reads to the same struct and
 * the same length; whatever tss2-mu reads as an RSA or ECC TPM2B_PUBLIC
 * whose size is its own, we read too; and both write it back to the same
 * bytes. */
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "tpm-mu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TPM2B_PUBLIC ours, theirs;
	uint8_t a[sizeof(TPM2B_PUBLIC)], b[sizeof(TPM2B_PUBLIC)];
	size_t off = 0, la = 0, lb = 0;
	bool ours_ok, theirs_ok;

	memset(&theirs, 0, sizeof(theirs));
	ours_ok = mu_public_from_bytes(data, size, &ours) == 0;
	theirs_ok = Tss2_MU_TPM2B_PUBLIC_Unmarshal(data, size, &off, &theirs) == TSS2_RC_SUCCESS &&
		    off == size && (size_t)theirs.size + 2 == size &&
		    (theirs.publicArea.type == TPM2_ALG_RSA || theirs.publicArea.type == TPM2_ALG_ECC);
	if (ours_ok != theirs_ok)
		abort();
	if (!ours_ok)
		return 0;
	if (memcmp(&ours, &theirs, sizeof(ours)) != 0)
		abort();
	if (mu_public_to_bytes(&ours, a, sizeof(a), &la) != 0 ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(&theirs, b, sizeof(b), &lb) != TSS2_RC_SUCCESS || la != lb ||
	    memcmp(a, b, la) != 0 || la != size || memcmp(a, data, size) != 0)
		abort();
	return 0;
}
