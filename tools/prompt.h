/* SPDX-License-Identifier: MIT */
/* prompt.h - interactive questions on the terminal (or stdin). */
#pragma once

#include <stdbool.h>

/* Print prompt on stdout and read one line from stdin (newline removed).
 * Returns TA_ERR_CANCELLED at end of input. */
int prompt_line(const char *prompt, char **ret);
/* Ask a yes/no question on stdin; true only for an answer starting 'y'. */
bool prompt_yes(const char *prompt);
