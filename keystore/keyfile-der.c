/* SPDX-License-Identifier: MIT */
/* keyfile-der.c - the TSS2 PRIVATE KEY DER (draft-bottomley-tpm2-keys)
 * read by hand: the OpenSSL ASN.1 templates that write it would, on their
 * first use in a process, set up OpenSSL's default library context (its
 * object-name tables), 0.4 ms of every signing handler's CPU.  Strict DER
 * only; the fuzz-keyfile target checks that whatever DER OpenSSL's
 * templates accept, this reads to the same fields. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "err.h"
#include "keyfile-internal.h"

enum {
	DER_BOOLEAN = 0x01,
	DER_INTEGER = 0x02,
	DER_OCTET_STRING = 0x04,
	DER_OID = 0x06,
	DER_UTF8STRING = 0x0c,
	DER_SEQUENCE = 0x30,
	DER_EXPLICIT = 0xa0, /* | tag number (0..30), constructed */
};

/* One TLV: its tag and contents; minimal definite lengths only. */
static int der_get(struct buf *b, uint8_t *ret_tag, struct der_span *ret)
{
	uint8_t tag, l, n;
	size_t len = 0;
	int r;

	*ret = (struct der_span){ 0 };
	if ((r = buf_get_u8(b, &tag)) != 0 || (r = buf_get_u8(b, &l)) != 0)
		return TA_ERR_KEYFILE_DER;
	if ((tag & 0x1f) == 0x1f) /* high tag numbers: none in this format */
		return TA_ERR_KEYFILE_DER;
	if (l < 0x80) {
		len = l;
	} else {
		n = l & 0x7f;
		if (n == 0 || n > 3) /* indefinite, or beyond any key file */
			return TA_ERR_KEYFILE_DER;
		for (uint8_t i = 0; i < n; i++) {
			uint8_t c;

			if (buf_get_u8(b, &c) != 0 || (i == 0 && c == 0))
				return TA_ERR_KEYFILE_DER;
			len = len << 8 | c;
		}
		if (len < 0x80)
			return TA_ERR_KEYFILE_DER; /* not minimal */
	}
	if (len > buf_len(b))
		return TA_ERR_KEYFILE_DER;
	*ret = (struct der_span){ .p = buf_ptr(b), .len = len, .present = true };
	*ret_tag = tag;
	return buf_consume(b, len) < 0 ? TA_ERR_KEYFILE_DER : 0;
}

/* The next TLV's tag, without taking it (0: none left). */
static uint8_t der_peek(const struct buf *b)
{
	return buf_len(b) ? buf_ptr(b)[0] : 0;
}

static int der_expect(struct buf *b, uint8_t tag, struct der_span *ret)
{
	uint8_t t;
	int r = der_get(b, &t, ret);

	return r < 0 ? r : t == tag ? 0 : TA_ERR_KEYFILE_DER;
}

/* [n] EXPLICIT: exactly one TLV of tag inner inside. */
static int der_explicit(struct buf *b, uint8_t n, uint8_t inner, struct der_span *ret)
{
	_cleanup_(buf_freep) struct buf *in = NULL;
	struct der_span outer;
	int r;

	r = der_expect(b, DER_EXPLICIT | n, &outer);
	if (r < 0)
		return r;
	in = buf_from(outer.p, outer.len);
	if (!in)
		return TA_ERR_NOMEM;
	r = der_expect(in, inner, ret);
	if (r < 0)
		return r;
	return buf_len(in) == 0 ? 0 : TA_ERR_KEYFILE_DER;
}

/* An optional [n] BOOLEAN: -1 absent, else its value (any non-zero
 * octet is TRUE, as OpenSSL reads it). */
static int der_opt_bool(struct buf *b, uint8_t n, int *ret)
{
	struct der_span v;
	int r;

	*ret = -1;
	if (der_peek(b) != (DER_EXPLICIT | n))
		return 0;
	r = der_explicit(b, n, DER_BOOLEAN, &v);
	if (r < 0)
		return r;
	if (v.len != 1)
		return TA_ERR_KEYFILE_DER;
	*ret = v.p[0] != 0;
	return 0;
}

/* INTEGER contents: at least one octet, no superfluous leading octet. */
static bool der_integer_ok(const struct der_span *i)
{
	return i->len > 0 && (i->len == 1 || !((i->p[0] == 0x00 && !(i->p[1] & 0x80)) ||
					       (i->p[0] == 0xff && (i->p[1] & 0x80))));
}

/* The contents of [1]'s SEQUENCE OF TPMPolicy: each a SEQUENCE of
 * [0] EXPLICIT INTEGER commandCode, [1] EXPLICIT OCTET STRING
 * commandPolicy. */
static int der_policy(const struct der_span *seq, struct takey_view *v)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(seq->p, seq->len);
	int r;

	if (!b)
		return TA_ERR_NOMEM;
	while (buf_len(b) > 0) {
		_cleanup_(buf_freep) struct buf *step = NULL;
		struct der_span s;

		r = der_expect(b, DER_SEQUENCE, &s);
		if (r < 0)
			return r;
		if (v->n_policy == KEYFILE_MAX_POLICY)
			return TA_ERR_KEYFILE_POLICY;
		step = buf_from(s.p, s.len);
		if (!step)
			return TA_ERR_NOMEM;
		if ((r = der_explicit(step, 0, DER_INTEGER, &v->policy_cc[v->n_policy])) < 0 ||
		    (r = der_explicit(step, 1, DER_OCTET_STRING, &v->policy_body[v->n_policy])) < 0)
			return r;
		if (buf_len(step) != 0)
			return TA_ERR_KEYFILE_DER;
		v->n_policy++;
	}
	return 0;
}

int keyfile_der_read(const uint8_t *der, size_t len, struct takey_view *ret)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(der, len), *seq = NULL;
	struct takey_view v = { .empty_auth = -1, .rsa_parent = -1 };
	struct der_span s, skip;
	int r;

	*ret = (struct takey_view){ 0 };
	if (!b)
		return TA_ERR_NOMEM;
	r = der_expect(b, DER_SEQUENCE, &s);
	if (r < 0)
		return r;
	if (buf_len(b) != 0)
		return TA_ERR_TRAILING;
	seq = buf_from(s.p, s.len);
	if (!seq)
		return TA_ERR_NOMEM;
	if ((r = der_expect(seq, DER_OID, &v.type)) < 0 || (r = der_opt_bool(seq, 0, &v.empty_auth)) < 0)
		return r;
	if (der_peek(seq) == (DER_EXPLICIT | 1)) {
		if ((r = der_explicit(seq, 1, DER_SEQUENCE, &skip)) < 0 ||
		    (r = der_policy(&skip, &v)) < 0)
			return r;
		v.policy = true;
	}
	if (der_peek(seq) == (DER_EXPLICIT | 2) &&
	    (r = der_explicit(seq, 2, DER_OCTET_STRING, &v.secret)) < 0)
		return r;
	if (der_peek(seq) == (DER_EXPLICIT | 3)) {
		if ((r = der_explicit(seq, 3, DER_SEQUENCE, &skip)) < 0)
			return r;
		v.auth_policy = true;
	}
	if (der_peek(seq) == (DER_EXPLICIT | 4) &&
	    (r = der_explicit(seq, 4, DER_UTF8STRING, &v.description)) < 0)
		return r;
	if ((r = der_opt_bool(seq, 5, &v.rsa_parent)) < 0 ||
	    (r = der_expect(seq, DER_INTEGER, &v.parent)) < 0 ||
	    (r = der_expect(seq, DER_OCTET_STRING, &v.pubkey)) < 0 ||
	    (r = der_expect(seq, DER_OCTET_STRING, &v.privkey)) < 0)
		return r;
	if (buf_len(seq) != 0 || !der_integer_ok(&v.parent))
		return TA_ERR_KEYFILE_DER;
	for (size_t i = 0; i < v.n_policy; i++)
		if (!der_integer_ok(&v.policy_cc[i]))
			return TA_ERR_KEYFILE_DER;
	*ret = v;
	return 0;
}

/* The line at *pos (without its end), advancing *pos past it. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **ret, size_t *ret_len)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*ret = text + *pos;
	nl = memchr(*ret, '\n', len - *pos);
	*ret_len = nl ? (size_t)(nl - *ret) : len - *pos;
	*pos += *ret_len + (nl ? 1 : 0);
	if (*ret_len && (*ret)[*ret_len - 1] == '\r')
		(*ret_len)--;
	return true;
}

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

int keyfile_pem_read(const char *text, size_t len, char *label, size_t label_max,
		     uint8_t **ret_der, size_t *ret_len)
{
	static const char begin[] = "-----BEGIN ", end[] = "-----END ", dashes[] = "-----";
	_cleanup_free_ char *b64 = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	size_t pos = 0, n = 0, pad = 0, ll = 0, lab_len;
	const char *line = NULL;
	int d;

	*ret_der = NULL;
	*ret_len = 0;
	for (;;) {
		if (!next_line(text, len, &pos, &line, &ll))
			return TA_ERR_KEYFILE_PEM;
		if (ll >= sizeof(begin) - 1 && memcmp(line, begin, sizeof(begin) - 1) == 0)
			break;
	}
	line += sizeof(begin) - 1;
	ll -= sizeof(begin) - 1;
	if (ll < sizeof(dashes) - 1 || memcmp(line + ll - 5, dashes, 5) != 0)
		return TA_ERR_KEYFILE_PEM;
	lab_len = ll - 5;
	if (lab_len + 1 > label_max || memchr(line, '\0', lab_len))
		return TA_ERR_KEYFILE_PEM;
	memcpy(label, line, lab_len);
	label[lab_len] = '\0';
	b64 = malloc(len + 1);
	if (!b64)
		return TA_ERR_NOMEM;
	for (;;) {
		if (!next_line(text, len, &pos, &line, &ll))
			return TA_ERR_KEYFILE_PEM; /* no END line */
		if (ll >= sizeof(end) - 1 && memcmp(line, end, sizeof(end) - 1) == 0)
			break;
		for (size_t i = 0; i < ll; i++) {
			if (line[i] == ' ' || line[i] == '\t')
				continue;
			/* '=' only at the very end; a header line has a ':'. */
			if (!is_b64(line[i]) || (pad && line[i] != '='))
				return TA_ERR_KEYFILE_PEM;
			pad += line[i] == '=';
			b64[n++] = line[i];
		}
	}
	if (ll != sizeof(end) - 1 + lab_len + 5 || memcmp(line + sizeof(end) - 1, label, lab_len) != 0 ||
	    memcmp(line + sizeof(end) - 1 + lab_len, dashes, 5) != 0)
		return TA_ERR_KEYFILE_PEM;
	if (n == 0 || n % 4 != 0 || pad > 2 || n > INT32_MAX)
		return TA_ERR_KEYFILE_PEM;
	der = malloc(n / 4 * 3 + 1);
	if (!der)
		return TA_ERR_NOMEM;
	/* A pure table lookup (no library state). */
	d = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n);
	if (d < 0 || (size_t)d < pad)
		return TA_ERR_KEYFILE_PEM;
	*ret_len = (size_t)d - pad;
	*ret_der = TAKE_PTR(der);
	return 0;
}
