/* SPDX-License-Identifier: MIT */
/* prompt.c - interactive questions: lines, yes/no, passphrases. */
#include "prompt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"

#define PROMPT_MAX 1024

int prompt_line(const char *prompt, char **ret)
{
	char line[PROMPT_MAX];
	size_t n = 0;
	ssize_t k;
	char c, *s;

	*ret = NULL;
	fputs(prompt, stdout);
	fflush(stdout);
	/* A byte at a time, unbuffered: the lines after this one (the
	 * passphrases, when stdin is a pipe) are read by ask_passphrase. */
	for (;;) {
		k = read(STDIN_FILENO, &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (n == 0)
				return TA_ERR_CANCELLED;
			break;
		}
		if (c == '\n')
			break;
		if (n + 1 < sizeof(line))
			line[n++] = c;
	}
	line[n] = '\0';
	if (n && line[n - 1] == '\r')
		line[n - 1] = '\0';
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

