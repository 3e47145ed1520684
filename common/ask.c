/* ask.c - read a secret from the terminal or an askpass program. */
#include "ask.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cleanup.h"
#include "err.h"
#include "log.h"

#define ASK_MAX 1024
#define DEFAULT_ASKPASS "/usr/bin/ssh-askpass"

void ask_free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* Set by a signal that arrives while the terminal has echo off. */
static volatile sig_atomic_t ask_signo;

static void ask_on_signal(int signo)
{
	ask_signo = signo;
}

/* One line from fd into buf (newline dropped).  EOF before anything is
 * TA_ERR_CANCELLED; so is a signal caught by ask_tty. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	bool any = false;
	char c;
	ssize_t k;

	for (;;) {
		k = read(fd, &c, 1);
		if (k < 0 && errno == EINTR && ask_signo)
			return TA_ERR_CANCELLED;
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return TA_ERR_SYSTEM;
		if (k == 0)
			break;
		any = true;
		if (c == '\n' || c == '\r')
			break;
		if (n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = '\0';
	return any ? 0 : TA_ERR_CANCELLED;
}

/* Prompt on the terminal with echo off.  Prompts of concurrent processes
 * (handlers of one agent) take turns through a lock on the terminal, so
 * typed input is never split between them.  A signal while echo is off
 * restores the terminal first and is then re-raised (like readpassphrase). */
static int ask_tty(int fd, const char *prompt, char *buf, size_t size)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
				    SIGTTIN, SIGTTOU };
	struct sigaction sa = { .sa_handler = ask_on_signal }, old_sa[7];
	struct termios old, noecho;
	bool restore = false;
	int r, signo;

	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return TA_ERR_SYSTEM;
	ask_signo = 0;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		sigaction(sigs[i], &sa, &old_sa[i]);
	if (write(fd, prompt, strlen(prompt)) < 0) {
		r = TA_ERR_SYSTEM;
		goto out;
	}
	if (tcgetattr(fd, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fd, TCSAFLUSH, &noecho) == 0;
	}
	r = read_line(fd, buf, size);
	if (restore) {
		tcsetattr(fd, TCSAFLUSH, &old);
		if (write(fd, "\n", 1) < 0) {
			/* the answer was read; a lost newline does not matter */
		}
	}
out:
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		sigaction(sigs[i], &old_sa[i], NULL);
	flock(fd, LOCK_UN);
	signo = ask_signo;
	if (signo) {
		OPENSSL_cleanse(buf, size);
		raise(signo);
		return TA_ERR_CANCELLED;
	}
	return r;
}

/* Run the askpass program with the prompt as its argument; the answer is
 * its standard output.  A non-zero exit means "cancelled". */
static int ask_program(const char *program, const char *prompt, char *buf,
		       size_t size)
{
	int p[2], status, r;
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
		int nul = open("/dev/null", O_RDONLY);

		/* Never inherit the agent connection on fd 0/1. */
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(p[1], 1) < 0)
			_exit(127);
		execlp(program, program, prompt, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	r = read_line(p[0], buf, size);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return TA_ERR_SYSTEM;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		OPENSSL_cleanse(buf, size);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			log_warning("cannot run askpass program %s", program);
		return TA_ERR_CANCELLED;
	}
	/* An empty answer from askpass is an empty passphrase. */
	if (r == TA_ERR_CANCELLED) {
		buf[0] = '\0';
		r = 0;
	}
	return r;
}

static bool env_set(const char *name)
{
	const char *v = getenv(name);

	return v && *v;
}

int ask_passphrase(const char *prompt, unsigned flags, char **ret)
{
	const char *require = getenv("SSH_ASKPASS_REQUIRE");
	const char *program = getenv("SSH_ASKPASS");
	bool display = env_set("DISPLAY") || env_set("WAYLAND_DISPLAY");
	bool force = require && strcmp(require, "force") == 0;
	bool prefer = require && strcmp(require, "prefer") == 0;
	bool never = require && strcmp(require, "never") == 0;
	char buf[ASK_MAX];
	int tty, r;

	*ret = NULL;
	if (!program || !*program)
		program = DEFAULT_ASKPASS;
	tty = force ? -1 : open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	/* Only the terminal's foreground process group may read it: a
	 * background process would be stopped by SIGTTIN/SIGTTOU. */
	if (tty >= 0 && tcgetpgrp(tty) != getpgrp()) {
		close(tty);
		tty = -1;
	}

	if (force || (prefer && display) || (!never && tty < 0 && display))
		r = ask_program(program, prompt, buf, sizeof(buf));
	else if (tty >= 0)
		r = ask_tty(tty, prompt, buf, sizeof(buf));
	else if (flags & ASK_ALLOW_STDIN) {
		fputs(prompt, stderr);
		fflush(stderr);
		r = read_line(STDIN_FILENO, buf, sizeof(buf));
		fputc('\n', stderr);
	} else {
		r = TA_ERR_NO_PROMPT;
	}
	if (tty >= 0)
		close(tty);
	if (r == 0) {
		*ret = strdup(buf);
		if (!*ret)
			r = TA_ERR_NOMEM;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}
