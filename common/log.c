/* SPDX-License-Identifier: MIT */
/* log.c - one line per message on stderr, prefixed by the program name;
 * or, for a process gone to the background, the journal (else syslog). */
#include "log.h"

#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sys/uio.h>
#include <unistd.h>

#include "err.h"
#include "sysutil.h"

static const char *log_progname = "ssh-tpm-agent";
static enum log_level log_max = LOG_LEVEL_INFO;
static enum { SINK_STDERR, SINK_JOURNAL, SINK_SYSLOG } log_sink = SINK_STDERR;

typedef int (*sd_journal_sendv_fn)(const struct iovec *iov, int n);
static sd_journal_sendv_fn journal_sendv;

/* libsystemd only for those who send: a handler that logs to stderr
 * never maps it. */
static bool journal_resolve(void)
{
	void *dl, *f;

	if (journal_sendv)
		return true;
	dl = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	f = dl ? dlsym(dl, "sd_journal_sendv") : NULL;
	if (!f)
		return false;
	/* POSIX: object and function pointers have the same size. */
	memcpy(&journal_sendv, &f, sizeof(f));
	return true;
}

int log_journal_sendv(const struct iovec *iov, int n)
{
	if (!journal_resolve())
		return TA_ERR_UNSUPPORTED;
	return journal_sendv(iov, n) < 0 ? TA_ERR_SYSTEM : 0;
}

void log_to_background(void)
{
	/* ssh-agent's choice: LOG_AUTH, with the pid; the socket opened
	 * now.  Also for the journal's sake: a message it refuses goes to
	 * syslog (else as LOG_USER, with no pid). */
	openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_AUTH);
	/* Resolved now, before any sandbox, and inherited by every
	 * handler forked later. */
	if (access("/run/systemd/journal/socket", F_OK) == 0 && journal_resolve()) {
		log_sink = SINK_JOURNAL;
		return;
	}
	log_sink = SINK_SYSLOG;
}

bool log_to_journal(void)
{
	return log_sink == SINK_JOURNAL;
}

static const int syslog_priority[] = {
	[LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_WARNING] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

/* One line to the journal, else (not there, or it refused) to syslog. */
static void log_system(enum log_level l, const char *line, const char *suffix)
{
	char msg[1200], prio[16], ident[80];
	struct iovec iov[3];

	snprintf(msg, sizeof(msg), "MESSAGE=%s%s%s", l == LOG_LEVEL_DEBUG ? "debug: " : "", line,
		 suffix ? suffix : "");
	if (log_sink == SINK_JOURNAL) {
		snprintf(prio, sizeof(prio), "PRIORITY=%d", syslog_priority[l]);
		snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_progname);
		iov[0] = (struct iovec){ msg, strlen(msg) };
		iov[1] = (struct iovec){ prio, strlen(prio) };
		iov[2] = (struct iovec){ ident, strlen(ident) };
		if (log_journal_sendv(iov, 3) == 0)
			return;
	}
	syslog(syslog_priority[l], "%s", msg + strlen("MESSAGE="));
}

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
	if (log_sink != SINK_STDERR)
		log_system(l, line, suffix);
	else
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
