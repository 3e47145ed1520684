/* SPDX-License-Identifier: MIT */
/* sysutil.h - the small system helpers every program needs: full writes,
 * bounded locks, directories nobody else can change, the home and runtime
 * directories. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The first descriptor systemd passes (SD_LISTEN_FDS_START). */
#define LISTEN_FDS_START 3
/* How many descriptors systemd passed us, from LISTEN_PID and LISTEN_FDS
 * as sd_listen_fds(3) reads them (0 when LISTEN_PID is not our pid), with
 * FD_CLOEXEC set on each; the LISTEN_* variables are removed from the
 * environment in every case, as sd_listen_fds(1) does.  Our own reader
 * because libsystemd, with the six libraries it needs, would be mapped
 * and relocated by every per-connection handler for this one call.
 * TA_ERR_FORMAT when the variables are malformed. */
int listen_fds_take(void);

/* For a process that holds secrets: no core dump (PR_SET_DUMPABLE 0,
 * RLIMIT_CORE 0), and so no ptrace, /proc/PID/mem or /proc/PID/environ
 * for the user's other processes (its /proc/PID files become root's).
 * Children started by exec(2) are dumpable again but keep the limit. */
void no_core_dumps(void);

/* s as a decimal number in 0 .. max, and nothing else: no sign, no white
 * space, no other base (what LISTEN_PID and LISTEN_FDS may hold).  0 and
 * *ret, or TA_ERR_FORMAT (s NULL, empty, or anything else). */
int parse_decimal(const char *s, unsigned long max, unsigned long *ret);

/* CLOCK_MONOTONIC in milliseconds. */
long long monotonic_ms(void);

/* In a child before exec: the standard descriptors flagged in mask
 * (1 << 0 stdin, 1 << 1 stdout, 1 << 2 stderr) to /dev/null, so that a
 * child never inherits an agent connection or a terminal it should not
 * talk to.  0, or -1 with errno. */
int stdio_to_null(unsigned mask);
#define STDIO_ALL 7u

/* At start: any of fds 0, 1, 2 that is closed opened on /dev/null (as
 * OpenSSH's sanitise_stdfd), so that no socket or file we open later
 * takes its number -- and is then written to as stdout, or replaced by
 * stdio_to_null.  0, or -1 with errno. */
int stdio_ensure_open(void);

/* write(2) until everything is written (EINTR retried). */
int write_full(int fd, const void *p, size_t len);

/* flock(fd, LOCK_EX), waiting at most timeout_ms: TA_ERR_TIMEOUT when the
 * lock is still held by someone else then.  Never waits without a bound.
 * watch_fd (-1: none) is a client connection: its hang-up ends the wait
 * (TA_ERR_HANGUP). */
int flock_bounded(int fd, unsigned timeout_ms, int watch_fd);

/* Why st (of path) may not be trusted by this process, or NULL if it may:
 * owned by someone other than us or root, or writable by group/others
 * (a directory with the sticky bit may be world-writable when
 * sticky_ok).  The text is static. */
const char *stat_untrusted(const struct stat *st, bool sticky_ok);

/* Every directory a name under dir goes through, as written and as
 * resolved, may change only at our or root's hands: each directory on the
 * way is ours or root's and not writable by others unless sticky, and
 * each symlink on the way is ours or root's.  Otherwise
 * TA_ERR_UNSAFE_PATH, with a warning naming the component and why. */
int path_check_chain(const char *dir);

/* Create dir with mode 0700 if missing; then require a real directory (not
 * a symlink) owned by our euid with no group/other access.  A squatted or
 * loosened one is TA_ERR_UNSAFE_PATH, with a warning naming the owner and
 * mode unless quiet. */
int private_dir_ensure(const char *dir, bool quiet);

/* $HOME, else the password database entry of the effective uid (whose
 * files we create and read), else "/". */
const char *home_dir(void);

/* Our private runtime directory (created, mode 0700), for lock files:
 * $XDG_RUNTIME_DIR/ssh-tpm-agent when XDG_RUNTIME_DIR is ours, else
 * /run/ssh-tpm-agent for root, else /tmp/ssh-tpm-agent-UID -- and when
 * someone else has taken that name, ~/.ssh/agent (with a warning). */
int runtime_dir(char **ret);

/* True when $XDG_RUNTIME_DIR is set and is an absolute path to a
 * directory owned by us that nobody else can write; warns once when it is
 * set but unusable. */
bool xdg_runtime_dir_usable(void);

/* Make text safe to show on a terminal, in place: control characters
 * (C0, DEL, C1), line and paragraph separators and bidi controls, and
 * bytes that are not well-formed UTF-8 (overlong forms, surrogates, past
 * U+10FFFF) become '?', one per byte. */
void text_sanitize(char *s);
