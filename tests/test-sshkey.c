/* SPDX-License-Identifier: MIT */
/* test-sshkey.c - unit tests for keystore/sshkey.c and pubkey.c (blobs,
 * .pub lines, fingerprints, TPM2B_PUBLIC -> SSH key).  No TPM: the keys
 * come from tests/data/, made by tools/mktestdata.sh.
 *
 * Known answers come from outside our code: each X.fp is what
 * `ssh-keygen -l -f X.pub` printed, and the fingerprints of the curve
 * generators and of the RSA-1024 modulus below were computed with
 * ssh-keygen as well. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include "buf.h"
#include "cleanup.h"
#include "err.h"
#include "fixtures.h"
#include "keyfile.h"
#include "pubkey.h"
#include "sshkey.h"
#include "tpm.h"

/* ---------------------------------------------------------------------
 * sshkey: fixtures cross-checked against ssh-keygen -l
 * ------------------------------------------------------------------ */

struct pub_case {
	const char *base;    /* tests/data/<base>.pub and <base>.fp */
	const char *keyfile; /* the TSS2 key holding the same public key */
	enum sshkey_type type;
};

static const struct pub_case pub_cases[] = {
	{ "ecdsa256", "ecdsa256.tpm", SSHKEY_ECDSA_P256 },
	{ "rsa2048", "rsa2048.tpm", SSHKEY_RSA },
	{ "openssl-ec", "openssl-ec.pem", SSHKEY_ECDSA_P256 },
};

/* Criterion runs each parameter in a fresh process image (BoxFort), where
 * pointers into the parent's memory are meaningless: parameters are plain
 * indices into these tables. */
static size_t pub_case_idx[] = { 0, 1, 2 };
#define PUB_CASE_PARAMS                                                        \
	cr_make_param_array(size_t, pub_case_idx, ELEMENTSOF(pub_case_idx))

ParameterizedTestParameters(sshkey_to_blob, fixture_blob_is_reencoded_byte_for_byte)
{
	return PUB_CASE_PARAMS;
}

ParameterizedTest(size_t *i, sshkey_to_blob, fixture_blob_is_reencoded_byte_for_byte)
{
	const struct pub_case *c = &pub_cases[*i];
	_cleanup_free_ uint8_t *blob = NULL;
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_(buf_freep) struct buf *b = NULL;
	size_t blob_len = 0;

	key = read_pub(c->base, &blob, &blob_len, NULL);
	b = blob_of(key);

	cr_assert(eq(int, (int)key->type, (int)c->type), "%s", c->base);
	cr_assert(eq(mem, mem_of(buf_ptr(b), buf_len(b)), mem_of(blob, blob_len)),
		  "%s", c->base);
}

ParameterizedTestParameters(sshkey_format_pub, fixture_line_is_reproduced)
{
	return PUB_CASE_PARAMS;
}

ParameterizedTest(size_t *i, sshkey_format_pub, fixture_line_is_reproduced)
{
	const struct pub_case *c = &pub_cases[*i];
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *comment = NULL, *name = NULL, *line = NULL;
	_cleanup_free_ char *out = NULL;
	int r;

	key = read_pub(c->base, NULL, NULL, &comment);
	cr_assert(asprintf(&name, "%s.pub", c->base) >= 0);
	line = read_fixture(name, NULL);
	line[strcspn(line, "\n")] = '\0';

	r = sshkey_format_pub(key, comment, &out);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(str, out, line));
}

ParameterizedTestParameters(sshkey_fingerprint, equals_ssh_keygen_l)
{
	return PUB_CASE_PARAMS;
}

ParameterizedTest(size_t *i, sshkey_fingerprint, equals_ssh_keygen_l)
{
	const struct pub_case *c = &pub_cases[*i];
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *want = NULL, *fp = NULL;
	unsigned bits;
	int r;

	key = read_pub(c->base, NULL, NULL, NULL);
	read_fp(c->base, &bits, &want);

	r = sshkey_fingerprint(key, &fp);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(str, fp, want), "%s", c->base);
}

ParameterizedTestParameters(sshkey_bits, equals_ssh_keygen_l)
{
	return PUB_CASE_PARAMS;
}

ParameterizedTest(size_t *i, sshkey_bits, equals_ssh_keygen_l)
{
	const struct pub_case *c = &pub_cases[*i];
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *fp = NULL;
	unsigned want;

	key = read_pub(c->base, NULL, NULL, NULL);
	read_fp(c->base, &want, &fp);

	cr_assert(eq(uint, sshkey_bits(key), want), "%s", c->base);
}

ParameterizedTestParameters(tpm_public_to_sshkey, keyfile_key_equals_pub_file)
{
	return PUB_CASE_PARAMS;
}

ParameterizedTest(size_t *i, tpm_public_to_sshkey, keyfile_key_equals_pub_file)
{
	const struct pub_case *c = &pub_cases[*i];
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	_cleanup_(sshkey_freep) struct sshkey *want = NULL, *key = NULL;
	_cleanup_free_ char *fp = NULL, *want_fp = NULL;
	unsigned bits;
	int r;

	kf = read_keyfile(c->keyfile);
	want = read_pub(c->base, NULL, NULL, NULL);
	read_fp(c->base, &bits, &want_fp);

	r = tpm_public_to_sshkey(&kf->pub, &key);

	cr_assert(eq(int, r, 0), "%s: %s", c->keyfile, ta_strerror(r));
	cr_assert(sshkey_equal(key, want), "%s", c->keyfile);
	cr_assert(eq(int, sshkey_fingerprint(key, &fp), 0));
	cr_assert(eq(str, fp, want_fp));
	cr_assert(eq(uint, sshkey_bits(key), bits));
}

/* ---------------------------------------------------------------------
 * sshkey: fixed known answers (fingerprints from ssh-keygen -l)
 * ------------------------------------------------------------------ */

/* The P-256 base point G as an ecdsa-sha2-nistp256 blob. */
static const uint8_t p256_g_blob[] = {
	0x00, 0x00, 0x00, 0x13, 0x65, 0x63, 0x64, 0x73, 0x61, 0x2d, 0x73, 0x68,
	0x61, 0x32, 0x2d, 0x6e, 0x69, 0x73, 0x74, 0x70, 0x32, 0x35, 0x36, 0x00,
	0x00, 0x00, 0x08, 0x6e, 0x69, 0x73, 0x74, 0x70, 0x32, 0x35, 0x36, 0x00,
	0x00, 0x00, 0x41, 0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47,
	0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81,
	0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
	0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a,
	0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce,
	0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};
#define P256_G_FP "SHA256:SFMVDOrhOSBssOVH9hIcK/Z2XVf1oSVMjNCL8u2aICY"
#define P256_G_PUB                                                             \
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAAB" \
	"BBGsX0fLhLEJH+Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT+NC4v4af5uO5+tKfA+eFivOM1" \
	"drMV7Oy7ZAaDe/UfU= generator"

static const uint8_t p384_gx[] = {
	0xaa, 0x87, 0xca, 0x22, 0xbe, 0x8b, 0x05, 0x37, 0x8e, 0xb1, 0xc7, 0x1e,
	0xf3, 0x20, 0xad, 0x74, 0x6e, 0x1d, 0x3b, 0x62, 0x8b, 0xa7, 0x9b, 0x98,
	0x59, 0xf7, 0x41, 0xe0, 0x82, 0x54, 0x2a, 0x38, 0x55, 0x02, 0xf2, 0x5d,
	0xbf, 0x55, 0x29, 0x6c, 0x3a, 0x54, 0x5e, 0x38, 0x72, 0x76, 0x0a, 0xb7,
};
static const uint8_t p384_gy[] = {
	0x36, 0x17, 0xde, 0x4a, 0x96, 0x26, 0x2c, 0x6f, 0x5d, 0x9e, 0x98, 0xbf,
	0x92, 0x92, 0xdc, 0x29, 0xf8, 0xf4, 0x1d, 0xbd, 0x28, 0x9a, 0x14, 0x7c,
	0xe9, 0xda, 0x31, 0x13, 0xb5, 0xf0, 0xb8, 0xc0, 0x0a, 0x60, 0xb1, 0xce,
	0x1d, 0x7e, 0x81, 0x9d, 0x7a, 0x43, 0x1d, 0x7c, 0x90, 0xea, 0x0e, 0x5f,
};
#define P384_G_FP "SHA256:vnUJs0Z9d/fcfX8fr8n5mGCtID9OxLbsrPpLZ0HA7DM"

/* P-521 G: x has a leading zero byte (66-byte field), given here without it. */
static const uint8_t p521_gx_short[] = {
	0xc6, 0x85, 0x8e, 0x06, 0xb7, 0x04, 0x04, 0xe9, 0xcd, 0x9e, 0x3e, 0xcb,
	0x66, 0x23, 0x95, 0xb4, 0x42, 0x9c, 0x64, 0x81, 0x39, 0x05, 0x3f, 0xb5,
	0x21, 0xf8, 0x28, 0xaf, 0x60, 0x6b, 0x4d, 0x3d, 0xba, 0xa1, 0x4b, 0x5e,
	0x77, 0xef, 0xe7, 0x59, 0x28, 0xfe, 0x1d, 0xc1, 0x27, 0xa2, 0xff, 0xa8,
	0xde, 0x33, 0x48, 0xb3, 0xc1, 0x85, 0x6a, 0x42, 0x9b, 0xf9, 0x7e, 0x7e,
	0x31, 0xc2, 0xe5, 0xbd, 0x66,
};
static const uint8_t p521_gy[] = {
	0x01, 0x18, 0x39, 0x29, 0x6a, 0x78, 0x9a, 0x3b, 0xc0, 0x04, 0x5c, 0x8a,
	0x5f, 0xb4, 0x2c, 0x7d, 0x1b, 0xd9, 0x98, 0xf5, 0x44, 0x49, 0x57, 0x9b,
	0x44, 0x68, 0x17, 0xaf, 0xbd, 0x17, 0x27, 0x3e, 0x66, 0x2c, 0x97, 0xee,
	0x72, 0x99, 0x5e, 0xf4, 0x26, 0x40, 0xc5, 0x50, 0xb9, 0x01, 0x3f, 0xad,
	0x07, 0x61, 0x35, 0x3c, 0x70, 0x86, 0xa2, 0x72, 0xc2, 0x40, 0x88, 0xbe,
	0x94, 0x76, 0x9f, 0xd1, 0x66, 0x50,
};
#define P521_G_FP "SHA256:zRVIWrTxGdqqZxpYW8IR7xT1OqCYLxz0tEN3IKizSdo"

/* An RSA-1024 modulus (top bit set, so its mpint needs a 0x00 prefix). */
static const uint8_t rsa1024_n[] = {
	0xc3, 0x5f, 0x54, 0x09, 0x0e, 0x94, 0xad, 0xa2, 0x1f, 0x01, 0xda, 0xef,
	0x5c, 0x39, 0x39, 0xf3, 0x14, 0xa1, 0x06, 0xc9, 0x51, 0xf2, 0xf4, 0x84,
	0x9b, 0xe2, 0xae, 0xf5, 0x10, 0x55, 0x1f, 0x8a, 0xe8, 0xf6, 0x9b, 0xff,
	0x8a, 0xaa, 0x40, 0x2c, 0x03, 0x50, 0x0d, 0xdf, 0xc9, 0x73, 0x33, 0x06,
	0xab, 0xe6, 0x2e, 0x43, 0x86, 0xc3, 0x82, 0xa7, 0x45, 0x54, 0xca, 0x71,
	0xc7, 0x4e, 0x3f, 0x69, 0x17, 0x31, 0xb2, 0x7e, 0xd7, 0xee, 0x34, 0xf8,
	0x9e, 0xe5, 0x38, 0x82, 0x9c, 0xbe, 0x5a, 0x98, 0xb5, 0x27, 0x72, 0xe9,
	0xfd, 0xb1, 0x7a, 0x75, 0x2b, 0x5f, 0x7e, 0xce, 0xc5, 0x96, 0x39, 0x01,
	0x07, 0x74, 0x8c, 0xf3, 0x5f, 0x4b, 0xad, 0x8b, 0x88, 0x79, 0x5d, 0x00,
	0x64, 0x4e, 0xd4, 0x94, 0xea, 0x1a, 0x77, 0x2f, 0x89, 0xc8, 0x07, 0x49,
	0x0f, 0xaa, 0x13, 0x3d, 0x83, 0x05, 0x0d, 0x9b,
};
static const uint8_t rsa_e65537[] = { 0x01, 0x00, 0x01 };
#define RSA1024_FP "SHA256:k2O6H6qbfFyTD0fti0nDSq6epLkKUEXE7kpSlAK3CcQ"

Test(sshkey_new_ecdsa, p256_generator_encodes_to_known_blob)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_(buf_freep) struct buf *b = NULL;
	int r;

	r = sshkey_new_ecdsa(SSHKEY_ECDSA_P256, p256_g_blob + 40, 32,
			     p256_g_blob + 72, 32, &key);

	cr_assert(eq(int, r, 0));
	b = blob_of(key);
	cr_assert(eq(mem, mem_of(buf_ptr(b), buf_len(b)),
		     mem_of(p256_g_blob, sizeof(p256_g_blob))));
}

Test(sshkey_fingerprint, p256_generator_known_answer)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *fp = NULL;
	int r;

	cr_assert(eq(int, sshkey_from_blob(p256_g_blob, sizeof(p256_g_blob), &key), 0));

	r = sshkey_fingerprint(key, &fp);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(str, fp, P256_G_FP));
	cr_assert(eq(uint, sshkey_bits(key), 256));
}

Test(sshkey_format_pub, p256_generator_known_answer)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *line = NULL;
	int r;

	cr_assert(eq(int, sshkey_from_blob(p256_g_blob, sizeof(p256_g_blob), &key), 0));

	r = sshkey_format_pub(key, "generator", &line);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(str, line, P256_G_PUB));
}

Test(sshkey_format_pub, empty_comment_is_left_out)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *line = NULL;
	int r;

	cr_assert(eq(int, sshkey_from_blob(p256_g_blob, sizeof(p256_g_blob), &key), 0));

	r = sshkey_format_pub(key, "", &line);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(sz, strlen(line), strlen(P256_G_PUB) - strlen(" generator")));
	cr_assert(eq(int, strncmp(line, P256_G_PUB, strlen(line)), 0));
}

Test(sshkey_format_pub, comment_with_newline_stays_one_line)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *line = NULL;
	const char *tail;
	int r;

	cr_assert(eq(int, sshkey_from_blob(p256_g_blob, sizeof(p256_g_blob), &key), 0));

	/* A key file's description planting a known_hosts line. */
	r = sshkey_format_pub(key, "x\n@cert-authority * ssh-ed25519 AAAA\r\x1b[2J", &line);

	cr_assert(eq(int, r, 0));
	cr_assert_null(strchr(line, '\n'));
	tail = strchr(strchr(line, ' ') + 1, ' ') + 1;
	cr_assert(eq(str, (char *)tail, "x?@cert-authority * ssh-ed25519 AAAA??[2J"));
}

Test(sshkey_fingerprint, p384_generator_known_answer)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *fp = NULL;
	int r;

	cr_assert(eq(int, sshkey_new_ecdsa(SSHKEY_ECDSA_P384, p384_gx, sizeof(p384_gx),
					   p384_gy, sizeof(p384_gy), &key), 0));

	r = sshkey_fingerprint(key, &fp);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(str, fp, P384_G_FP));
	cr_assert(eq(uint, sshkey_bits(key), 384));
}

Test(sshkey_new_ecdsa, p521_short_coordinate_is_left_padded)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *fp = NULL;
	int r;

	r = sshkey_new_ecdsa(SSHKEY_ECDSA_P521, p521_gx_short,
			     sizeof(p521_gx_short), p521_gy, sizeof(p521_gy),
			     &key);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(sz, key->q_len, 1 + 2 * 66));
	cr_assert(eq(u8, key->q[0], 0x04));
	cr_assert(eq(u8, key->q[1], 0x00));
	cr_assert(eq(mem, mem_of(key->q + 2, 65), mem_of(p521_gx_short, 65)));
	cr_assert(eq(int, sshkey_fingerprint(key, &fp), 0));
	cr_assert(eq(str, fp, P521_G_FP));
	cr_assert(eq(uint, sshkey_bits(key), 521));
}

Test(sshkey_new_ecdsa, oversized_coordinate_is_refused)
{
	struct sshkey *key = NULL;
	int r;

	/* 48 bytes with a non-zero top byte cannot be a P-256 coordinate. */
	r = sshkey_new_ecdsa(SSHKEY_ECDSA_P256, p384_gx, sizeof(p384_gx),
			     p384_gy, 32, &key);

	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(zero(ptr, key));
}

Test(sshkey_fingerprint, rsa1024_known_answer)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_(buf_freep) struct buf *b = NULL;
	_cleanup_free_ char *fp = NULL;
	/* "ssh-rsa", mpint e = 0x010001, mpint n = 0x00 || n (129 bytes). */
	static const uint8_t head[] = {
		0x00, 0x00, 0x00, 0x07, 's', 's', 'h', '-', 'r', 's', 'a',
		0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x81, 0x00,
	};
	int r;

	cr_assert(eq(int, sshkey_new_rsa(rsa_e65537, sizeof(rsa_e65537), rsa1024_n,
					 sizeof(rsa1024_n), &key), 0));

	r = sshkey_fingerprint(key, &fp);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(str, fp, RSA1024_FP));
	cr_assert(eq(uint, sshkey_bits(key), 1024));
	b = blob_of(key);
	cr_assert(eq(sz, buf_len(b), sizeof(head) + sizeof(rsa1024_n)));
	cr_assert(eq(mem, mem_of(buf_ptr(b), sizeof(head)), mem_of(head, sizeof(head))));
}

Test(sshkey_new_rsa, leading_zeros_are_stripped)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *fp = NULL;
	uint8_t n[2 + sizeof(rsa1024_n)] = { 0x00, 0x00 };
	static const uint8_t e[] = { 0x00, 0x00, 0x01, 0x00, 0x01 };
	int r;

	memcpy(n + 2, rsa1024_n, sizeof(rsa1024_n));

	r = sshkey_new_rsa(e, sizeof(e), n, sizeof(n), &key);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(sz, key->n_len, sizeof(rsa1024_n)));
	cr_assert(eq(sz, key->e_len, 3));
	cr_assert(eq(int, sshkey_fingerprint(key, &fp), 0));
	cr_assert(eq(str, fp, RSA1024_FP));
}

/* ---------------------------------------------------------------------
 * sshkey_from_blob: malformed blobs
 * ------------------------------------------------------------------ */

Test(sshkey_from_blob, truncated_blob_is_refused)
{
	struct sshkey *key = NULL;
	int r;

	r = sshkey_from_blob(p256_g_blob, sizeof(p256_g_blob) - 1, &key);

	cr_assert(eq(int, r, TA_ERR_INCOMPLETE));
	cr_assert(zero(ptr, key));
}

Test(sshkey_from_blob, every_truncation_is_refused)
{
	for (size_t len = 0; len < sizeof(p256_g_blob); len++) {
		struct sshkey *key = NULL;
		int r = sshkey_from_blob(p256_g_blob, len, &key);

		cr_assert(lt(int, r, 0), "length %zu accepted", len);
		cr_assert(zero(ptr, key), "length %zu", len);
	}
}

Test(sshkey_from_blob, trailing_byte_is_refused)
{
	uint8_t blob[sizeof(p256_g_blob) + 1];
	struct sshkey *key = NULL;
	int r;

	memcpy(blob, p256_g_blob, sizeof(p256_g_blob));
	blob[sizeof(p256_g_blob)] = 0x00;

	r = sshkey_from_blob(blob, sizeof(blob), &key);

	cr_assert(eq(int, r, TA_ERR_TRAILING));
	cr_assert(zero(ptr, key));
}

Test(sshkey_from_blob, wrong_curve_name_is_refused)
{
	uint8_t blob[sizeof(p256_g_blob)];
	struct sshkey *key = NULL;
	int r;

	memcpy(blob, p256_g_blob, sizeof(blob));
	memcpy(blob + 27 + 5, "384", 3); /* "nistp256" -> "nistp384" */

	r = sshkey_from_blob(blob, sizeof(blob), &key);

	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(zero(ptr, key));
}

Test(sshkey_from_blob, point_without_04_prefix_is_refused)
{
	/* Same key, but the string holds X||Y (64 bytes) with no 0x04. */
	uint8_t blob[sizeof(p256_g_blob) - 1];
	struct sshkey *key = NULL;
	int r;

	memcpy(blob, p256_g_blob, 38);
	blob[38] = 0x40;
	memcpy(blob + 39, p256_g_blob + 40, 64);

	r = sshkey_from_blob(blob, sizeof(blob), &key);

	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(zero(ptr, key));
}

Test(sshkey_from_blob, compressed_point_is_refused)
{
	/* 0x02 || X: a compressed point (33 bytes). */
	uint8_t blob[39 + 33];
	struct sshkey *key = NULL;
	int r;

	memcpy(blob, p256_g_blob, 39);
	blob[38] = 0x21;
	blob[39] = 0x02;
	memcpy(blob + 40, p256_g_blob + 40, 32);

	r = sshkey_from_blob(blob, sizeof(blob), &key);

	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(zero(ptr, key));
}

Test(sshkey_from_blob, point_with_wrong_prefix_is_refused)
{
	uint8_t blob[sizeof(p256_g_blob)];
	struct sshkey *key = NULL;
	int r;

	memcpy(blob, p256_g_blob, sizeof(blob));
	blob[39] = 0x06; /* hybrid form */

	r = sshkey_from_blob(blob, sizeof(blob), &key);

	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(zero(ptr, key));
}

Test(sshkey_from_blob, unknown_key_type_is_refused)
{
	static const uint8_t blob[] = {
		0x00, 0x00, 0x00, 0x0b, 's', 's', 'h', '-', 'e', 'd', '2', '5',
		'5', '1', '9', 0x00, 0x00, 0x00, 0x20, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
		0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
	};
	struct sshkey *key = NULL;
	int r;

	r = sshkey_from_blob(blob, sizeof(blob), &key);

	cr_assert(eq(int, r, TA_ERR_KEY_TYPE));
	cr_assert(zero(ptr, key));
}

Test(sshkey_from_blob, type_name_with_nul_is_refused)
{
	static const uint8_t blob[] = {
		0x00, 0x00, 0x00, 0x08, 's', 's', 'h', '-', 'r', 's', 'a', 0x00,
		0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x05,
	};
	struct sshkey *key = NULL;
	int r;

	r = sshkey_from_blob(blob, sizeof(blob), &key);

	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(zero(ptr, key));
}

Test(sshkey_from_blob, rsa_negative_exponent_is_refused)
{
	static const uint8_t blob[] = {
		0x00, 0x00, 0x00, 0x07, 's', 's', 'h', '-', 'r', 's', 'a',
		0x00, 0x00, 0x00, 0x01, 0x81,       /* e = -127 */
		0x00, 0x00, 0x00, 0x02, 0x00, 0xc3, /* n */
	};
	struct sshkey *key = NULL;
	int r;

	r = sshkey_from_blob(blob, sizeof(blob), &key);

	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(zero(ptr, key));
}

Test(sshkey_from_blob, rsa_non_minimal_mpint_is_refused)
{
	static const uint8_t blob[] = {
		0x00, 0x00, 0x00, 0x07, 's', 's', 'h', '-', 'r', 's', 'a',
		0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x01, /* 00 01 00 01 */
		0x00, 0x00, 0x00, 0x02, 0x00, 0xc3,
	};
	struct sshkey *key = NULL;
	int r;

	r = sshkey_from_blob(blob, sizeof(blob), &key);

	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(zero(ptr, key));
}

Test(sshkey_from_blob, rsa_zero_modulus_is_refused)
{
	static const uint8_t blob[] = {
		0x00, 0x00, 0x00, 0x07, 's', 's', 'h', '-', 'r', 's', 'a',
		0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x00, /* n = 0 */
	};
	struct sshkey *key = NULL;
	int r;

	r = sshkey_from_blob(blob, sizeof(blob), &key);

	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(zero(ptr, key));
}

Test(sshkey_from_blob, oversized_blob_is_refused)
{
	_cleanup_free_ uint8_t *blob = calloc(1, SSHKEY_MAX_BLOB + 1);
	struct sshkey *key = NULL;
	int r;

	cr_assert(not(zero(ptr, blob)));
	memcpy(blob, p256_g_blob, sizeof(p256_g_blob));

	r = sshkey_from_blob(blob, SSHKEY_MAX_BLOB + 1, &key);

	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	cr_assert(zero(ptr, key));
}

/* Accepting a flipped blob is fine only if the key re-encodes to exactly
 * those bytes: the blob encoding is canonical. */
static void flip_every_bit_of_blob(const uint8_t *blob, size_t len)
{
	_cleanup_free_ uint8_t *m = malloc(len);

	cr_assert(not(zero(ptr, m)));
	for (size_t i = 0; i < len * 8; i++) {
		_cleanup_(sshkey_freep) struct sshkey *key = NULL;
		_cleanup_(buf_freep) struct buf *b = NULL;
		int r;

		memcpy(m, blob, len);
		m[i / 8] ^= (uint8_t)(1U << (i % 8));
		r = sshkey_from_blob(m, len, &key);
		if (r < 0) {
			cr_assert(zero(ptr, key), "bit %zu", i);
			continue;
		}
		cr_assert(eq(int, r, 0), "bit %zu", i);
		b = blob_of(key);
		cr_assert(eq(mem, mem_of(buf_ptr(b), buf_len(b)), mem_of(m, len)),
			  "bit %zu: accepted blob does not re-encode", i);
	}
}

Test(sshkey_from_blob, every_bit_flip_of_ecdsa_blob_is_refused_or_canonical)
{
	flip_every_bit_of_blob(p256_g_blob, sizeof(p256_g_blob));
}

Test(sshkey_from_blob, every_bit_flip_of_rsa_blob_is_refused_or_canonical)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_(buf_freep) struct buf *b = NULL;

	cr_assert(eq(int, sshkey_new_rsa(rsa_e65537, sizeof(rsa_e65537), rsa1024_n,
					 sizeof(rsa1024_n), &key), 0));
	b = blob_of(key);
	flip_every_bit_of_blob(buf_ptr(b), buf_len(b));
	for (size_t len = 0; len < buf_len(b); len++) {
		_cleanup_(sshkey_freep) struct sshkey *k2 = NULL;

		cr_assert(lt(int, sshkey_from_blob(buf_ptr(b), len, &k2), 0),
			  "length %zu accepted", len);
	}
}

/* ---------------------------------------------------------------------
 * sshkey_parse_pub_line
 * ------------------------------------------------------------------ */

Test(sshkey_parse_pub_line, type_blob_and_comment_are_split)
{
	_cleanup_free_ uint8_t *blob = NULL;
	_cleanup_free_ char *type = NULL, *comment = NULL;
	size_t len = 0;
	int r;

	r = sshkey_parse_pub_line("  " P256_G_PUB " key\r\n", &blob, &len,
				  &type, &comment);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(str, type, "ecdsa-sha2-nistp256"));
	cr_assert(eq(str, comment, "generator key"));
	cr_assert(eq(mem, mem_of(blob, len), mem_of(p256_g_blob, sizeof(p256_g_blob))));
}

Test(sshkey_parse_pub_line, line_without_comment_has_null_comment)
{
	_cleanup_free_ uint8_t *blob = NULL;
	_cleanup_free_ char *type = NULL, *comment = NULL;
	size_t len = 0;
	int r;

	r = sshkey_parse_pub_line("ssh-rsa AAAAB3NzaC1yc2E=\n", &blob, &len,
				  &type, &comment);

	cr_assert(eq(int, r, 0));
	cr_assert(zero(ptr, comment));
	cr_assert(eq(mem, mem_of(blob, len), mem_of("\0\0\0\7ssh-rsa", 11)));
}

Test(sshkey_parse_pub_line, bad_base64_is_refused)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	int r;

	r = sshkey_parse_pub_line("ssh-rsa AAAA*AAA comment", &blob, &len,
				  NULL, NULL);

	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(zero(ptr, blob));
}

Test(sshkey_parse_pub_line, base64_of_wrong_length_is_refused)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	int r;

	r = sshkey_parse_pub_line("ssh-rsa AAAAB3NzaC1yc2E comment", &blob,
				  &len, NULL, NULL);

	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(zero(ptr, blob));
}

Test(sshkey_parse_pub_line, padding_before_the_last_character_is_refused)
{
	/* "AA=A" is not base64: '=' may only be followed by '='. */
	uint8_t *blob = NULL;
	size_t len = 0;
	int r;

	r = sshkey_parse_pub_line("ssh-rsa AAAAB3NzaC1yc2EAAA=A comment", &blob,
				  &len, NULL, NULL);

	free(blob); /* before asserting, so a failure leaks nothing */
	cr_assert(eq(int, r, TA_ERR_FORMAT), "decoded %zu bytes", len);
}

Test(sshkey_parse_pub_line, missing_blob_is_refused)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	int r;

	r = sshkey_parse_pub_line("ssh-rsa\n", &blob, &len, NULL, NULL);

	cr_assert(eq(int, r, TA_ERR_FORMAT));
	cr_assert(zero(ptr, blob));
}
