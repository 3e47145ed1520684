/* SPDX-License-Identifier: MIT */
/* sshkey.c - SSH public key blobs, .pub lines and SHA256 fingerprints. */
/* (ta_hash_digest uses OpenSSL's direct SHA functions: see there.) */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "sshkey.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "err.h"
#include "sysutil.h"

void sshkey_free(struct sshkey *k)
{
	if (!k)
		return;
	free(k->q);
	free(k->e);
	free(k->n);
	free(k);
}

const char *sshkey_type_name(enum sshkey_type t)
{
	switch (t) {
	case SSHKEY_ECDSA_P256:
		return "ecdsa-sha2-nistp256";
	case SSHKEY_ECDSA_P384:
		return "ecdsa-sha2-nistp384";
	case SSHKEY_ECDSA_P521:
		return "ecdsa-sha2-nistp521";
	case SSHKEY_RSA:
		return "ssh-rsa";
	}
	return "unknown";
}

const char *sshkey_curve_name(enum sshkey_type t)
{
	switch (t) {
	case SSHKEY_ECDSA_P256:
		return "nistp256";
	case SSHKEY_ECDSA_P384:
		return "nistp384";
	case SSHKEY_ECDSA_P521:
		return "nistp521";
	case SSHKEY_RSA:
		return NULL;
	}
	return NULL;
}

size_t sshkey_ecdsa_field_len(enum sshkey_type t)
{
	switch (t) {
	case SSHKEY_ECDSA_P256:
		return 32;
	case SSHKEY_ECDSA_P384:
		return 48;
	case SSHKEY_ECDSA_P521:
		return 66;
	case SSHKEY_RSA:
		return 0;
	}
	return 0;
}

enum ta_hash sshkey_ecdsa_hash(enum sshkey_type t)
{
	switch (t) {
	case SSHKEY_ECDSA_P384:
		return TA_HASH_SHA384;
	case SSHKEY_ECDSA_P521:
		return TA_HASH_SHA512;
	case SSHKEY_ECDSA_P256:
	case SSHKEY_RSA:
		return TA_HASH_SHA256;
	}
	return TA_HASH_SHA256;
}

size_t ta_hash_len(enum ta_hash h)
{
	switch (h) {
	case TA_HASH_SHA1:
		return 20;
	case TA_HASH_SHA256:
		return 32;
	case TA_HASH_SHA384:
		return 48;
	case TA_HASH_SHA512:
		return 64;
	}
	return 0;
}

const EVP_MD *ta_hash_md(enum ta_hash h)
{
	switch (h) {
	case TA_HASH_SHA1:
		return EVP_sha1();
	case TA_HASH_SHA256:
		return EVP_sha256();
	case TA_HASH_SHA384:
		return EVP_sha384();
	case TA_HASH_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

/* OpenSSL's own SHA-1/SHA-2 code, called directly (its 1.1 API, deprecated
 * in 3.0 for the EVP one): the same digests without the library context
 * the first EVP call of a process sets up -- its default provider and
 * DRBG take 1.5-2 ms of CPU, more than all else a listing or a signing
 * handler does for its client.  (Where the deprecated API is compiled
 * out, EVP it is.) */
int ta_hash_digest(enum ta_hash h, const void *data, size_t len, uint8_t *out)
{
#ifndef OPENSSL_NO_DEPRECATED_3_0
	union {
		SHA_CTX sha1;
		SHA256_CTX sha256;
		SHA512_CTX sha512;
	} c;
	int ok = 0;

	switch (h) {
	case TA_HASH_SHA1:
		ok = SHA1_Init(&c.sha1) && SHA1_Update(&c.sha1, data, len) && SHA1_Final(out, &c.sha1);
		break;
	case TA_HASH_SHA256:
		ok = SHA256_Init(&c.sha256) && SHA256_Update(&c.sha256, data, len) &&
		     SHA256_Final(out, &c.sha256);
		break;
	case TA_HASH_SHA384:
		ok = SHA384_Init(&c.sha512) && SHA384_Update(&c.sha512, data, len) &&
		     SHA384_Final(out, &c.sha512);
		break;
	case TA_HASH_SHA512:
		ok = SHA512_Init(&c.sha512) && SHA512_Update(&c.sha512, data, len) &&
		     SHA512_Final(out, &c.sha512);
		break;
	}
	OPENSSL_cleanse(&c, sizeof(c));
	return ok ? 0 : TA_ERR_INTERNAL;
#else
	unsigned int olen = 0;

	if (!EVP_Digest(data, len, out, &olen, ta_hash_md(h), NULL))
		return TA_ERR_LIBCRYPTO;
	return olen == ta_hash_len(h) ? 0 : TA_ERR_INTERNAL;
#endif
}

unsigned sshkey_bits(const struct sshkey *k)
{
	size_t bits;

	switch (k->type) {
	case SSHKEY_ECDSA_P256:
		return 256;
	case SSHKEY_ECDSA_P384:
		return 384;
	case SSHKEY_ECDSA_P521:
		return 521;
	case SSHKEY_RSA:
		if (k->n_len == 0)
			return 0;
		bits = (k->n_len - 1) * 8;
		for (uint8_t top = k->n[0]; top; top >>= 1)
			bits++;
		return (unsigned)bits;
	}
	return 0;
}

static uint8_t *memdup_or_null(const uint8_t *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	if (d && len)
		memcpy(d, p, len);
	return d;
}

static void strip_zeros(const uint8_t **p, size_t *len)
{
	while (*len > 0 && (*p)[0] == 0) {
		(*p)++;
		(*len)--;
	}
}

int sshkey_new_ecdsa(enum sshkey_type t, const uint8_t *x, size_t x_len,
		     const uint8_t *y, size_t y_len, struct sshkey **ret)
{
	_cleanup_(sshkey_freep) struct sshkey *k = NULL;
	size_t fl = sshkey_ecdsa_field_len(t);

	if (fl == 0)
		return TA_ERR_KEY_TYPE;
	strip_zeros(&x, &x_len);
	strip_zeros(&y, &y_len);
	if (x_len > fl || y_len > fl)
		return TA_ERR_FORMAT;
	k = calloc(1, sizeof(*k));
	if (!k)
		return TA_ERR_NOMEM;
	k->type = t;
	k->q_len = 1 + 2 * fl;
	k->q = calloc(1, k->q_len);
	if (!k->q)
		return TA_ERR_NOMEM;
	k->q[0] = 0x04;
	if (x_len)
		memcpy(k->q + 1 + fl - x_len, x, x_len);
	if (y_len)
		memcpy(k->q + 1 + 2 * fl - y_len, y, y_len);
	*ret = TAKE_PTR(k);
	return 0;
}

int sshkey_new_rsa(const uint8_t *e, size_t e_len, const uint8_t *n,
		   size_t n_len, struct sshkey **ret)
{
	_cleanup_(sshkey_freep) struct sshkey *k = NULL;

	strip_zeros(&e, &e_len);
	strip_zeros(&n, &n_len);
	if (e_len == 0 || n_len == 0 || e_len > 8 ||
	    n_len * 8 > SSHKEY_MAX_RSA_BITS)
		return TA_ERR_FORMAT;
	k = calloc(1, sizeof(*k));
	if (!k)
		return TA_ERR_NOMEM;
	k->type = SSHKEY_RSA;
	k->e = memdup_or_null(e, e_len);
	k->n = memdup_or_null(n, n_len);
	if (!k->e || !k->n)
		return TA_ERR_NOMEM;
	k->e_len = e_len;
	k->n_len = n_len;
	*ret = TAKE_PTR(k);
	return 0;
}

int sshkey_to_blob(const struct sshkey *k, struct buf *out)
{
	int r;

	switch (k->type) {
	case SSHKEY_ECDSA_P256:
	case SSHKEY_ECDSA_P384:
	case SSHKEY_ECDSA_P521:
		if ((r = buf_put_cstring(out, sshkey_type_name(k->type))) != 0 ||
		    (r = buf_put_cstring(out, sshkey_curve_name(k->type))) != 0 ||
		    (r = buf_put_string(out, k->q, k->q_len)) != 0)
			return r;
		return 0;
	case SSHKEY_RSA:
		if ((r = buf_put_cstring(out, "ssh-rsa")) != 0 ||
		    (r = buf_put_mpint(out, k->e, k->e_len)) != 0 ||
		    (r = buf_put_mpint(out, k->n, k->n_len)) != 0)
			return r;
		return 0;
	}
	return TA_ERR_KEY_TYPE;
}

static int sshkey_type_from_name(const char *name, enum sshkey_type *ret)
{
	static const enum sshkey_type all[] = {
		SSHKEY_ECDSA_P256, SSHKEY_ECDSA_P384, SSHKEY_ECDSA_P521, SSHKEY_RSA
	};

	for (size_t i = 0; i < ELEMENTSOF(all); i++) {
		if (strcmp(name, sshkey_type_name(all[i])) == 0) {
			*ret = all[i];
			return 0;
		}
	}
	return TA_ERR_KEY_TYPE;
}

int sshkey_from_blob(const uint8_t *blob, size_t len, struct sshkey **ret)
{
	_cleanup_(buf_freep) struct buf *b = NULL;
	_cleanup_free_ char *tname = NULL, *curve = NULL;
	const uint8_t *q, *e, *n;
	size_t q_len, e_len, n_len, fl;
	enum sshkey_type t;
	int r;

	*ret = NULL;
	if (len > SSHKEY_MAX_BLOB)
		return TA_ERR_TOO_LARGE;
	b = buf_from(blob, len);
	if (!b)
		return TA_ERR_NOMEM;
	r = buf_get_cstring(b, &tname, NULL);
	if (r < 0)
		return r;
	r = sshkey_type_from_name(tname, &t);
	if (r < 0)
		return r;
	if (t == SSHKEY_RSA) {
		if ((r = buf_get_mpint_direct(b, &e, &e_len)) != 0 ||
		    (r = buf_get_mpint_direct(b, &n, &n_len)) != 0)
			return r;
		if (buf_len(b) != 0)
			return TA_ERR_TRAILING;
		return sshkey_new_rsa(e, e_len, n, n_len, ret);
	}
	if ((r = buf_get_cstring(b, &curve, NULL)) != 0 ||
	    (r = buf_get_string_direct(b, &q, &q_len)) != 0)
		return r;
	if (buf_len(b) != 0)
		return TA_ERR_TRAILING;
	fl = sshkey_ecdsa_field_len(t);
	if (strcmp(curve, sshkey_curve_name(t)) != 0 || q_len != 1 + 2 * fl ||
	    q[0] != 0x04)
		return TA_ERR_FORMAT;
	return sshkey_new_ecdsa(t, q + 1, fl, q + 1 + fl, fl, ret);
}

int sshkey_equal(const struct sshkey *a, const struct sshkey *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == SSHKEY_RSA)
		return a->e_len == b->e_len && a->n_len == b->n_len &&
		       memcmp(a->e, b->e, a->e_len) == 0 &&
		       memcmp(a->n, b->n, a->n_len) == 0;
	return a->q_len == b->q_len && memcmp(a->q, b->q, a->q_len) == 0;
}

static int base64_encode(const uint8_t *p, size_t len, bool pad, char **ret)
{
	size_t olen = 4 * ((len + 2) / 3);
	char *s = malloc(olen + 1);
	int n;

	if (!s)
		return TA_ERR_NOMEM;
	n = EVP_EncodeBlock((unsigned char *)s, p, (int)len);
	if (n < 0) {
		free(s);
		return TA_ERR_LIBCRYPTO;
	}
	if (!pad)
		while (n > 0 && s[n - 1] == '=')
			n--;
	s[n] = '\0';
	*ret = s;
	return 0;
}

static int sshkey_blob(const struct sshkey *k, struct buf **ret)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(SSHKEY_MAX_BLOB);
	int r;

	if (!b)
		return TA_ERR_NOMEM;
	r = sshkey_to_blob(k, b);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(b);
	return 0;
}

/* The SHA-256 of the key's blob: what fingerprints and randomart show. */
static int blob_sha256(const struct sshkey *k, uint8_t md[64])
{
	_cleanup_(buf_freep) struct buf *b = NULL;
	int r = sshkey_blob(k, &b);

	if (r < 0)
		return r;
	return ta_hash_digest(TA_HASH_SHA256, buf_ptr(b), buf_len(b), md);
}

int sshkey_blob_fingerprint(const uint8_t *blob, size_t len, char **ret)
{
	_cleanup_free_ char *b64 = NULL;
	uint8_t md[64];
	char *s;
	int r;

	r = ta_hash_digest(TA_HASH_SHA256, blob, len, md);
	if (r < 0)
		return r;
	r = base64_encode(md, 32, false, &b64);
	if (r < 0)
		return r;
	if (asprintf(&s, "SHA256:%s", b64) < 0)
		return TA_ERR_NOMEM;
	*ret = s;
	return 0;
}

int sshkey_fingerprint(const struct sshkey *k, char **ret)
{
	_cleanup_(buf_freep) struct buf *b = NULL;
	int r = sshkey_blob(k, &b);

	if (r < 0)
		return r;
	return sshkey_blob_fingerprint(buf_ptr(b), buf_len(b), ret);
}

/* The "drunken bishop" walk that ssh-keygen draws (OpenSSH's
 * fingerprint_randomart): a 17 x 9 board, the bishop starting in the
 * middle; each digest byte gives four moves, lowest two bits first (bit 0:
 * right or left, bit 1: down or up), clamped at the edges; a square shows
 * how often it was visited, S the start and E the end. */
#define ART_W 17
#define ART_H 9

static void art_border(char **p, const char *label)
{
	size_t n = strlen(label), pad = (ART_W - n) / 2;

	*(*p)++ = '+';
	for (size_t i = 0; i < ART_W; i++)
		*(*p)++ = i >= pad && i < pad + n ? label[i - pad] : '-';
	*(*p)++ = '+';
}

int sshkey_randomart(const struct sshkey *k, char **ret)
{
	static const char symbols[] = " .o+=*BOX@%&#/^SE";
	const unsigned top = sizeof(symbols) - 2; /* 'E' */
	unsigned char board[ART_W][ART_H] = { { 0 } };
	char title[ART_W + 1], *art, *p;
	uint8_t md[64];
	int x = ART_W / 2, y = ART_H / 2, r;

	r = blob_sha256(k, md);
	if (r < 0)
		return r;
	for (size_t i = 0; i < 32; i++) {
		unsigned v = md[i];

		for (int step = 0; step < 4; step++, v >>= 2) {
			x += (v & 1) ? 1 : -1;
			y += (v & 2) ? 1 : -1;
			x = x < 0 ? 0 : x > ART_W - 1 ? ART_W - 1 : x;
			y = y < 0 ? 0 : y > ART_H - 1 ? ART_H - 1 : y;
			if (board[x][y] < top - 2)
				board[x][y]++;
		}
	}
	board[ART_W / 2][ART_H / 2] = top - 1;
	board[x][y] = top;
	snprintf(title, sizeof(title), "[%s %u]", k->type == SSHKEY_RSA ? "RSA" : "ECDSA",
		 sshkey_bits(k));
	/* Two borders and ART_H rows, each ART_W + 2 wide plus a newline. */
	art = malloc((ART_W + 3) * (ART_H + 2) + 1);
	if (!art)
		return TA_ERR_NOMEM;
	p = art;
	art_border(&p, title);
	*p++ = '\n';
	for (int row = 0; row < ART_H; row++) {
		*p++ = '|';
		for (int col = 0; col < ART_W; col++)
			*p++ = symbols[board[col][row] > top ? top : board[col][row]];
		*p++ = '|';
		*p++ = '\n';
	}
	art_border(&p, "[SHA256]");
	*p = '\0';
	*ret = art;
	return 0;
}

int sshkey_format_pub(const struct sshkey *k, const char *comment, char **ret)
{
	_cleanup_(buf_freep) struct buf *b = NULL;
	_cleanup_free_ char *b64 = NULL;
	char *s;
	int r;

	r = sshkey_blob(k, &b);
	if (r < 0)
		return r;
	r = base64_encode(buf_ptr(b), buf_len(b), true, &b64);
	if (r < 0)
		return r;
	if (comment && *comment) {
		r = asprintf(&s, "%s %s %s", sshkey_type_name(k->type), b64,
			     comment);
		/* One line: a comment (from a key file's description, say)
		 * with a newline would add a line of its own to a .pub or
		 * to the known_hosts it is pasted into. */
		if (r >= 0)
			text_sanitize(s);
	} else
		r = asprintf(&s, "%s %s", sshkey_type_name(k->type), b64);
	if (r < 0)
		return TA_ERR_NOMEM;
	*ret = s;
	return 0;
}

static int base64_decode(const char *s, size_t len, uint8_t **ret,
			 size_t *ret_len)
{
	_cleanup_free_ uint8_t *out = NULL;
	size_t pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len > 4 * SSHKEY_MAX_BLOB)
		return TA_ERR_FORMAT;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '/' && !(s[i] == '=' && i >= len - 2))
			return TA_ERR_FORMAT;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=') {
		if (s[len - 1] != '=')
			return TA_ERR_FORMAT;
		pad++;
	}
	out = malloc(len / 4 * 3);
	if (!out)
		return TA_ERR_NOMEM;
	n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n < pad)
		return TA_ERR_FORMAT;
	*ret_len = (size_t)n - pad;
	*ret = TAKE_PTR(out);
	return 0;
}

int sshkey_parse_pub_line(const char *line, uint8_t **ret_blob,
			  size_t *ret_blob_len, char **ret_type,
			  char **ret_comment)
{
	_cleanup_free_ char *type = NULL, *comment = NULL;
	_cleanup_free_ uint8_t *blob = NULL;
	const char *p = line, *t, *b;
	size_t tl, bl, blob_len, cl;
	int r;

	while (*p == ' ' || *p == '\t')
		p++;
	t = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	tl = (size_t)(p - t);
	while (*p == ' ' || *p == '\t')
		p++;
	b = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	bl = (size_t)(p - b);
	if (tl == 0 || bl == 0)
		return TA_ERR_FORMAT;
	type = strndup(t, tl);
	if (!type)
		return TA_ERR_NOMEM;
	r = base64_decode(b, bl, &blob, &blob_len);
	if (r < 0)
		return r;
	while (*p == ' ' || *p == '\t')
		p++;
	cl = strcspn(p, "\r\n");
	while (cl > 0 && isspace((unsigned char)p[cl - 1]))
		cl--;
	if (cl > 0) {
		comment = strndup(p, cl);
		if (!comment)
			return TA_ERR_NOMEM;
	}
	*ret_blob = TAKE_PTR(blob);
	*ret_blob_len = blob_len;
	if (ret_type)
		*ret_type = TAKE_PTR(type);
	if (ret_comment)
		*ret_comment = TAKE_PTR(comment);
	return 0;
}

int sshkey_cert_public_key(const uint8_t *blob, size_t len,
			   struct sshkey **ret)
{
	_cleanup_(buf_freep) struct buf *b = NULL;
	_cleanup_(buf_freep) struct buf *plain = NULL;
	_cleanup_free_ char *type = NULL, *curve = NULL;
	const uint8_t *nonce, *q, *e, *n;
	size_t nonce_len, q_len, e_len, n_len, tl;
	int r;

	*ret = NULL;
	b = buf_from(blob, len);
	plain = buf_new(SSHKEY_MAX_BLOB);
	if (!b || !plain)
		return TA_ERR_NOMEM;
	if ((r = buf_get_cstring(b, &type, &tl)) != 0 ||
	    (r = buf_get_string_direct(b, &nonce, &nonce_len)) != 0)
		return r;
	(void)nonce;
	if (tl < 21 || strcmp(type + tl - 21, "-cert-v01@openssh.com") != 0)
		return TA_ERR_KEY_TYPE;
	type[tl - 21] = '\0';
	if (strcmp(type, "ssh-rsa") == 0) {
		if ((r = buf_get_mpint_direct(b, &e, &e_len)) != 0 ||
		    (r = buf_get_mpint_direct(b, &n, &n_len)) != 0)
			return r;
		return sshkey_new_rsa(e, e_len, n, n_len, ret);
	}
	/* Rebuild the plain ECDSA blob and let the blob parser check it. */
	if ((r = buf_get_cstring(b, &curve, NULL)) != 0 ||
	    (r = buf_get_string_direct(b, &q, &q_len)) != 0 ||
	    (r = buf_put_cstring(plain, type)) != 0 ||
	    (r = buf_put_cstring(plain, curve)) != 0 ||
	    (r = buf_put_string(plain, q, q_len)) != 0)
		return r;
	return sshkey_from_blob(buf_ptr(plain), buf_len(plain), ret);
}
