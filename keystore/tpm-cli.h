/* SPDX-License-Identifier: MIT */
/* tpm-cli.h - the TPM options every program takes (--tcti, --swtpm,
 * --tpm-timeout), parsed in one place. */
#pragma once

#include <getopt.h>

#include "tpm.h"

enum {
	TPM_OPT_TCTI = 0x1000,
	TPM_OPT_SWTPM,
	TPM_OPT_TPM_TIMEOUT,
};

/* Entries for a struct option table. */
#define TPM_CLI_OPTIONS                                                        \
	{ "tcti", required_argument, NULL, TPM_OPT_TCTI },                     \
	{ "swtpm", no_argument, NULL, TPM_OPT_SWTPM },                         \
	{ "tpm-timeout", required_argument, NULL, TPM_OPT_TPM_TIMEOUT }

/* For getopt_long's default case: c as a TPM option, taken into o (0);
 * else -1 with one line saying why -- a bad value, or an unknown option
 * or missing argument (log_getopt_error). */
int tpm_cli_option(struct tpm_opts *o, int c, const char *arg, char **argv);
/* owner|o, endorsement|e, null|n, platform|p -> TA_RH_*; 0 if none. */
uint32_t tpm_hierarchy_from_string(const char *s);
/* --hierarchy ARG: *ret (TA_RH_*), or -1 after one line saying why. */
int tpm_cli_hierarchy(const char *arg, uint32_t *ret);
/* "Owner", "Endorsement", "Null", "Platform" (NULL for other handles). */
const char *tpm_hierarchy_title(uint32_t h);
