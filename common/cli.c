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

/* OpenSSH's TIME FORMATS (sshd_config(5), what ssh-add -t takes): groups
 * of decimal digits, each but the last followed by s, m, h, d or w (any
 * case; the last's may be left out: seconds), summed -- "600", "10m",
 * "1h30m".  No sign, no space.  0 and the sum, or -1 when malformed or
 * above max. */
static int parse_time(const char *s, unsigned long max, unsigned long *ret)
{
	static const char units[] = "sSmMhHdDwW";
	static const unsigned long unit_secs[] = { 1, 1, 60, 60, 3600, 3600, 86400, 86400,
						   7 * 86400, 7 * 86400 };
	unsigned long total = 0;

	if (!*s)
		return -1;
	while (*s) {
		unsigned long v = 0, unit = 1;
		const char *u;

		if (*s < '0' || *s > '9')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++) {
			v = v * 10 + (unsigned long)(*s - '0');
			if (v > max)
				return -1; /* (and no overflow) */
		}
		if (*s) {
			u = strchr(units, *s++);
			if (!u)
				return -1;
			unit = unit_secs[u - units];
		}
		if (v > (max - total) / unit)
			return -1;
		total += v * unit;
	}
	*ret = total;
	return 0;
}

int cli_parse_seconds(const char *opt, const char *s, unsigned max, unsigned *ret)
{
	unsigned long v;

	/* Our own digits: strtoul alone takes "+5" and " 5", and a minus
	 * sign after a space, negated modulo 2^64 (" -18446744073709551615"
	 * was 1 second). */
	if (parse_time(s, max, &v) < 0 || v == 0) {
		log_error("invalid %s '%s': expected a time of 1 s to %u s, in seconds or as ssh-add -t takes it (90, 10m, 1h30m)",
			  opt, s, max);
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
