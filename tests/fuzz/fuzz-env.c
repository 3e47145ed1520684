/* SPDX-License-Identifier: MIT */
/* fuzz-env.c - libFuzzer target: the values we read from the environment
 * and the command line, the input as the string a variable or an option
 * would hold (up to its first NUL): a time in seconds or OpenSSH's format
 * (cli_parse_seconds: --cache-timeout, --prompt-timeout, --tpm-timeout,
 * ssh-tpm-add -t), LISTEN_PID / LISTEN_FDS (parse_decimal),
 * SSH_ASKPASS_REQUIRE and the way a prompt asks that follows from it
 * (ask_require_from_string, ask_choose: ssh(1)'s rules), a prompt with a
 * key comment in it (ask_sanitize_prompt, text_sanitize), --cache and
 * --hierarchy.  Each is held to what its header promises, against a
 * reference written here. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "cache.h"
#include "cli.h"
#include "err.h"
#include "log.h"
#include "sysutil.h"
#include "tpm-cli.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_setup("fuzz-env", LOG_LEVEL_ERROR);
	return 0;
}

/* Only digits, at least one: the value (saturated at ULONG_MAX), else
 * false. */
static bool ref_decimal(const char *s, unsigned long *ret)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (~0UL - (unsigned long)(*s - '0')) / 10)
			v = ~0UL;
		else
			v = v * 10 + (unsigned long)(*s - '0');
	}
	*ret = v;
	return true;
}

/* OpenSSH's time format, the reference: split at each unit letter, every
 * group's digits (saturated) times its unit, summed in 128 bits; false
 * when a group is empty or has anything but digits. */
static bool ref_time(const char *s, unsigned long *ret)
{
	unsigned __int128 total = 0;
	const char *units = "sSmMhHdDwW";
	static const unsigned long mult[] = { 1, 1, 60, 60, 3600, 3600, 86400, 86400, 604800,
					      604800 };

	if (!*s)
		return false;
	while (*s) {
		size_t n = strspn(s, "0123456789");
		const char *u = s[n] ? strchr(units, s[n]) : NULL;
		unsigned __int128 v = 0;

		if (n == 0 || (s[n] && !u))
			return false;
		for (size_t k = 0; k < n; k++)
			v = v > (unsigned __int128)1 << 100 ? v : v * 10 + (unsigned)(s[k] - '0');
		total += v * (u ? mult[u - units] : 1);
		if (total > (unsigned __int128)1 << 100)
			total = (unsigned __int128)1 << 100;
		s += n + (s[n] ? 1 : 0);
	}
	*ret = total > ~0UL ? ~0UL : (unsigned long)total;
	return true;
}

static void check_numbers(const char *s)
{
	static const unsigned maxes[] = { 86400, 365U * 86400 };
	unsigned long want, got, twant;
	bool digits = ref_decimal(s, &want), timefmt = ref_time(s, &twant);

	for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		unsigned secs = 12345;
		bool ok = timefmt && twant >= 1 && twant <= maxes[i];
		int r = cli_parse_seconds("--fuzz", s, maxes[i], &secs);

		if ((r == 0) != ok || (ok && secs != twant) || (!ok && secs != 12345))
			abort();
	}
	got = 12345;
	if ((parse_decimal(s, 0x7fffffffUL, &got) == 0) != (digits && want <= 0x7fffffffUL) ||
	    (digits && want <= 0x7fffffffUL && got != want))
		abort();
}

static void check_askpass(const char *s)
{
	static const unsigned all_flags[] = { 0, ASK_ALLOW_STDIN, ASK_CONFIRM,
					      ASK_ALLOW_STDIN | ASK_CONFIRM };
	enum ask_require req = ask_require_from_string(s);
	enum ask_require want = strcmp(s, "never") == 0	 ? ASK_REQUIRE_NEVER
				: strcmp(s, "prefer") == 0 ? ASK_REQUIRE_PREFER
				: strcmp(s, "force") == 0  ? ASK_REQUIRE_FORCE
							   : ASK_REQUIRE_DEFAULT;

	if (req != want || ask_require_from_string(NULL) != ASK_REQUIRE_DEFAULT)
		abort();
	for (int display = 0; display < 2; display++)
		for (int tty = 0; tty < 2; tty++)
			for (size_t f = 0; f < sizeof(all_flags) / sizeof(all_flags[0]); f++) {
				unsigned flags = all_flags[f];
				bool confirm = flags & ASK_CONFIRM;
				enum ask_via via = ask_choose(req, display, tty, flags);
				enum ask_via want_via;

				/* ssh(1), readpass.c: force always runs the
				 * program; never never does; prefer does with a
				 * display; by default, with a display and no
				 * terminal.  A confirmation is only ever asked
				 * by the program. */
				if (req == ASK_REQUIRE_FORCE)
					want_via = ASK_VIA_PROGRAM;
				else if (req != ASK_REQUIRE_NEVER && display &&
					 (confirm || req == ASK_REQUIRE_PREFER || !tty))
					want_via = ASK_VIA_PROGRAM;
				else if (confirm)
					want_via = ASK_VIA_NONE;
				else if (tty)
					want_via = ASK_VIA_TTY;
				else if (flags & ASK_ALLOW_STDIN)
					want_via = ASK_VIA_STDIN;
				else
					want_via = ASK_VIA_NONE;
				if (via != want_via)
					abort();
			}
}

/* The length of the code point at p if it is well-formed UTF-8 (RFC
 * 3629: shortest form, no surrogates, at most U+10FFFF) and one a prompt
 * may show, else 0. */
static size_t shown_char_len(const unsigned char *p, uint32_t *ret_cp)
{
	uint32_t cp;
	size_t n;

	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return p[0] >= 0x20 && p[0] != 0x7f ? 1 : 0;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls; line and paragraph separators, bidi controls. */
	if (cp < 0xa0 || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	*ret_cp = cp;
	return n;
}

/* Every byte of s a line break or part of a character a prompt may show. */
static bool prompt_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (*p) {
		size_t n = *p == '\n' ? 1 : shown_char_len(p, &cp);

		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

static void check_prompt(const char *s, size_t len)
{
	char *a = strdup(s), *b;

	if (!a)
		abort();
	ask_sanitize_prompt(a);
	/* Same length, same line breaks, only what may be shown; what was
	 * clean is unchanged, and a second pass changes nothing. */
	if (strlen(a) != len || !prompt_clean(a))
		abort();
	for (size_t i = 0; i < len; i++)
		if ((s[i] == '\n') != (a[i] == '\n') || (a[i] != s[i] && a[i] != '?'))
			abort();
	if (prompt_clean(s) && strcmp(a, s) != 0)
		abort();
	b = strdup(a);
	if (!b)
		abort();
	ask_sanitize_prompt(b);
	if (strcmp(a, b) != 0)
		abort();
	free(a);
	free(b);
}

static void check_names(const char *s)
{
	static const char *const backends[] = { "none", "keyring", "secret" };
	static const char *const hier[] = { "owner", "o", "endorsement", "e",
					    "null",  "n", "platform",	 "p" };
	enum cache_backend be = CACHE_NONE;
	bool known = false;
	uint32_t h;

	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		known = known || strcmp(s, backends[i]) == 0;
	if ((cache_backend_from_string(s, &be) == 0) != known)
		abort();
	known = false;
	for (size_t i = 0; i < sizeof(hier) / sizeof(hier[0]); i++)
		known = known || strcmp(s, hier[i]) == 0;
	h = tpm_hierarchy_from_string(s);
	if ((h != 0) != known || (h && !tpm_hierarchy_title(h)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	size_t len;

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);
	check_numbers(s);
	check_askpass(s);
	check_prompt(s, len);
	check_names(s);
	free(s);
	return 0;
}
