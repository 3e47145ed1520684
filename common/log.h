/* SPDX-License-Identifier: MIT */
/* log.h - concise logging to stderr. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

struct iovec;

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_setup(const char *progname, enum log_level max);
enum log_level log_get_max(void);
/* The program name messages start with. */
const char *log_progname_get(void);
/* For a process that went to the background (its stderr is /dev/null):
 * messages go to the journal when its socket is there, else to syslog
 * (LOG_AUTH, as ssh-agent's do).  Forked children inherit it. */
void log_to_background(void);
/* Messages go to the journal (log_to_background found it). */
bool log_to_journal(void);
/* sd_journal_sendv(iov, n) through libsystemd, dlopen()ed on first use:
 * 0, TA_ERR_UNSUPPORTED when libsystemd is not there, TA_ERR_SYSTEM when
 * the journal refused. */
int log_journal_sendv(const struct iovec *iov, int n);

void log_msg(enum log_level l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Logs "fmt: func: ta_strerror(r)" at error level. */
void log_msg_r(enum log_level l, int r, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The error for getopt_long's ':' (missing argument) or '?' (unknown
 * option) result c, in one line; call with opterr = 0 and a leading ':'. */
void log_getopt_error(int c, char **argv);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_error_r(r, ...) log_msg_r(LOG_LEVEL_ERROR, (r), __func__, __VA_ARGS__)
#define log_debug_r(r, ...) log_msg_r(LOG_LEVEL_DEBUG, (r), __func__, __VA_ARGS__)
