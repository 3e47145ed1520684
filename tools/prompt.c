/* prompt.c - interactive questions: lines, yes/no, passphrases. */
#include "prompt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cleanup.h"
#include "err.h"

#define PROMPT_MAX 1024

int prompt_line(const char *prompt, char **ret)
{
	char line[PROMPT_MAX];
	char *s;

	*ret = NULL;
	fputs(prompt, stdout);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return TA_ERR_CANCELLED;
	line[strcspn(line, "\r\n")] = '\0';
	s = strdup(line);
	if (!s)
		return TA_ERR_NOMEM;
	*ret = s;
	return 0;
}

bool prompt_yes(const char *prompt)
{
	_cleanup_free_ char *answer = NULL;

	if (prompt_line(prompt, &answer) < 0)
		return false;
	return answer[0] == 'y' || answer[0] == 'Y';
}

static int read_secret_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char c;
	ssize_t k;

	for (;;) {
		k = read(fd, &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return TA_ERR_SYSTEM;
		if (k == 0) {
			if (n == 0)
				return TA_ERR_CANCELLED;
			break;
		}
		if (c == '\n' || c == '\r')
			break;
		if (n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = '\0';
	return 0;
}

int prompt_passphrase(const char *prompt, char **ret)
{
	char buf[PROMPT_MAX];
	struct termios old, noecho;
	bool restore = false;
	int fd, r;

	*ret = NULL;
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		if (write(fd, prompt, strlen(prompt)) < 0) {
			/* Nothing useful to do; the read below still works. */
		}
		if (tcgetattr(fd, &old) == 0) {
			noecho = old;
			noecho.c_lflag &= ~(tcflag_t)ECHO;
			restore = tcsetattr(fd, TCSAFLUSH, &noecho) == 0;
		}
		r = read_secret_line(fd, buf, sizeof(buf));
		if (restore) {
			tcsetattr(fd, TCSAFLUSH, &old);
			if (write(fd, "\n", 1) < 0) {
				/* ignore */
			}
		}
		close(fd);
	} else {
		fputs(prompt, stderr);
		fflush(stderr);
		r = read_secret_line(STDIN_FILENO, buf, sizeof(buf));
		fputc('\n', stderr);
	}
	if (r == 0) {
		*ret = strdup(buf);
		if (!*ret)
			r = TA_ERR_NOMEM;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

void prompt_free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}
