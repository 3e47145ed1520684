/* SPDX-License-Identifier: MIT */
/* ask.c - read a secret from the terminal or an askpass program, within
 * the bounds a handler sets (the client's hang-up, a timeout). */
#include "ask.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "log.h"
#include "sysutil.h"

#define ASK_MAX 1024
#define DEFAULT_ASKPASS "/usr/bin/ssh-askpass"
/* Without a deadline of its own, a prompt waits this long for another
 * prompt of ours on the same terminal to finish. */
#define TTY_LOCK_WAIT_MS (120 * 1000)

/* Our turn on the terminal, kept from the first prompt until
 * ask_release_terminal(): a passphrase and its confirmation are one turn. */
static int terminal_lock = -1;

void ask_release_terminal(void)
{
	if (terminal_lock >= 0)
		close(TAKE_FD(terminal_lock));
}

/* Set by a signal that arrives while the terminal has echo off. */
static volatile sig_atomic_t ask_signo;

static void ask_on_signal(int signo)
{
	ask_signo = signo;
}

/* What ends a wait besides input: the client's hang-up, the deadline. */
struct waiter {
	int watch_fd;       /* -1: none */
	long long deadline; /* monotonic ms; 0: none */
};

static int waiter_timeout(const struct waiter *w, int cap_ms)
{
	long long left;

	if (!w->deadline)
		return cap_ms;
	left = w->deadline - monotonic_ms();
	if (left <= 0)
		return 0;
	if (cap_ms >= 0 && left > cap_ms)
		return cap_ms;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Until fd has input (or EOF): 0; TA_ERR_HANGUP, TA_ERR_TIMEOUT, or
 * TA_ERR_CANCELLED for a signal caught by ask_tty. */
static int wait_input(int fd, const struct waiter *w)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = w->watch_fd, .events = 0 }, /* POLLHUP is always reported */
	};
	int n;

	for (;;) {
		if (w->deadline && monotonic_ms() >= w->deadline)
			return TA_ERR_TIMEOUT;
		n = poll(p, w->watch_fd >= 0 ? 2 : 1, waiter_timeout(w, -1));
		if (n < 0 && errno == EINTR) {
			if (ask_signo)
				return TA_ERR_CANCELLED;
			continue;
		}
		if (n < 0)
			return TA_ERR_SYSTEM;
		if (w->watch_fd >= 0 && (p[1].revents & (POLLHUP | POLLERR | POLLNVAL)))
			return TA_ERR_HANGUP;
		if (p[0].revents)
			return 0;
	}
}

/* One line from fd into buf (newline dropped), read a byte at a time so
 * that nothing after the line is consumed (stdin is shared with the
 * caller).  EOF before anything is TA_ERR_CANCELLED; a line that does not
 * fit is read to its end and refused with TA_ERR_TOO_LARGE. */
static int read_line(int fd, char *buf, size_t size, const struct waiter *w)
{
	size_t n = 0;
	bool any = false, overflow = false;
	char c;
	ssize_t k;
	int r;

	for (;;) {
		r = wait_input(fd, w);
		if (r < 0)
			goto fail;
		k = read(fd, &c, 1);
		if (k < 0 && errno == EINTR && ask_signo) {
			r = TA_ERR_CANCELLED;
			goto fail;
		}
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0) {
			r = TA_ERR_SYSTEM;
			goto fail;
		}
		if (k == 0)
			break;
		any = true;
		if (c == '\n' || c == '\r')
			break;
		if (n + 1 < size)
			buf[n++] = c;
		else
			overflow = true;
	}
	buf[n] = '\0';
	if (overflow) {
		r = TA_ERR_TOO_LARGE;
		goto fail;
	}
	return any ? 0 : TA_ERR_CANCELLED;
fail:
	explicit_bzero(buf, size);
	return r;
}

/* Prompts of our processes on one terminal take turns, so typed input is
 * never split between two of them.  The lock is a file of our own, named
 * by the terminal's device number, in our private runtime directory:
 * never a lock on the terminal itself, which every user can take.
 * Without a usable runtime directory, prompts are not serialised. */
static int tty_lock(int tty, const struct waiter *w, int *ret_fd)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	_cleanup_close_ int fd = -1;
	long long wait_ms = TTY_LOCK_WAIT_MS;
	unsigned int dev;
	int r;

	*ret_fd = -1;
	/* fstat of /dev/tty names /dev/tty itself; TIOCGDEV the real tty. */
	if (ioctl(tty, TIOCGDEV, &dev) < 0 || runtime_dir(&dir) < 0)
		return 0;
	if (asprintf(&path, "%s/tty-%x.lock", dir, dev) < 0)
		return TA_ERR_NOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0)
		return 0;
	if (w->deadline && w->deadline - monotonic_ms() < wait_ms)
		wait_ms = w->deadline > monotonic_ms() ? w->deadline - monotonic_ms() : 0;
	r = flock_bounded(fd, (unsigned)wait_ms, w->watch_fd);
	if (r == TA_ERR_TIMEOUT)
		log_warning("another passphrase prompt is waiting on this terminal; giving up");
	if (r == TA_ERR_SYSTEM)
		return 0; /* no lock to be had: ask without taking turns */
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Prompt on the terminal with echo off.  A signal while echo is off
 * restores the terminal first and is then re-raised (like readpassphrase). */
static int ask_tty(int fd, const char *prompt, char *buf, size_t size,
		   const struct waiter *w)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
				    SIGTTIN, SIGTTOU };
	struct sigaction sa = { .sa_handler = ask_on_signal }, old_sa[7];
	struct termios old, noecho;
	bool restore = false;
	int r, signo;

	if (terminal_lock < 0) {
		r = tty_lock(fd, w, &terminal_lock);
		if (r < 0)
			return r;
	}
	ask_signo = 0;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		sigaction(sigs[i], &sa, &old_sa[i]);
	/* Echo off (dropping what was typed before) first, the prompt after:
	 * an answer typed as soon as the prompt shows is never lost. */
	if (tcgetattr(fd, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fd, TCSAFLUSH, &noecho) == 0;
	}
	if (write_full(fd, prompt, strlen(prompt)) < 0)
		r = TA_ERR_SYSTEM;
	else
		r = read_line(fd, buf, size, w);
	if (restore) {
		const char *end = r == TA_ERR_HANGUP  ? "\n(prompt cancelled: the client went away)\n"
				  : r == TA_ERR_TIMEOUT ? "\n(prompt timed out)\n"
							: "\n";

		tcsetattr(fd, TCSAFLUSH, &old);
		/* Say so when the prompt ends unanswered: whoever is typing
		 * must stop before the rest shows in clear. */
		if (write_full(fd, end, strlen(end)) < 0) {
			/* the answer was read; a lost newline does not matter */
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		sigaction(sigs[i], &old_sa[i], NULL);
	signo = ask_signo;
	if (signo) {
		explicit_bzero(buf, size);
		raise(signo);
		return TA_ERR_CANCELLED;
	}
	return r;
}

/* Wait for the askpass child; past the deadline (or when told to stop)
 * kill it (and its process group when it has one of its own): TERM,
 * then KILL a second later. */
static int reap_askpass(pid_t pid, bool group, const struct waiter *w,
			bool stop, int *ret_status)
{
	long long kill_at = stop ? monotonic_ms() : w->deadline;
	bool termed = false;

	for (;;) {
		pid_t k = waitpid(pid, ret_status, kill_at ? WNOHANG : 0);

		if (k == pid)
			return termed ? TA_ERR_CANCELLED : 0;
		if (k < 0 && errno != EINTR)
			return TA_ERR_SYSTEM;
		if (k == 0 && monotonic_ms() >= kill_at) {
			if (group)
				kill(-pid, termed ? SIGKILL : SIGTERM);
			kill(pid, termed ? SIGKILL : SIGTERM);
			kill_at = monotonic_ms() + 1000;
			termed = true;
		}
		if (k == 0)
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
}

/* Run the askpass program with the prompt as its argument; the answer is
 * its standard output.  A non-zero exit means "cancelled". */
/* own_group: without a controlling terminal (a handler under systemd)
 * the askpass gets a process group of its own, so that giving up kills
 * what it started too.  With one, it stays in ours: in a group of its
 * own, an askpass that reads the terminal would be stopped. */
static int ask_program(const char *program, const char *prompt, char *buf,
		       size_t size, const struct waiter *w, bool own_group, bool confirm)
{
	int p[2], status, r, k;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return TA_ERR_SYSTEM;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return TA_ERR_SYSTEM;
	}
	if (pid == 0) {
		/* Never inherit the agent connection on 0/1. */
		if (own_group)
			setpgid(0, 0);
		if (stdio_to_null(1u << 0) < 0 || dup2(p[1], 1) < 0)
			_exit(127);
		if (confirm ? setenv("SSH_ASKPASS_PROMPT", "confirm", 1) < 0
			    : unsetenv("SSH_ASKPASS_PROMPT") < 0)
			_exit(127);
		execlp(program, program, prompt, (char *)NULL);
		_exit(127);
	}
	if (own_group)
		setpgid(pid, pid);
	close(p[1]);
	r = read_line(p[0], buf, size, w);
	close(p[0]);
	k = reap_askpass(pid, own_group, w,
			 r == TA_ERR_HANGUP || r == TA_ERR_TIMEOUT || r == TA_ERR_TOO_LARGE,
			 &status);
	if (r == TA_ERR_HANGUP || r == TA_ERR_TIMEOUT || r == TA_ERR_TOO_LARGE)
		return r;
	if (k == TA_ERR_CANCELLED) {
		explicit_bzero(buf, size);
		return TA_ERR_TIMEOUT; /* answered, but never exited */
	}
	if (k < 0)
		return k;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		explicit_bzero(buf, size);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			log_warning("cannot run askpass program %s", program);
		return TA_ERR_CANCELLED;
	}
	/* An askpass that prints nothing answered with an empty line. */
	if (r == TA_ERR_CANCELLED) {
		buf[0] = '\0';
		r = 0;
	}
	return r;
}

const char *ask_askpass_program(void)
{
	const char *program = getenv("SSH_ASKPASS");

	return program && *program ? program : DEFAULT_ASKPASS;
}

static bool env_set(const char *name)
{
	const char *v = getenv(name);

	return v && *v;
}

enum ask_require ask_require_from_string(const char *s)
{
	if (!s)
		return ASK_REQUIRE_DEFAULT;
	if (strcmp(s, "never") == 0)
		return ASK_REQUIRE_NEVER;
	if (strcmp(s, "prefer") == 0)
		return ASK_REQUIRE_PREFER;
	if (strcmp(s, "force") == 0)
		return ASK_REQUIRE_FORCE;
	return ASK_REQUIRE_DEFAULT;
}

enum ask_via ask_choose(enum ask_require req, bool display, bool tty, unsigned flags)
{
	bool force = req == ASK_REQUIRE_FORCE, prefer = req == ASK_REQUIRE_PREFER;
	bool never = req == ASK_REQUIRE_NEVER;

	if (flags & ASK_CONFIRM)
		return never || !(force || display) ? ASK_VIA_NONE : ASK_VIA_PROGRAM;
	if (force || (prefer && display) || (!never && !tty && display))
		return ASK_VIA_PROGRAM;
	if (tty)
		return ASK_VIA_TTY;
	if (flags & ASK_ALLOW_STDIN)
		return ASK_VIA_STDIN;
	return ASK_VIA_NONE;
}

void ask_sanitize_prompt(char *prompt)
{
	for (char *line = prompt, *nl; line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		text_sanitize(line);
		if (nl)
			*nl = '\n';
	}
}

int ask_passphrase(const char *prompt, unsigned flags,
		   const struct ask_limits *lim, char **ret)
{
	enum ask_require req = ask_require_from_string(getenv("SSH_ASKPASS_REQUIRE"));
	const char *program = ask_askpass_program();
	bool display = env_set("DISPLAY") || env_set("WAYLAND_DISPLAY");
	struct waiter w = { .watch_fd = -1 };
	_cleanup_free_ char *shown = strdup(prompt);
	char buf[ASK_MAX];
	enum ask_via via;
	bool ctty;
	int tty, r;

	*ret = NULL;
	if (!shown)
		return TA_ERR_NOMEM;
	/* A key comment in the prompt comes from a file: no escape sequence
	 * of it may reach the terminal or the askpass dialog.  Line breaks
	 * are the prompt's own (callers sanitize what they put in it). */
	ask_sanitize_prompt(shown);
	prompt = shown;
	if (lim) {
		w.watch_fd = lim->watch_fd;
		if (lim->timeout_s)
			w.deadline = monotonic_ms() + (long long)lim->timeout_s * 1000;
	}
	tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	ctty = tty >= 0;
	/* Only the terminal's foreground process group may read it: a
	 * background process would be stopped by SIGTTIN/SIGTTOU. */
	if (tty >= 0 && (req == ASK_REQUIRE_FORCE || tcgetpgrp(tty) != getpgrp())) {
		close(tty);
		tty = -1;
	}
	via = ask_choose(req, display, tty >= 0, flags);

	if (flags & ASK_CONFIRM) {
		if (tty >= 0)
			close(tty);
		if (via == ASK_VIA_NONE)
			return TA_ERR_NO_PROMPT;
		r = ask_program(program, prompt, buf, sizeof(buf), &w, !ctty, true);
		if (r == 0 && buf[0] && strcasecmp(buf, "yes") != 0)
			r = TA_ERR_CANCELLED;
		explicit_bzero(buf, sizeof(buf));
		if (r == 0 && !(*ret = strdup("")))
			r = TA_ERR_NOMEM;
		return r;
	}
	r = TA_ERR_NO_PROMPT;
	switch (via) {
	case ASK_VIA_PROGRAM:
		r = ask_program(program, prompt, buf, sizeof(buf), &w, !ctty, false);
		break;
	case ASK_VIA_TTY:
		r = ask_tty(tty, prompt, buf, sizeof(buf), &w);
		break;
	case ASK_VIA_STDIN:
		fputs(prompt, stderr);
		fflush(stderr);
		r = read_line(STDIN_FILENO, buf, sizeof(buf), &w);
		fputc('\n', stderr);
		break;
	case ASK_VIA_NONE:
		break;
	}
	if (tty >= 0)
		close(tty);
	if (r == 0) {
		*ret = strdup(buf);
		if (!*ret)
			r = TA_ERR_NOMEM;
	}
	explicit_bzero(buf, sizeof(buf));
	return r;
}
