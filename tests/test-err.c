/* SPDX-License-Identifier: MIT */
/* test-err.c - ta_strerror: a message for every code, errno for system
 * errors, and messages that say what to do. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <string.h>

#include "err.h"

Test(ta_strerror, every_code_has_a_message)
{
	for (int r = TA_OK; r >= TA_ERR_KEY_MISMATCH; r--)
		cr_assert(strncmp(ta_strerror(r), "unknown error", 13) != 0,
			  "code %d has no message", r);
}

Test(ta_strerror, unknown_code_is_named)
{
	cr_assert(eq(str, (char *)ta_strerror(-9999), "unknown error -9999"));
}

Test(ta_strerror, system_error_is_errno)
{
	errno = ENOENT;
	cr_assert(eq(str, (char *)ta_strerror(TA_ERR_SYSTEM), strerror(ENOENT)));
}

Test(ta_strerror, full_tpm_says_how_to_flush)
{
	const char *m = ta_strerror(TA_ERR_TPM_OBJECT_MEMORY);

	cr_assert(strstr(m, "tpm2_getcap handles-transient") != NULL, "%s", m);
	cr_assert(strstr(m, "tpm2_flushcontext -t") != NULL, "%s", m);
}

Test(ta_strerror, foreign_key_names_the_causes)
{
	const char *m = ta_strerror(TA_ERR_TPM_FOREIGN_KEY);

	cr_assert(strstr(m, "another TPM") != NULL && strstr(m, "cleared") != NULL, "%s", m);
}
