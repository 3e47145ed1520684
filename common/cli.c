/* SPDX-License-Identifier: MIT */
/* cli.c - command-line helpers shared by the agent and the tools. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "sysutil.h"

void cli_exit_stdout(void)
{
	/* --help > /dev/full is a failure, as in coreutils. */
	exit(fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1);
}

void cli_version(const char *program)
{
	if (strcmp(program, "ssh-tpm-agent") == 0)
		printf("ssh-tpm-agent %s\n", TA_VERSION);
	else
		printf("%s (ssh-tpm-agent) %s\n", program, TA_VERSION);
	cli_exit_stdout();
}

int cli_parse_seconds(const char *opt, const char *s, unsigned max, unsigned *ret)
{
	unsigned long v;

	/* Digits only: strtoul alone takes "+5" and " 5", and a minus sign
	 * after a space, negated modulo 2^64 (" -18446744073709551615" was
	 * 1 second). */
	if (parse_decimal(s, max, &v) < 0 || v == 0) {
		log_error("invalid %s '%s': expected seconds (1 .. %u)", opt, s, max);
		return -1;
	}
	*ret = (unsigned)v;
	return 0;
}

int cli_take_owner_password(char **ret)
{
	char *env = getenv("SSH_TPM_AGENT_OWNER_PASSWORD");
	char *pw;

	*ret = NULL;
	if (!env || !*env)
		return 0;
	pw = strdup(env);
	explicit_bzero(env, strlen(env));
	unsetenv("SSH_TPM_AGENT_OWNER_PASSWORD");
	if (!pw)
		return TA_ERR_NOMEM;
	*ret = pw;
	return 0;
}

int cli_no_operands(int argc, char **argv)
{
	if (optind < argc) {
		log_error("unexpected argument '%s' (see --help)", argv[optind]);
		return -1;
	}
	return 0;
}
