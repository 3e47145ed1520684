/* SPDX-License-Identifier: MIT */
/* test-common.c - the parts of common/ beyond buf and err that read what
 * others wrote: text_sanitize (key comments, peer names), the numbers of
 * the command line and of LISTEN_PID / LISTEN_FDS, and how a prompt asks
 * (SSH_ASKPASS_REQUIRE).  fuzz-env holds the same functions to the same
 * rules over any input.  And the standard descriptors of a program
 * started with some of them closed. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ask.h"
#include "cli.h"
#include "err.h"
#include "log.h"
#include "sysutil.h"

static void quiet(void)
{
	log_setup("test-common", LOG_LEVEL_ERROR);
}

TestSuite(cli_parse_seconds, .init = quiet);

Test(text_sanitize, malformed_utf8_becomes_one_mark_per_byte)
{
	/* Past U+10FFFF, an overlong '\n', a surrogate, an overlong 4-byte
	 * '\n', an overlong C1 control (CSI). */
	char s[] = "a\xf4\x90\x80\x80" "b\xe0\x80\x8a" "c\xed\xa0\x80" "d\xf0\x80\x80\x8a" "e\xe0\x82\x9b";

	text_sanitize(s);
	cr_assert(eq(str, s, "a????b???c???d????e???"));
}

Test(text_sanitize, well_formed_text_is_unchanged)
{
	char s[] = "cl\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x91 \xf4\x8f\xbf\xbf \xee\x80\x80";

	text_sanitize(s);
	cr_assert(eq(str, s, "cl\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x91 \xf4\x8f\xbf\xbf \xee\x80\x80"));
}

Test(text_sanitize, controls_separators_and_bidi_become_marks)
{
	char s[] = "\x1b[31m\x7f\xc2\x9b\xe2\x80\xa8x\xe2\x80\xaey\xe2\x81\xa9";

	text_sanitize(s);
	cr_assert(eq(str, s, "?[31m??????x???y???"));
}

Test(cli_parse_seconds, takes_digits_in_range)
{
	unsigned v = 0;
	int r = cli_parse_seconds("-t", "600", 86400, &v);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(uint, v, 600));
}

Test(cli_parse_seconds, takes_ssh_add_time_formats)
{
	static const struct {
		const char *s;
		unsigned v;
	} good[] = { { "90s", 90 }, { "10m", 600 }, { "1h30m", 5400 }, { "1H", 3600 },
		     { "1d", 86400 }, { "1h30", 3630 }, { "0h5m", 300 }, { "2w", 1209600 } };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		unsigned v = 0;

		cr_assert(eq(int, cli_parse_seconds("-t", good[i].s, 365U * 86400, &v), 0), "%s",
			  good[i].s);
		cr_assert(eq(uint, v, good[i].v), "%s", good[i].s);
	}
}

Test(cli_parse_seconds, refuses_signs_spaces_and_wrapped_negatives)
{
	static const char *const bad[] = { "+5", " 5", "5 ", "-1", " -1", " -18446744073709551615",
					   "\t-18446744073709551610", "0", "86401", "", "0x10",
					   "1x", "h", "1hh", "1h 30m", "0s", "2d", "99999999999999999999s",
					   "4294967296m", "1h-5m" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned v = 7;
		int r = cli_parse_seconds("-t", bad[i], 86400, &v);

		cr_assert(eq(int, r, -1), "'%s' accepted", bad[i]);
		cr_assert(eq(uint, v, 7), "'%s' wrote the result", bad[i]);
	}
}

Test(parse_decimal, digits_only_up_to_max)
{
	unsigned long v = 7;

	cr_assert(eq(int, parse_decimal("0", 10, &v), 0));
	cr_assert(eq(ulong, v, 0));
	cr_assert(eq(int, parse_decimal("11", 10, &v), TA_ERR_FORMAT));
	cr_assert(eq(int, parse_decimal(" 1", 10, &v), TA_ERR_FORMAT));
	cr_assert(eq(int, parse_decimal("99999999999999999999999", ~0UL, &v), TA_ERR_FORMAT));
	cr_assert(eq(int, parse_decimal(NULL, 10, &v), TA_ERR_FORMAT));
	cr_assert(eq(ulong, v, 0));
}

Test(ask_choose, follows_ssh_askpass_require)
{
	cr_assert(eq(int, ask_choose(ask_require_from_string("force"), false, true, 0), ASK_VIA_PROGRAM));
	cr_assert(eq(int, ask_choose(ask_require_from_string("prefer"), true, true, 0), ASK_VIA_PROGRAM));
	cr_assert(eq(int, ask_choose(ask_require_from_string("prefer"), false, false, 0), ASK_VIA_NONE));
	cr_assert(eq(int, ask_choose(ask_require_from_string("never"), true, false, ASK_ALLOW_STDIN),
		     ASK_VIA_STDIN));
	cr_assert(eq(int, ask_choose(ask_require_from_string("Force"), true, true, 0), ASK_VIA_TTY));
	cr_assert(eq(int, ask_choose(ask_require_from_string(NULL), true, false, 0), ASK_VIA_PROGRAM));
	cr_assert(eq(int, ask_choose(ask_require_from_string(NULL), false, true, ASK_CONFIRM), ASK_VIA_NONE));
}

/* /dev/null, as a character device (1, 3). */
static bool fd_is_dev_null(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

Test(stdio_to_null, closed_stdin_stays_open_on_dev_null)
{
	int r;

	close(STDIN_FILENO);
	r = stdio_to_null(1u << 0);
	cr_assert(eq(int, r, 0));
	cr_assert(fd_is_dev_null(STDIN_FILENO));
}

Test(stdio_ensure_open, fills_closed_descriptors_and_keeps_open_ones)
{
	int out = dup(STDOUT_FILENO), err = dup(STDERR_FILENO), r;
	bool in_null, out_null, err_kept;

	cr_assert(out > 2 && err > 2);
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	r = stdio_ensure_open();
	in_null = fd_is_dev_null(STDIN_FILENO);
	out_null = fd_is_dev_null(STDOUT_FILENO);
	err_kept = fcntl(STDERR_FILENO, F_GETFD) >= 0;
	dup2(out, STDOUT_FILENO);
	close(out);
	close(err);
	cr_assert(eq(int, r, 0));
	cr_assert(in_null && out_null && err_kept);
}
