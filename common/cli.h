/* SPDX-License-Identifier: MIT */
/* cli.h - what every program's command line shares: --help and
 * --version, the exit code of a usage error, numbers of seconds, and the
 * TPM owner password from the environment. */
#pragma once

#include <getopt.h>

/* A command line we cannot act on (an unknown option, a missing or bad
 * argument, modes that do not go together): exit 2, the message on
 * stderr.  Failures while doing the work exit 1. */
#define CLI_EXIT_USAGE 2

enum { CLI_OPT_VERSION = 0x2000 };
/* In every program's getopt_long table: -h/--help and --version. */
#define CLI_COMMON_OPTIONS                                                     \
	{ "help", no_argument, NULL, 'h' },                                    \
	{ "version", no_argument, NULL, CLI_OPT_VERSION }

/* --version: "PROGRAM (ssh-tpm-agent) VERSION" on stdout, exit 0. */
__attribute__((noreturn)) void cli_version(const char *program);
/* After --help's text: exit 0, or 1 when stdout could not take it. */
__attribute__((noreturn)) void cli_exit_stdout(void);

/* s as a time in 1 .. max seconds: decimal seconds, or OpenSSH's time
 * format as ssh-add -t takes it ("10m", "1h30m"; s m h d w, any case);
 * else a one-line error naming the option and -1. */
int cli_parse_seconds(const char *opt, const char *s, unsigned max, unsigned *ret);

/* SSH_TPM_AGENT_OWNER_PASSWORD, taken (a copy in *ret, NULL when unset or
 * empty) and then wiped from the environment, so that no child (an
 * askpass, a swtpm) inherits it.  0, or TA_ERR_NOMEM. */
int cli_take_owner_password(char **ret);

/* After getopt: operands are not expected; a one-line error for the
 * first one and -1, else 0. */
int cli_no_operands(int argc, char **argv);
