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

/* getopt_long's c: 1 when it was a TPM option (taken into o), 0 when not,
 * -1 for a bad value (logged). */
int tpm_cli_option(struct tpm_opts *o, int c, const char *arg);
