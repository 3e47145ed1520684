/* SPDX-License-Identifier: MIT */
/* sysutil.c - small system helpers (see sysutil.h). */
#include "sysutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "log.h"

int stdio_to_null(unsigned mask)
{
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (nul < 0)
		return -1;
	for (int fd = 0; fd < 3; fd++)
		if ((mask & (1u << fd)) && dup2(nul, fd) < 0) {
			close(nul);
			return -1;
		}
	/* /dev/null may have landed on a closed standard descriptor: it
	 * stays, as what that descriptor now is. */
	if (nul > 2)
		close(nul);
	return 0;
}

int stdio_ensure_open(void)
{
	/* From 0 up: open() takes the lowest free number, so a closed fd
	 * gets /dev/null itself, the ones below it being open. */
	for (int fd = 0; fd < 3; fd++) {
		int nul;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nul = open("/dev/null", O_RDWR);
		if (nul < 0)
			return -1;
		if (nul != fd) {
			int r = dup2(nul, fd);

			close(nul);
			if (r < 0)
				return -1;
		}
	}
	return 0;
}

int write_full(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, c, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return TA_ERR_SYSTEM;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int parse_decimal(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return TA_ERR_FORMAT;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return TA_ERR_FORMAT;
	*ret = v;
	return 0;
}

static int parse_env_ulong(const char *name, unsigned long max, unsigned long *ret)
{
	return parse_decimal(getenv(name), max, ret);
}

int listen_fds_take(void)
{
	unsigned long pid, n = 0;
	int r = 0;

	if (!getenv("LISTEN_PID"))
		goto out;
	r = parse_env_ulong("LISTEN_PID", (unsigned long)INT32_MAX, &pid);
	if (r < 0)
		goto out;
	if ((pid_t)pid != getpid())
		goto out; /* meant for another process (our parent's) */
	r = parse_env_ulong("LISTEN_FDS", (unsigned long)(INT32_MAX - LISTEN_FDS_START), &n);
	if (r < 0)
		goto out;
	for (unsigned long i = 0; i < n; i++) {
		int fd = LISTEN_FDS_START + (int)i;
		int fl = fcntl(fd, F_GETFD);

		if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0) {
			r = TA_ERR_SYSTEM;
			goto out;
		}
	}
	r = (int)n;
out:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return r;
}

void no_core_dumps(void)
{
	struct rlimit none = { 0, 0 };

	/* Neither can fail here but by a seccomp filter (systemd's
	 * @resources holds setrlimit): the units say LimitCORE=0 too. */
	(void)prctl(PR_SET_DUMPABLE, 0);
	(void)setrlimit(RLIMIT_CORE, &none);
}

long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_lock_tick(int sig)
{
	(void)sig;
}

/* A timer that interrupts this thread's blocking calls every 20 ms (a
 * no-op handler, installed once, without SA_RESTART). */
static int lock_tick_start(timer_t *ret)
{
	static bool installed;
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN };
	struct itimerspec its = { .it_value = { 0, 20000000 }, .it_interval = { 0, 20000000 } };
	sigset_t tick;

	if (!installed) {
		struct sigaction sa = { .sa_handler = on_lock_tick };

		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGRTMIN, &sa, NULL) < 0)
			return -1;
		installed = true;
	}
	sigemptyset(&tick);
	sigaddset(&tick, SIGRTMIN);
	pthread_sigmask(SIG_UNBLOCK, &tick, NULL);
	/* (sigev_notify_thread_id, which these headers do not define yet) */
	sev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, ret) < 0)
		return -1;
	if (timer_settime(*ret, 0, &its, NULL) < 0) {
		timer_delete(*ret);
		return -1;
	}
	return 0;
}

int flock_bounded(int fd, unsigned timeout_ms, int watch_fd)
{
	long long deadline = monotonic_ms() + timeout_ms;
	timer_t tick;
	int r, e;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK && errno != EINTR)
		return TA_ERR_SYSTEM;
	/* Wait in the kernel, so that the lock passes to a waiter the moment
	 * it is released (a poll with pauses would leave it idle between
	 * tries: the TPM idle while signers wait); the tick ends the wait
	 * now and then to look at the deadline and the client. */
	if (lock_tick_start(&tick) < 0) {
		/* No timer to be had (RLIMIT_SIGPENDING, say): short polls. */
		for (long pause_ms = 1;; pause_ms = pause_ms < 10 ? pause_ms * 2 : 10) {
			struct pollfd p = { .fd = watch_fd };

			if (flock(fd, LOCK_EX | LOCK_NB) == 0)
				return 0;
			if (errno != EWOULDBLOCK && errno != EINTR)
				return TA_ERR_SYSTEM;
			if (monotonic_ms() >= deadline)
				return TA_ERR_TIMEOUT;
			if (poll(&p, watch_fd >= 0 ? 1 : 0, (int)pause_ms) > 0 &&
			    (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
				return TA_ERR_HANGUP;
		}
	}
	for (;;) {
		struct pollfd p = { .fd = watch_fd };

		if (flock(fd, LOCK_EX) == 0) {
			r = 0;
			break;
		}
		if (errno != EINTR) {
			r = TA_ERR_SYSTEM;
			break;
		}
		if (monotonic_ms() >= deadline) {
			r = TA_ERR_TIMEOUT;
			break;
		}
		if (watch_fd >= 0 && poll(&p, 1, 0) > 0 &&
		    (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
			r = TA_ERR_HANGUP;
			break;
		}
	}
	e = errno;
	timer_delete(tick);
	errno = e;
	return r;
}

const char *stat_untrusted(const struct stat *st, bool sticky_ok)
{
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return "owned by another user";
	if (S_ISDIR(st->st_mode) && sticky_ok && (st->st_mode & S_ISVTX))
		return NULL;
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

/* One walk from "/" over each prefix of an absolute path. */
static int check_prefixes(const char *abs, const char *what)
{
	_cleanup_free_ char *p = strdup(abs);
	struct stat lst, st;
	const char *why;
	char *cut;

	if (!p)
		return TA_ERR_NOMEM;
	for (cut = p;; cut++) {
		char saved = *cut;
		bool last = saved == '\0';

		if (saved != '/' && !last)
			continue;
		*cut = '\0';
		if (cut == p) { /* the root directory itself */
			*cut = saved;
			if (stat("/", &st) == 0 && (why = stat_untrusted(&st, true))) {
				log_warning("/ is %s", why);
				return TA_ERR_UNSAFE_PATH;
			}
			continue;
		}
		if (lstat(p, &lst) < 0 || stat(p, &st) < 0)
			return TA_ERR_SYSTEM;
		why = S_ISLNK(lst.st_mode) && lst.st_uid != geteuid() && lst.st_uid != 0
			      ? "a symlink owned by another user"
		      : !S_ISDIR(st.st_mode) ? "not a directory"
					     : stat_untrusted(&st, true);
		if (why) {
			log_warning("%s: %s on the way to it is %s (owner uid %u, mode %04o)",
				    what, p, why,
				    (unsigned)(S_ISLNK(lst.st_mode) ? lst.st_uid : st.st_uid),
				    (unsigned)((S_ISLNK(lst.st_mode) ? lst.st_mode : st.st_mode) & 07777));
			errno = EPERM;
			return TA_ERR_UNSAFE_PATH;
		}
		*cut = saved;
		if (last)
			return 0;
	}
}

int path_check_chain(const char *dir)
{
	_cleanup_free_ char *abs = NULL, *real = NULL;
	char cwd[4096];
	int r;

	if (dir[0] == '/')
		abs = strdup(dir);
	else if (!getcwd(cwd, sizeof(cwd)))
		return TA_ERR_SYSTEM;
	else if (asprintf(&abs, "%s/%s", cwd, dir) < 0)
		abs = NULL;
	if (!abs)
		return TA_ERR_NOMEM;
	r = check_prefixes(abs, dir);
	if (r < 0)
		return r;
	real = realpath(dir, NULL);
	if (!real)
		return TA_ERR_SYSTEM;
	return strcmp(real, abs) == 0 ? 0 : check_prefixes(real, dir);
}

int private_dir_ensure(const char *dir, bool quiet)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return TA_ERR_SYSTEM;
	if (lstat(dir, &st) < 0)
		return TA_ERR_SYSTEM;
	if (S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	    (st.st_mode & 0077) == 0)
		return 0;
	if (!quiet) {
		if (!S_ISDIR(st.st_mode))
			log_warning("%s is not a directory (a symlink or file put there by uid %u): not using it",
				    dir, (unsigned)st.st_uid);
		else if (st.st_uid != geteuid())
			log_warning("%s belongs to uid %u, not to us (uid %u): not using it",
				    dir, (unsigned)st.st_uid, (unsigned)geteuid());
		else
			log_warning("%s has mode %04o, not 0700: not a private directory, not using it (chmod 700 %s)",
				    dir, (unsigned)(st.st_mode & 07777), dir);
	}
	return TA_ERR_UNSAFE_PATH;
}

const char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return h;
	pw = getpwuid(geteuid());
	return pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/";
}

bool xdg_runtime_dir_usable(void)
{
	static bool warned;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	const char *why;

	if (!xdg || !*xdg)
		return false;
	/* The XDG spec: a relative path is invalid, to be ignored (a socket
	 * named relative to the cwd is lost to a COMMAND that cd's). */
	if (xdg[0] != '/')
		why = "not an absolute path";
	else if (stat(xdg, &st) < 0)
		why = errno == ENOENT ? "missing" : "not accessible";
	else if (!S_ISDIR(st.st_mode))
		why = "not a directory";
	else if (st.st_uid != geteuid())
		why = "owned by another user";
	else if (st.st_mode & 0022)
		why = "writable by group or others";
	else if (access(xdg, W_OK) < 0)
		why = "not writable";
	else
		return true;
	if (!warned)
		log_warning("XDG_RUNTIME_DIR=%s is %s: ignoring it", xdg, why);
	warned = true;
	return false;
}

int runtime_dir(char **ret)
{
	_cleanup_free_ char *d = NULL, *ssh = NULL, *fallback = NULL;
	int r;

	*ret = NULL;
	if (xdg_runtime_dir_usable()) {
		if (asprintf(&d, "%s/ssh-tpm-agent", getenv("XDG_RUNTIME_DIR")) < 0)
			return TA_ERR_NOMEM;
	} else if (geteuid() == 0 && access("/run", W_OK) == 0) {
		d = strdup("/run/ssh-tpm-agent");
		if (!d)
			return TA_ERR_NOMEM;
	} else if (asprintf(&d, "/tmp/ssh-tpm-agent-%u", (unsigned)geteuid()) < 0) {
		return TA_ERR_NOMEM;
	}
	r = private_dir_ensure(d, false);
	if (r == 0) {
		*ret = TAKE_PTR(d);
		return 0;
	}
	if (r != TA_ERR_UNSAFE_PATH)
		return r;
	/* Someone else holds the name (in a world-writable /tmp): use a
	 * directory under our home that nobody else can create. */
	if (asprintf(&ssh, "%s/.ssh", home_dir()) < 0 ||
	    asprintf(&fallback, "%s/.ssh/agent", home_dir()) < 0)
		return TA_ERR_NOMEM;
	if (mkdir(ssh, 0700) < 0 && errno != EEXIST)
		return TA_ERR_SYSTEM;
	r = private_dir_ensure(fallback, false);
	if (r < 0)
		return r;
	log_warning("using %s for lock files instead of %s", fallback, d);
	*ret = TAKE_PTR(fallback);
	return 0;
}

void text_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2
				   : (*p & 0xf0) == 0xe0	? 3
				   : (*p & 0xf8) == 0xf0	? 4
								: 0;
		uint32_t cp = n == 1 ? *p : n == 2 ? *p & 0x1fu : n == 3 ? *p & 0x0fu : *p & 0x07u;
		bool ok = n > 0;

		for (size_t i = 1; ok && i < n; i++) {
			ok = (p[i] & 0xc0) == 0x80;
			cp = cp << 6 | (p[i] & 0x3fu);
		}
		/* Well-formed UTF-8 only (RFC 3629): the shortest form of a
		 * code point (an overlong form can hide a control or a line
		 * break), no UTF-16 surrogate, nothing past U+10FFFF.  Then no
		 * C0 or C1 control, no DEL. */
		if (ok && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
			   (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
			   (cp >= 0xd800 && cp <= 0xdfff) || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)))
			ok = false;
		/* Line and paragraph separators (U+2028, U+2029) and the bidi
		 * controls (U+202A..U+202E, U+2066..U+2069): a dialog would
		 * break a line there, or show the text reordered. */
		if (ok && ((cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))) {
			memset(p, '?', n);
			p += n;
			continue;
		}
		if (!ok) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}
