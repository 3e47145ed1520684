/* ask.h - asking the user for a secret, the way ssh(1) does: the terminal,
 * or the SSH_ASKPASS program (SSH_ASKPASS_REQUIRE never/prefer/force,
 * DISPLAY/WAYLAND_DISPLAY), or -- for command-line tools -- stdin. */
#pragma once

enum {
	ASK_ALLOW_STDIN = 1 << 0, /* no tty and no askpass: read stdin */
};

/* TA_ERR_CANCELLED when the user cancels (askpass exits non-zero, EOF),
 * TA_ERR_NO_PROMPT when there is no way to ask.  Free the result with ask_free_secret(). */
int ask_passphrase(const char *prompt, unsigned flags, char **ret);
void ask_free_secret(char *s);

static inline void ask_free_secretp(char **s)
{
	ask_free_secret(*s);
}
