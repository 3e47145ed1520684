/* SPDX-License-Identifier: MIT */
/* fuzz-generator.c - libFuzzer target: what ssh-tpm-generator reads at
 * boot, the input as the kernel command line (gen_cmdline_hostkeys) and as
 * /etc/ssh-tpm-agent/generator.conf (gen_config_hostkeys), each against a
 * model written here from generator.h: words split at white space outside
 * quotes, the last ssh-tpm-agent.hostkeys[=BOOL] winning ('-' and '_' the
 * same); KEY=VALUE lines with comments, the last valid HostKeys= winning.
 * A line or a setting appended after the input always decides. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "generator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static int model_bool(const char *v)
{
	static const char *const words[] = { "1", "yes", "y", "true", "t", "on",
					     "0", "no",	 "n", "false", "f", "off" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(v, words[i]) == 0)
			return i < 6;
	return -1;
}

/* The word with '_' read as '-', compared with the key's length. */
static bool model_key(const char *w, const char *key, size_t *ret_len)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < n; i++) {
		char a = w[i] == '_' ? '-' : w[i], b = key[i] == '_' ? '-' : key[i];

		if (a != b)
			return false;
	}
	*ret_len = n;
	return true;
}

static int model_cmdline(const char *s)
{
	int result = -1;
	char *word = malloc(strlen(s) + 1);

	if (!word)
		abort();
	while (*s) {
		size_t n = 0, klen;
		char quote = 0;
		int b;

		while (is_ws(*s))
			s++;
		if (!*s)
			break;
		for (; *s && (quote || !is_ws(*s)); s++) {
			if (!quote && (*s == '"' || *s == '\''))
				quote = *s;
			else if (quote && *s == quote)
				quote = 0;
			else
				word[n++] = *s;
		}
		/* The generator keeps the first 4095 bytes of a word. */
		word[n < 4095 ? n : 4095] = '\0';
		if (!model_key(word, GEN_CMDLINE_KEY, &klen))
			continue;
		if (word[klen] == '\0')
			result = 1;
		else if (word[klen] == '=' && (b = model_bool(word + klen + 1)) >= 0)
			result = b;
	}
	free(word);
	return result;
}

static int model_config(const char *text)
{
	int result = -1;

	while (*text) {
		size_t len = strcspn(text, "\n"), a = 0, e = len, k;
		const char *l = text, *eq;
		char *key, *val;
		int b;

		text += len;
		if (*text == '\n')
			text++;
		if (len >= 1024)
			continue;
		while (a < len && (l[a] == ' ' || l[a] == '\t'))
			a++;
		while (e > a && (l[e - 1] == ' ' || l[e - 1] == '\t' || l[e - 1] == '\r'))
			e--;
		if (a == e || l[a] == '#' || l[a] == ';' || l[a] == '[')
			continue;
		eq = memchr(l + a, '=', e - a);
		if (!eq)
			continue;
		k = (size_t)(eq - l);
		while (k > a && (l[k - 1] == ' ' || l[k - 1] == '\t'))
			k--;
		key = strndup(l + a, k - a);
		for (eq++; eq < l + e && (*eq == ' ' || *eq == '\t'); eq++)
			;
		val = strndup(eq, (size_t)(l + e - eq));
		if (!key || !val)
			abort();
		if (strcmp(key, GEN_CONFIG_KEY) == 0 && (b = model_bool(val)) >= 0)
			result = b;
		free(key);
		free(val);
	}
	return result;
}

/* s with tail appended. */
static char *cat(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);
	char *r = malloc(a + b + 1);

	if (!r)
		abort();
	memcpy(r, s, a);
	memcpy(r + a, tail, b + 1);
	return r;
}

/* Inside a quote at the end of s (an appended word would join it). */
static bool open_quote(const char *s)
{
	char quote = 0;

	for (; *s; s++)
		if (!quote && (*s == '"' || *s == '\''))
			quote = *s;
		else if (quote && *s == quote)
			quote = 0;
	return quote != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *t;
	bool b = false;
	int r;

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';

	r = gen_cmdline_hostkeys(s);
	if (r != model_cmdline(s))
		abort();
	if (!open_quote(s)) {
		t = cat(s, " ssh_tpm_agent.hostkeys=off");
		if (gen_cmdline_hostkeys(t) != 0)
			abort();
		free(t);
		t = cat(s, "\tssh-tpm-agent.hostkeys");
		if (gen_cmdline_hostkeys(t) != 1)
			abort();
		free(t);
	}

	r = gen_config_hostkeys(s, "fuzz.conf");
	if (r != model_config(s))
		abort();
	t = cat(s, "\n HostKeys = No \r\n");
	if (gen_config_hostkeys(t, "fuzz.conf") != 0)
		abort();
	free(t);

	r = gen_parse_bool(s, &b);
	if ((r == 0 ? b : -1) != model_bool(s))
		abort();
	free(s);
	return 0;
}
