/* SPDX-License-Identifier: MIT */
/* log.c - one line per message on stderr, prefixed by the program name. */
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "err.h"
#include "sysutil.h"

static const char *log_progname = "ssh-tpm-agent";
static enum log_level log_max = LOG_LEVEL_INFO;

void log_setup(const char *progname, enum log_level max)
{
	if (progname)
		log_progname = progname;
	log_max = max;
}

const char *log_progname_get(void)
{
	return log_progname;
}

enum log_level log_get_max(void)
{
	return log_max;
}

static __attribute__((format(printf, 3, 0))) void
log_vline(enum log_level l, const char *suffix, const char *fmt, va_list ap)
{
	char line[1024];
	int saved = errno;

	if (l > log_max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One line each, whatever a key comment or a peer put in it. */
	text_sanitize(line);
	fprintf(stderr, "%s: %s%s%s\n", log_progname,
		l == LOG_LEVEL_DEBUG ? "debug: " : "", line, suffix ? suffix : "");
	errno = saved;
}

void log_msg(enum log_level l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(l, NULL, fmt, ap);
	va_end(ap);
}

void log_msg_r(enum log_level l, int r, const char *func, const char *fmt, ...)
{
	char suffix[640];
	va_list ap;

	if (l > log_max)
		return;
	if (l == LOG_LEVEL_DEBUG)
		snprintf(suffix, sizeof(suffix), ": %s: %s", func, ta_strerror(r));
	else
		snprintf(suffix, sizeof(suffix), ": %s", ta_strerror(r));
	va_start(ap, fmt);
	log_vline(l, suffix, fmt, ap);
	va_end(ap);
}

void log_getopt_error(int c, char **argv)
{
	char shortopt[3] = { '-', (char)optopt, '\0' };
	/* optopt is the short option's letter, or a long option's value
	 * (outside the letters), or 0 for an unknown long option. */
	const char *opt = optopt > ' ' && optopt < 0x7f ? shortopt : argv[optind - 1];

	if (c == ':')
		log_error("option '%s' needs an argument (see --help)", opt);
	else
		log_error("unknown option '%s' (see --help)", opt);
}
