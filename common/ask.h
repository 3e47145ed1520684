/* SPDX-License-Identifier: MIT */
/* ask.h - asking the user for a secret, the way ssh(1) does: the terminal,
 * or the SSH_ASKPASS program (SSH_ASKPASS_REQUIRE never/prefer/force,
 * DISPLAY/WAYLAND_DISPLAY), or -- for command-line tools -- stdin. */
#pragma once

#include <stdbool.h>

enum {
	ASK_ALLOW_STDIN = 1 << 0, /* no tty and no askpass: read stdin */
	/* A yes/no question, never a secret: only the askpass program, run
	 * with SSH_ASKPASS_PROMPT=confirm (as ssh-agent asks); yes is an exit
	 * status 0 with an empty answer or "yes" (0 returned), anything else
	 * TA_ERR_CANCELLED; no askpass to run is TA_ERR_NO_PROMPT. */
	ASK_CONFIRM = 1 << 1,
};

/* Bounds on one prompt, for a handler answering a client. */
struct ask_limits {
	int watch_fd;       /* the client's connection: its hang-up cancels the
			     * prompt (TA_ERR_HANGUP); -1 for none */
	unsigned timeout_s; /* give up after this long (TA_ERR_TIMEOUT); 0: none */
};

/* lim may be NULL (no bounds: an interactive tool).  An askpass program
 * still running when the prompt ends is killed with its process group.
 * TA_ERR_CANCELLED when the user cancels (askpass exits non-zero, EOF),
 * TA_ERR_NO_PROMPT when there is no way to ask, TA_ERR_TOO_LARGE for an
 * answer longer than 1023 bytes.  An empty answer is returned as "": what
 * it means is the caller's choice.  Free the result with secret_free() (cleanup.h). */
int ask_passphrase(const char *prompt, unsigned flags,
		   const struct ask_limits *lim, char **ret);
/* Prompts on a terminal take turns with our other processes on it; a turn
 * lasts from the first prompt until this call (or the process's end), so
 * that a passphrase and its confirmation are never split. */
void ask_release_terminal(void);
/* The askpass program ask_passphrase would run: $SSH_ASKPASS, else
 * /usr/bin/ssh-askpass (a name without '/' is looked up in PATH). */
const char *ask_askpass_program(void);


/* SSH_ASKPASS_REQUIRE as ssh(1) reads it: "never", "prefer", "force"
 * (case matters); unset or any other value is the default. */
enum ask_require {
	ASK_REQUIRE_DEFAULT,
	ASK_REQUIRE_NEVER,
	ASK_REQUIRE_PREFER,
	ASK_REQUIRE_FORCE,
};
enum ask_require ask_require_from_string(const char *s);

/* How a prompt asks, from what ask_passphrase found: the askpass program
 * when forced, preferred with a display, or with a display and no
 * terminal (unless never); else the terminal (tty: ours, in the
 * foreground, not forced away); else stdin with ASK_ALLOW_STDIN.  With
 * ASK_CONFIRM only the program (forced or with a display), else none. */
enum ask_via {
	ASK_VIA_NONE,
	ASK_VIA_PROGRAM,
	ASK_VIA_TTY,
	ASK_VIA_STDIN,
};
enum ask_via ask_choose(enum ask_require req, bool display, bool tty, unsigned flags);

/* The prompt as shown, in place: each line through text_sanitize (line
 * breaks are the prompt's own; a key comment in it comes from a file). */
void ask_sanitize_prompt(char *prompt);
