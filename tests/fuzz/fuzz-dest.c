/* SPDX-License-Identifier: MIT */
/* fuzz-dest.c - libFuzzer target: destination constraints (handler/dest.c)
 * with the session bindings they are checked against, which fuzz-handler
 * reaches only past a valid host-key signature.  The input, as SSH
 * strings: the constraints (ssh-add -h's restrict-destination payload),
 * a byte (bindings 0..3, a failed bind), each binding (host key, session
 * id, forwarded byte), the target user, a SIGN_REQUEST's data and key
 * blob, then a string and a pattern.  dest_parse, dest_permitted (listing
 * and signing), dest_check_sign; dest_match_pattern against a reference
 * (dynamic programming) -- and every call must end: a pattern is matched
 * in time linear in its length times the string's. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "buf.h"
#include "dest.h"
#include "err.h"
#include "handler.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct handler_config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_setup("fuzz-dest", LOG_LEVEL_ERROR);
	cfg.cache = CACHE_NONE;
	return 0;
}

/* The next string, or an empty one once the input has run out. */
static void next(struct buf *b, const uint8_t **p, size_t *len)
{
	if (buf_get_string_direct(b, p, len) != 0) {
		*p = (const uint8_t *)"";
		*len = 0;
	}
}

static char *cstr(const uint8_t *p, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	if (!d)
		abort();
	memcpy(d, p, len);
	return d;
}

/* '*' any run, '?' any one character, the rest itself; the whole of s. */
static bool ref_match(const char *s, const char *p)
{
	size_t n = strlen(s), m = strlen(p);
	bool *row = calloc(n + 1, sizeof(*row)), *prev = calloc(n + 1, sizeof(*prev)), r;

	if (!row || !prev)
		abort();
	prev[0] = true; /* the empty pattern matches the empty string */
	for (size_t j = 1; j <= m; j++) {
		bool *t;

		row[0] = prev[0] && p[j - 1] == '*';
		for (size_t i = 1; i <= n; i++)
			row[i] = p[j - 1] == '*' ? prev[i] || row[i - 1]
						 : prev[i - 1] && (p[j - 1] == '?' || p[j - 1] == s[i - 1]);
		t = prev;
		prev = row;
		row = t;
	}
	r = prev[n];
	free(row);
	free(prev);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf *in = buf_from(data, size);
	const uint8_t *raw, *user, *ud, *blob, *s, *p, *v;
	size_t raw_len, user_len, ud_len, blob_len, s_len, p_len, v_len;
	struct handler_conn c;
	struct dest_set d;
	char *u, *signer = NULL, *str, *pat;
	uint8_t flags = 0;
	bool parsed, matched;
	int r;

	if (!in)
		abort();
	handler_conn_init(&c, &cfg, -1);
	next(in, &raw, &raw_len);
	if (buf_get_u8(in, &flags) != 0)
		flags = 0;
	c.bind_failed = flags & 4;
	for (unsigned i = 0; i < (flags & 3u); i++) {
		struct handler_binding *hb = &c.bindings[c.n_bindings++];
		uint8_t fwd = 0;

		next(in, &v, &v_len);
		hb->hostkey = dup_bytes(v, v_len);
		hb->hostkey_len = v_len;
		next(in, &v, &v_len);
		hb->sid = dup_bytes(v, v_len);
		hb->sid_len = v_len;
		if (buf_get_u8(in, &fwd) != 0)
			fwd = 0;
		hb->forwarded = fwd & 1;
	}
	next(in, &user, &user_len);
	next(in, &ud, &ud_len);
	next(in, &blob, &blob_len);
	next(in, &s, &s_len);
	next(in, &p, &p_len);

	parsed = dest_parse(raw, raw_len, &d) == 0;
	if (parsed)
		dest_set_clear(&d);
	u = user_len && !memchr(user, '\0', user_len) ? cstr(user, user_len) : NULL;
	for (int k = 0; k < 2; k++) {
		r = dest_permitted(&c, raw, raw_len, k ? u : NULL);
		if (r != 0 && r != TA_ERR_KEY_NOT_FOUND)
			abort();
		/* No constraint: anyone; unparsable: no one (refused when
		 * added); local use (no binding, none failed): permitted. */
		if ((raw_len == 0 && r != 0) || (raw_len && !parsed && r == 0) ||
		    (raw_len && parsed && c.n_bindings == 0 && !c.bind_failed && r != 0))
			abort();
	}
	r = dest_check_sign(&c, raw, raw_len, blob, blob_len, ud, ud_len, &signer);
	if (r == 0 && (!signer || c.n_bindings == 0 || dest_permitted(&c, raw, raw_len, signer) != 0))
		abort();
	if (r != 0 && signer)
		abort();
	free(signer);
	free(u);
	handler_conn_done(&c);

	str = cstr(s, s_len);
	pat = cstr(p, p_len);
	/* Any length must end in time (libFuzzer's -timeout); checked
	 * against the reference (n * m steps) when short. */
	matched = dest_match_pattern(str, pat);
	if (strlen(str) <= 256 && strlen(pat) <= 256 && matched != ref_match(str, pat))
		abort();
	free(str);
	free(pat);
	buf_free(in);
	/* Failures leave OpenSSL's error queue clean (see fuzz-softkey). */
	if (ERR_peek_error() != 0)
		abort();
	return 0;
}
