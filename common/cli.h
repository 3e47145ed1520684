/* SPDX-License-Identifier: MIT */
/* cli.h - what every program's command line shares: numbers of seconds,
 * and the TPM owner password from the environment. */
#pragma once

/* s as a number of seconds in 1 .. max (decimal digits, nothing else),
 * else a one-line error naming the option and -1. */
int cli_parse_seconds(const char *opt, const char *s, unsigned max, unsigned *ret);

/* SSH_TPM_AGENT_OWNER_PASSWORD, taken (a copy in *ret, NULL when unset or
 * empty) and then wiped from the environment, so that no child (an
 * askpass, a swtpm) inherits it.  0, or TA_ERR_NOMEM. */
int cli_take_owner_password(char **ret);

/* After getopt: operands are not expected; a one-line error for the
 * first one and -1, else 0. */
int cli_no_operands(int argc, char **argv);
