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

