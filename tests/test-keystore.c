/* test-keystore.c - unit tests for keystore/sshkey.c (blobs, .pub lines,
 * fingerprints) and keystore/keyfile.c (TSS2 PRIVATE KEY reader/writer).
 * No TPM: the keys come from tests/data/, made by tools/mktestdata.sh.
 *
 * Known answers come from outside our code: each X.fp is what
 * `ssh-keygen -l -f X.pub` printed, and the fingerprints of the curve
 * generators and of the RSA-1024 modulus below were computed with
 * ssh-keygen as well.
 *
 * The fixture directory is $TEST_DATA_DIR (meson sets it), else
 * TEST_DATA_DIR_DEFAULT if defined at compile time, else the "data"
 * directory next to this source file. */
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
#include "keyfile.h"
#include "sshkey.h"
#include "tpm.h"

/* ---------------------------------------------------------------------
 * Fixture access
 * ------------------------------------------------------------------ */

static const char *data_dir(void)
{
	static char dir[4096];
	const char *env = getenv("TEST_DATA_DIR");
	const char *file = __FILE__;
	const char *slash;

	if (env && *env)
		return env;
#ifdef TEST_DATA_DIR_DEFAULT
	(void)file;
	(void)slash;
	snprintf(dir, sizeof(dir), "%s", TEST_DATA_DIR_DEFAULT);
#else
	slash = strrchr(file, '/');
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s/data", (int)(slash - file), file);
	else
		snprintf(dir, sizeof(dir), "data");
#endif
	return dir;
}

/* Path of a fixture; aborts the test with a clear message if it is absent. */
static char *fixture_path(const char *name)
{
	char *p = NULL;

	cr_assert(asprintf(&p, "%s/%s", data_dir(), name) >= 0);
	if (access(p, R_OK) != 0)
		cr_fatal("fixture %s: %s (set TEST_DATA_DIR to tests/data, or "
			 "regenerate with tools/mktestdata.sh)",
			 p, strerror(errno));
	return p;
}

/* Whole fixture file, NUL-terminated (the NUL is not counted). */
static char *read_fixture(const char *name, size_t *ret_len)
{
	_cleanup_free_ char *path = fixture_path(name);
	char *data = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f = fopen(path, "rb");

	if (!f)
		cr_fatal("fixture %s: %s", path, strerror(errno));
	do {
		if (cap - len < 4096) {
			cap += 65536;
			data = realloc(data, cap + 1);
			cr_assert(not(zero(ptr, data)));
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	cr_assert(eq(int, ferror(f), 0), "reading %s", path);
	fclose(f);
	data[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return data;
}

static struct tpm_keyfile *read_keyfile(const char *name)
{
	_cleanup_free_ char *path = fixture_path(name);
	struct tpm_keyfile *k = NULL;
	int r;

	r = keyfile_read(path, &k);
	cr_assert(eq(int, r, 0), "%s: %s", name, ta_strerror(r));
	cr_assert(not(zero(ptr, k)));
	return k;
}

/* The SSH key in <base>.pub, plus its raw blob and its comment. */
static struct sshkey *read_pub(const char *base, uint8_t **ret_blob,
			       size_t *ret_blob_len, char **ret_comment)
{
	_cleanup_free_ char *name = NULL, *line = NULL, *type = NULL;
	_cleanup_free_ uint8_t *blob = NULL;
	_cleanup_free_ char *comment = NULL;
	struct sshkey *key = NULL;
	size_t blob_len = 0;
	int r;

	cr_assert(asprintf(&name, "%s.pub", base) >= 0);
	line = read_fixture(name, NULL);
	r = sshkey_parse_pub_line(line, &blob, &blob_len, &type, &comment);
	cr_assert(eq(int, r, 0), "%s: %s", name, ta_strerror(r));
	r = sshkey_from_blob(blob, blob_len, &key);
	cr_assert(eq(int, r, 0), "%s: %s", name, ta_strerror(r));
	cr_assert(eq(str, type, (char *)sshkey_type_name(key->type)));
	if (ret_blob)
		*ret_blob = TAKE_PTR(blob);
	if (ret_blob_len)
		*ret_blob_len = blob_len;
	if (ret_comment)
		*ret_comment = TAKE_PTR(comment);
	return key;
}

/* <base>.fp is "<bits> SHA256:<b64> <comment> (<TYPE>)". */
static void read_fp(const char *base, unsigned *ret_bits, char **ret_fp)
{
	_cleanup_free_ char *name = NULL, *text = NULL;
	char fp[128] = "";
	unsigned bits = 0;

	cr_assert(asprintf(&name, "%s.fp", base) >= 0);
	text = read_fixture(name, NULL);
	cr_assert(eq(int, sscanf(text, "%u %127s", &bits, fp), 2),
		  "%s: not ssh-keygen -l output: %s", name, text);
	cr_assert(eq(int, strncmp(fp, "SHA256:", 7), 0), "%s: %s", name, fp);
	*ret_bits = bits;
	*ret_fp = strdup(fp);
	cr_assert(not(zero(ptr, *ret_fp)));
}

static struct cr_mem mem_of(const void *p, size_t len)
{
	return (struct cr_mem){ .data = p, .size = len };
}

static struct buf *blob_of(const struct sshkey *k)
{
	struct buf *b = buf_new(SSHKEY_MAX_BLOB);
	int r;

	cr_assert(not(zero(ptr, b)));
	r = sshkey_to_blob(k, b);
	cr_assert(eq(int, r, 0), "%s", ta_strerror(r));
	return b;
}

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

/* ---------------------------------------------------------------------
 * keyfile: fixtures
 * ------------------------------------------------------------------ */

static struct cr_mem marshal_pub(const TPM2B_PUBLIC *p, uint8_t *out, size_t cap)
{
	size_t off = 0;

	cr_assert(eq(u32, Tss2_MU_TPM2B_PUBLIC_Marshal(p, out, cap, &off), 0));
	return mem_of(out, off);
}

static struct cr_mem marshal_priv(const TPM2B_PRIVATE *p, uint8_t *out, size_t cap)
{
	size_t off = 0;

	cr_assert(eq(u32, Tss2_MU_TPM2B_PRIVATE_Marshal(p, out, cap, &off), 0));
	return mem_of(out, off);
}

static void assert_same_keyfile(const struct tpm_keyfile *a,
				const struct tpm_keyfile *b, const char *what)
{
	uint8_t pa[sizeof(TPM2B_PUBLIC)], pb[sizeof(TPM2B_PUBLIC)];
	uint8_t sa[sizeof(TPM2B_PRIVATE)], sb[sizeof(TPM2B_PRIVATE)];

	cr_assert(eq(int, a->empty_auth, b->empty_auth), "%s", what);
	cr_assert(eq(int, a->rsa_parent, b->rsa_parent), "%s", what);
	cr_assert(eq(u32, a->parent, b->parent), "%s", what);
	if (a->description || b->description) {
		cr_assert(a->description && b->description, "%s", what);
		cr_assert(eq(str, a->description, b->description), "%s", what);
	}
	cr_assert(eq(mem, marshal_pub(&a->pub, pa, sizeof(pa)),
		     marshal_pub(&b->pub, pb, sizeof(pb))), "%s", what);
	cr_assert(eq(mem, marshal_priv(&a->priv, sa, sizeof(sa)),
		     marshal_priv(&b->priv, sb, sizeof(sb))), "%s", what);
}

Test(keyfile_read, own_ecdsa_key_has_expected_fields)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;

	k = read_keyfile("ecdsa256.tpm");

	cr_assert(k->empty_auth);
	cr_assert(not(k->rsa_parent));
	cr_assert(eq(u32, k->parent, TA_RH_OWNER));
	cr_assert(zero(ptr, k->description));
	cr_assert(eq(u16, k->pub.publicArea.type, TPM2_ALG_ECC));
	cr_assert(eq(u16, k->pub.publicArea.parameters.eccDetail.curveID,
		     TPM2_ECC_NIST_P256));
	cr_assert(gt(u16, k->priv.size, 0));
}

Test(keyfile_read, own_rsa_key_has_expected_fields)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;

	k = read_keyfile("rsa2048.tpm");

	cr_assert(k->empty_auth);
	cr_assert(eq(u32, k->parent, TA_RH_OWNER));
	cr_assert(eq(u16, k->pub.publicArea.type, TPM2_ALG_RSA));
	cr_assert(eq(u16, k->pub.publicArea.parameters.rsaDetail.keyBits, 2048));
	cr_assert(eq(u16, k->pub.publicArea.unique.rsa.size, 256));
}

Test(keyfile_read, openssl_ber_boolean_one_means_empty_auth)
{
	/* tpm2-openssl writes emptyAuth as BOOLEAN 0x01 (BER, not DER). */
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;

	k = read_keyfile("openssl-ec.pem");

	cr_assert(k->empty_auth);
	cr_assert(eq(u32, k->parent, TA_RH_OWNER));
	cr_assert(zero(ptr, k->description));
}

Test(keyfile_read, description_is_read)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	_cleanup_free_ char *want = NULL;

	want = read_fixture("with-description.txt", NULL);

	k = read_keyfile("with-description.tpm");

	cr_assert(not(zero(ptr, k->description)));
	cr_assert(eq(str, k->description, want));
	cr_assert(k->empty_auth);
	cr_assert(eq(u32, k->parent, TA_RH_OWNER));
}

Test(keyfile_read, description_key_holds_the_ecdsa256_key)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	_cleanup_(sshkey_freep) struct sshkey *key = NULL, *want = NULL;

	k = read_keyfile("with-description.tpm");
	want = read_pub("ecdsa256", NULL, NULL, NULL);

	cr_assert(eq(int, tpm_public_to_sshkey(&k->pub, &key), 0));
	cr_assert(sshkey_equal(key, want));
}

Test(keyfile_read, parent_zero_is_read_as_owner)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;

	k = read_keyfile("parent-zero.tpm");

	cr_assert(eq(u32, k->parent, 0x40000001));
}

Test(keyfile_read, missing_file_is_a_system_error)
{
	_cleanup_free_ char *path = NULL;
	struct tpm_keyfile *k = NULL;
	int r;

	cr_assert(asprintf(&path, "%s/does-not-exist.tpm", data_dir()) >= 0);

	r = keyfile_read(path, &k);

	cr_assert(eq(int, r, TA_ERR_SYSTEM));
	cr_assert(eq(int, errno, ENOENT));
	cr_assert(zero(ptr, k));
}

Test(keyfile_read, directory_is_refused)
{
	struct tpm_keyfile *k = NULL;
	int r;

	r = keyfile_read(data_dir(), &k);

	cr_assert(eq(int, r, TA_ERR_SYSTEM));
	cr_assert(eq(int, errno, EISDIR));
	cr_assert(zero(ptr, k));
}

static const char *const loadable_fixtures[] = {
	"ecdsa256.tpm", "rsa2048.tpm", "openssl-ec.pem",
	"with-description.tpm", "parent-zero.tpm",
};
static size_t loadable_idx[] = { 0, 1, 2, 3, 4 };

ParameterizedTestParameters(keyfile_to_pem, round_trip_keeps_every_field)
{
	return cr_make_param_array(size_t, loadable_idx, ELEMENTSOF(loadable_idx));
}

ParameterizedTest(size_t *i, keyfile_to_pem, round_trip_keeps_every_field)
{
	const char *const *name = &loadable_fixtures[*i];
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL, *back = NULL;
	_cleanup_free_ char *pem = NULL;
	size_t len = 0;
	int r;

	k = read_keyfile(*name);

	r = keyfile_to_pem(k, true, &pem, &len);

	cr_assert(eq(int, r, 0), "%s: %s", *name, ta_strerror(r));
	cr_assert(eq(sz, strlen(pem), len));
	cr_assert(eq(int, strncmp(pem, "-----BEGIN TSS2 PRIVATE KEY-----\n", 33), 0));
	r = keyfile_parse(pem, len, &back);
	cr_assert(eq(int, r, 0), "%s: %s", *name, ta_strerror(r));
	assert_same_keyfile(k, back, *name);
}

Test(keyfile_to_pem, own_ecdsa_key_is_reproduced_byte_for_byte)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	_cleanup_free_ char *want = NULL, *pem = NULL;
	size_t want_len = 0, len = 0;
	int r;

	want = read_fixture("ecdsa256.tpm", &want_len);
	k = read_keyfile("ecdsa256.tpm");

	r = keyfile_to_pem(k, false, &pem, &len);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(str, pem, want));
}

Test(keyfile_to_pem, own_rsa_key_is_reproduced_byte_for_byte)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	_cleanup_free_ char *want = NULL, *pem = NULL;
	size_t len = 0;
	int r;

	want = read_fixture("rsa2048.tpm", NULL);
	k = read_keyfile("rsa2048.tpm");

	r = keyfile_to_pem(k, false, &pem, &len);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(str, pem, want));
}

Test(keyfile_to_pem, description_is_written_as_go_agent_does)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	_cleanup_free_ char *want = NULL, *pem = NULL;
	size_t len = 0;
	int r;

	want = read_fixture("with-description.tpm", NULL);
	k = read_keyfile("with-description.tpm");

	r = keyfile_to_pem(k, true, &pem, &len);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(str, pem, want));
}

Test(keyfile_to_pem, description_is_left_out_by_default)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL, *back = NULL;
	_cleanup_free_ char *pem = NULL;
	size_t len = 0;
	int r;

	k = read_keyfile("with-description.tpm");

	r = keyfile_to_pem(k, false, &pem, &len);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(int, keyfile_parse(pem, len, &back), 0));
	cr_assert(zero(ptr, back->description));
	cr_assert(eq(u32, back->parent, k->parent));
}

Test(keyfile_to_pem, invalid_parent_is_refused)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	char *pem = NULL;
	size_t len = 0;
	int r;

	k = read_keyfile("ecdsa256.tpm");
	k->parent = 0x12345678;

	r = keyfile_to_pem(k, false, &pem, &len);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PARENT));
	cr_assert(zero(ptr, pem));
}

/* ---------------------------------------------------------------------
 * keyfile_parse: bad fixtures
 * ------------------------------------------------------------------ */

static int parse_fixture(const char *name, struct tpm_keyfile **ret)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;

	data = read_fixture(name, &len);
	return keyfile_parse(data, len, ret);
}

Test(keyfile_parse, garbage_is_refused)
{
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_fixture("garbage.tpm", &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PEM));
	cr_assert(zero(ptr, k));
	cr_assert(eq(ulong, ERR_peek_error(), 0));
}

Test(keyfile_parse, wrong_pem_label_is_refused)
{
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_fixture("wrong-label.pem", &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_LABEL));
	cr_assert(zero(ptr, k));
	cr_assert(eq(ulong, ERR_peek_error(), 0));
}

Test(keyfile_parse, truncated_der_is_refused)
{
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_fixture("truncated.tpm", &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_DER));
	cr_assert(zero(ptr, k));
	cr_assert(eq(ulong, ERR_peek_error(), 0));
}

Test(keyfile_parse, cut_base64_is_refused)
{
	/* The PEM text itself cut mid-line, with no END line. */
	_cleanup_free_ char *data = NULL;
	struct tpm_keyfile *k = NULL;
	size_t len = 0;
	int r;

	data = read_fixture("ecdsa256.tpm", &len);

	r = keyfile_parse(data, len / 2, &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PEM));
	cr_assert(zero(ptr, k));
	cr_assert(eq(ulong, ERR_peek_error(), 0));
}

/* Found by tests/fuzz/fuzz-keyfile: a TPM2B_PUBLIC whose size field is
 * smaller than the TPMT_PUBLIC after it (tss2-mu does not check). */
Test(keyfile_parse, public_size_field_mismatch_is_refused)
{
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_fixture("pub-size-mismatch.tpm", &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PUBLIC));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, wrong_oid_is_refused)
{
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_fixture("wrong-oid.tpm", &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_OID));
	cr_assert(zero(ptr, k));
	cr_assert(eq(ulong, ERR_peek_error(), 0));
}

Test(keyfile_parse, policy_key_is_refused)
{
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_fixture("with-policy.tpm", &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_POLICY));
	cr_assert(zero(ptr, k));
	cr_assert(eq(ulong, ERR_peek_error(), 0));
}

Test(keyfile_parse, importable_key_is_refused)
{
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_fixture("importable.tpm", &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_IMPORTABLE));
	cr_assert(zero(ptr, k));
	cr_assert(eq(ulong, ERR_peek_error(), 0));
}

Test(keyfile_parse, empty_input_is_refused)
{
	struct tpm_keyfile *k = NULL;
	int r;

	r = keyfile_parse("", 0, &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PEM));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, oversized_input_is_refused)
{
	_cleanup_free_ char *data = malloc(KEYFILE_MAX_SIZE + 1);
	struct tpm_keyfile *k = NULL;
	int r;

	cr_assert(not(zero(ptr, data)));
	memset(data, 'A', KEYFILE_MAX_SIZE + 1);

	r = keyfile_parse(data, KEYFILE_MAX_SIZE + 1, &k);

	cr_assert(eq(int, r, TA_ERR_TOO_LARGE));
	cr_assert(zero(ptr, k));
}

Test(ta_strerror, keyfile_errors_have_distinct_messages)
{
	static const int codes[] = {
		TA_ERR_KEYFILE_PEM, TA_ERR_KEYFILE_LABEL, TA_ERR_KEYFILE_DER,
		TA_ERR_KEYFILE_OID, TA_ERR_KEYFILE_POLICY,
		TA_ERR_KEYFILE_IMPORTABLE, TA_ERR_KEYFILE_SEALED,
		TA_ERR_KEYFILE_AUTHPOLICY, TA_ERR_KEYFILE_SECRET,
		TA_ERR_KEYFILE_PARENT, TA_ERR_KEYFILE_PUBLIC,
		TA_ERR_KEYFILE_PRIVATE, TA_ERR_TRAILING, TA_ERR_TOO_LARGE,
	};
	char *msg[ELEMENTSOF(codes)];

	for (size_t i = 0; i < ELEMENTSOF(codes); i++) {
		const char *m = ta_strerror(codes[i]);

		cr_assert(not(zero(ptr, (void *)m)), "code %d", codes[i]);
		cr_assert(gt(sz, strlen(m), 0), "code %d", codes[i]);
		msg[i] = strdup(m);
		cr_assert(not(zero(ptr, msg[i])));
	}
	for (size_t i = 0; i < ELEMENTSOF(codes); i++)
		for (size_t j = i + 1; j < ELEMENTSOF(codes); j++)
			cr_assert(ne(str, msg[i], msg[j]), "codes %d and %d",
				  codes[i], codes[j]);
	for (size_t i = 0; i < ELEMENTSOF(codes); i++)
		free(msg[i]);
}

/* ---------------------------------------------------------------------
 * keyfile_parse: hand-built DER (one field changed at a time)
 * ------------------------------------------------------------------ */

struct der {
	uint8_t b[8192];
	size_t n;
};

static void der_put(struct der *d, const void *p, size_t len)
{
	cr_assert(le(sz, len, sizeof(d->b) - d->n));
	if (len)
		memcpy(d->b + d->n, p, len);
	d->n += len;
}

static void der_put_tlv(struct der *d, uint8_t tag, const void *p, size_t len)
{
	uint8_t h[4];
	size_t hl = 0;

	h[hl++] = tag;
	if (len < 0x80) {
		h[hl++] = (uint8_t)len;
	} else if (len < 0x100) {
		h[hl++] = 0x81;
		h[hl++] = (uint8_t)len;
	} else {
		cr_assert(lt(sz, len, 0x10000));
		h[hl++] = 0x82;
		h[hl++] = (uint8_t)(len >> 8);
		h[hl++] = (uint8_t)len;
	}
	der_put(d, h, hl);
	der_put(d, p, len);
}

/* The TPMKey fields, each given as complete TLVs except the two blobs. */
struct tpmkey_parts {
	const uint8_t *oid;
	size_t oid_len;
	const uint8_t *opt; /* [0]..[5], already in order */
	size_t opt_len;
	const uint8_t *parent;
	size_t parent_len;
	const uint8_t *pub; /* OCTET STRING contents (NULL: from ecdsa256) */
	size_t pub_len;
	const uint8_t *priv;
	size_t priv_len;
};

static const uint8_t oid_loadable[] = { 0x06, 0x06, 0x67, 0x81, 0x05, 0x0a, 0x01, 0x03 };
static const uint8_t oid_loadable_old[] = { 0x06, 0x05, 0x67, 0x81, 0x05, 0x0a, 0x02 };
static const uint8_t oid_sealed[] = { 0x06, 0x06, 0x67, 0x81, 0x05, 0x0a, 0x01, 0x05 };
static const uint8_t opt_empty_auth[] = { 0xa0, 0x03, 0x01, 0x01, 0xff };
static const uint8_t parent_owner[] = { 0x02, 0x04, 0x40, 0x00, 0x00, 0x01 };

static uint8_t ec_pub[sizeof(TPM2B_PUBLIC)], ec_priv[sizeof(TPM2B_PRIVATE)];
static size_t ec_pub_len, ec_priv_len;

static void build_tpmkey(const struct tpmkey_parts *p, struct der *out)
{
	struct der inner = { .n = 0 };

	if (!p->pub || !p->priv) {
		_cleanup_(keyfile_freep) struct tpm_keyfile *k = read_keyfile("ecdsa256.tpm");
		struct cr_mem m;

		m = marshal_pub(&k->pub, ec_pub, sizeof(ec_pub));
		ec_pub_len = m.size;
		m = marshal_priv(&k->priv, ec_priv, sizeof(ec_priv));
		ec_priv_len = m.size;
	}
	der_put(&inner, p->oid ? p->oid : oid_loadable,
		p->oid ? p->oid_len : sizeof(oid_loadable));
	der_put(&inner, p->opt, p->opt_len);
	der_put(&inner, p->parent ? p->parent : parent_owner,
		p->parent ? p->parent_len : sizeof(parent_owner));
	der_put_tlv(&inner, 0x04, p->pub ? p->pub : ec_pub,
		    p->pub ? p->pub_len : ec_pub_len);
	der_put_tlv(&inner, 0x04, p->priv ? p->priv : ec_priv,
		    p->priv ? p->priv_len : ec_priv_len);
	out->n = 0;
	der_put_tlv(out, 0x30, inner.b, inner.n);
}

/* DER -> "TSS2 PRIVATE KEY" PEM text (malloc'd), via OpenSSL. */
static char *pem_wrap(const char *label, const uint8_t *der, size_t len,
		      size_t *ret_len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	const char *mem = NULL;
	long n;
	char *s;

	cr_assert(not(zero(ptr, bio)));
	if (len > 0)
		cr_assert(PEM_write_bio(bio, label, "", der, (long)len) > 0);
	else /* PEM_write_bio reports 0 bytes of body as a failure */
		cr_assert(BIO_printf(bio, "-----BEGIN %s-----\n-----END %s-----\n",
				     label, label) > 0);
	n = BIO_get_mem_data(bio, &mem);
	cr_assert(gt(long, n, 0));
	s = strndup(mem, (size_t)n);
	cr_assert(not(zero(ptr, s)));
	BIO_free(bio);
	*ret_len = (size_t)n;
	return s;
}

static int parse_der(const uint8_t *der, size_t len, struct tpm_keyfile **ret)
{
	_cleanup_free_ char *pem = NULL;
	size_t pem_len = 0;

	pem = pem_wrap("TSS2 PRIVATE KEY", der, len, &pem_len);
	return keyfile_parse(pem, pem_len, ret);
}

static int parse_parts(const struct tpmkey_parts *p, struct tpm_keyfile **ret)
{
	struct der d;

	build_tpmkey(p, &d);
	return parse_der(d.b, d.n, ret);
}

#define PARTS(...) (&(struct tpmkey_parts){ __VA_ARGS__ })
#define OPT(a) .opt = (a), .opt_len = sizeof(a)
#define PARENT(a) .parent = (a), .parent_len = sizeof(a)

Test(keyfile_parse, hand_built_key_matches_fixture)
{
	/* Sanity check of the builder: same fields as ecdsa256.tpm. */
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL, *want = NULL;
	int r;

	want = read_keyfile("ecdsa256.tpm");

	r = parse_parts(PARTS(OPT(opt_empty_auth)), &k);

	cr_assert(eq(int, r, 0), "%s", ta_strerror(r));
	assert_same_keyfile(k, want, "hand-built");
}

Test(keyfile_parse, absent_empty_auth_means_auth_needed)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(.opt_len = 0), &k);

	cr_assert(eq(int, r, 0));
	cr_assert(not(k->empty_auth));
}

Test(keyfile_parse, false_empty_auth_means_auth_needed)
{
	static const uint8_t opt[] = { 0xa0, 0x03, 0x01, 0x01, 0x00 };
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt)), &k);

	cr_assert(eq(int, r, 0));
	cr_assert(not(k->empty_auth));
}

Test(keyfile_parse, old_loadable_oid_is_accepted)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(.oid = oid_loadable_old,
			      .oid_len = sizeof(oid_loadable_old),
			      OPT(opt_empty_auth)), &k);

	cr_assert(eq(int, r, 0));
	cr_assert(k->empty_auth);
}

Test(keyfile_parse, sealed_key_is_refused)
{
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(.oid = oid_sealed, .oid_len = sizeof(oid_sealed),
			      OPT(opt_empty_auth)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_SEALED));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, secret_on_loadable_key_is_refused)
{
	static const uint8_t opt[] = {
		0xa0, 0x03, 0x01, 0x01, 0xff,
		0xa2, 0x04, 0x04, 0x02, 0xaa, 0xbb, /* [2] secret */
	};
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_SECRET));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, auth_policy_key_is_refused)
{
	static const uint8_t opt[] = {
		0xa0, 0x03, 0x01, 0x01, 0xff,
		/* [3] { SEQ { SEQ { [1] { SEQ { SEQ { [0] INT 0x16b,
		 *                                     [1] OCTET "" }}}}}} */
		0xa3, 0x14, 0x30, 0x12, 0x30, 0x10, 0xa1, 0x0e, 0x30, 0x0c,
		0x30, 0x0a, 0xa0, 0x04, 0x02, 0x02, 0x01, 0x6b, 0xa1, 0x02,
		0x04, 0x00,
	};
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_AUTHPOLICY));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, rsa_parent_flag_is_read)
{
	static const uint8_t opt[] = {
		0xa0, 0x03, 0x01, 0x01, 0xff,
		0xa5, 0x03, 0x01, 0x01, 0xff, /* [5] rsaParent TRUE */
	};
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt)), &k);

	cr_assert(eq(int, r, 0));
	cr_assert(k->rsa_parent);
	cr_assert(eq(u32, k->parent, TA_RH_OWNER));
}

Test(keyfile_parse, rsa_parent_with_persistent_parent_is_refused)
{
	static const uint8_t opt[] = {
		0xa0, 0x03, 0x01, 0x01, 0xff,
		0xa5, 0x03, 0x01, 0x01, 0xff,
	};
	static const uint8_t parent[] = { 0x02, 0x05, 0x00, 0x81, 0x00, 0x00, 0x01 };
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt), PARENT(parent)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PARENT));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, persistent_parent_is_accepted)
{
	static const uint8_t parent[] = { 0x02, 0x05, 0x00, 0x81, 0x00, 0x00, 0x01 };
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt_empty_auth), PARENT(parent)), &k);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(u32, k->parent, 0x81000001));
}

Test(keyfile_parse, unknown_parent_handle_is_refused)
{
	static const uint8_t parent[] = { 0x02, 0x04, 0x12, 0x34, 0x56, 0x78 };
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt_empty_auth), PARENT(parent)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PARENT));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, parent_above_32_bits_is_refused)
{
	/* 0x1_40000001: the low 32 bits alone would be the owner. */
	static const uint8_t parent[] = { 0x02, 0x05, 0x01, 0x40, 0x00, 0x00, 0x01 };
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt_empty_auth), PARENT(parent)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PARENT));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, negative_parent_is_refused)
{
	static const uint8_t parent[] = { 0x02, 0x01, 0xff };
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt_empty_auth), PARENT(parent)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PARENT));
	cr_assert(zero(ptr, k));
}

/* A failure we report with our own code must not leave entries on
 * OpenSSL's error queue: the next TA_ERR_LIBCRYPTO message would show them
 * as its cause (keyfile_parse clears the queue on its other paths). */
Test(keyfile_parse, negative_parent_leaves_openssl_error_queue_empty)
{
	static const uint8_t parent[] = { 0x02, 0x01, 0xff };
	struct tpm_keyfile *k = NULL;
	int r;

	ERR_clear_error();

	r = parse_parts(PARTS(OPT(opt_empty_auth), PARENT(parent)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PARENT));
	cr_assert(eq(ulong, ERR_peek_error(), 0),
		  "keyfile_parse left: %s", ERR_error_string(ERR_peek_error(), NULL));
}

Test(keyfile_parse, parent_wider_than_64_bits_leaves_openssl_error_queue_empty)
{
	static const uint8_t parent[] = {
		0x02, 0x09, 0x01, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x01,
	};
	struct tpm_keyfile *k = NULL;
	int r;

	ERR_clear_error();

	r = parse_parts(PARTS(OPT(opt_empty_auth), PARENT(parent)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PARENT));
	cr_assert(zero(ptr, k));
	cr_assert(eq(ulong, ERR_peek_error(), 0),
		  "keyfile_parse left: %s", ERR_error_string(ERR_peek_error(), NULL));
}

Test(keyfile_parse, description_with_nul_is_refused)
{
	static const uint8_t opt[] = {
		0xa0, 0x03, 0x01, 0x01, 0xff,
		0xa4, 0x05, 0x0c, 0x03, 'a', 0x00, 'b',
	};
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_DER));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, fields_out_of_order_are_refused)
{
	/* [4] description before [0] emptyAuth. */
	static const uint8_t opt[] = {
		0xa4, 0x03, 0x0c, 0x01, 'a',
		0xa0, 0x03, 0x01, 0x01, 0xff,
	};
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_DER));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, pubkey_with_trailing_byte_is_refused)
{
	uint8_t pub[sizeof(TPM2B_PUBLIC) + 1];
	struct tpm_keyfile *k = NULL;
	int r;

	/* Fill ec_pub first via a normal build. */
	cr_assert(eq(int, parse_parts(PARTS(OPT(opt_empty_auth)), &k), 0));
	keyfile_free(k);
	k = NULL;
	memcpy(pub, ec_pub, ec_pub_len);
	pub[ec_pub_len] = 0x00;

	r = parse_parts(PARTS(OPT(opt_empty_auth), .pub = pub,
			      .pub_len = ec_pub_len + 1), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PUBLIC));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, empty_pubkey_is_refused)
{
	static const uint8_t pub[] = { 0x00, 0x00 };
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt_empty_auth), .pub = pub,
			      .pub_len = sizeof(pub)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PUBLIC));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, empty_privkey_is_refused)
{
	static const uint8_t priv[] = { 0x00, 0x00 };
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt_empty_auth), .priv = priv,
			      .priv_len = sizeof(priv)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PRIVATE));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, privkey_size_beyond_data_is_refused)
{
	static const uint8_t priv[] = { 0x00, 0x10, 0x01, 0x02 };
	struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt_empty_auth), .priv = priv,
			      .priv_len = sizeof(priv)), &k);

	cr_assert(eq(int, r, TA_ERR_KEYFILE_PRIVATE));
	cr_assert(zero(ptr, k));
}

Test(keyfile_parse, bytes_after_the_sequence_are_refused)
{
	struct der d;
	struct tpm_keyfile *k = NULL;
	int r;

	build_tpmkey(PARTS(OPT(opt_empty_auth)), &d);
	der_put(&d, "\x05\x00", 2); /* a trailing NULL */

	r = parse_der(d.b, d.n, &k);

	cr_assert(eq(int, r, TA_ERR_TRAILING));
	cr_assert(zero(ptr, k));
}

/* ---------------------------------------------------------------------
 * keyfile_parse: every truncation and every single-bit flip
 * ------------------------------------------------------------------ */

/* DER of a PEM fixture, through OpenSSL (not through keyfile.c). */
static uint8_t *fixture_der(const char *name, size_t *ret_len)
{
	_cleanup_free_ char *pem = NULL;
	char *label = NULL, *header = NULL;
	unsigned char *der = NULL;
	long der_len = 0;
	size_t len = 0;
	uint8_t *out;
	BIO *bio;

	pem = read_fixture(name, &len);
	bio = BIO_new_mem_buf(pem, (int)len);
	cr_assert(not(zero(ptr, bio)));
	cr_assert(PEM_read_bio(bio, &label, &header, &der, &der_len) > 0, "%s", name);
	out = malloc((size_t)der_len);
	cr_assert(not(zero(ptr, out)));
	memcpy(out, der, (size_t)der_len);
	OPENSSL_free(label);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	*ret_len = (size_t)der_len;
	return out;
}

/* An accepted mutant must be a structurally valid key that we can write
 * back and read again unchanged. */
static void assert_valid_keyfile(const struct tpm_keyfile *k, const char *what,
				 size_t at)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *back = NULL;
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *pem = NULL;
	uint32_t p = k->parent;
	size_t len = 0;
	int r;

	cr_assert(p == TA_RH_OWNER || p == TA_RH_NULL ||
		  p == TA_RH_ENDORSEMENT || p == TA_RH_PLATFORM ||
		  (p >> 24) == 0x81, "%s at %zu: parent 0x%08x", what, at, p);
	cr_assert(k->rsa_parent == 0 || (p >> 24) == 0x40, "%s at %zu", what, at);
	cr_assert(gt(u16, k->pub.size, 0), "%s at %zu", what, at);
	cr_assert(gt(u16, k->priv.size, 0), "%s at %zu", what, at);
	if (k->description)
		cr_assert(eq(sz, strlen(k->description), strnlen(k->description, 65536)));

	r = keyfile_to_pem(k, true, &pem, &len);
	cr_assert(eq(int, r, 0), "%s at %zu: rewrite: %s", what, at, ta_strerror(r));
	r = keyfile_parse(pem, len, &back);
	cr_assert(eq(int, r, 0), "%s at %zu: reread: %s", what, at, ta_strerror(r));
	assert_same_keyfile(k, back, what);

	/* The public area may be unusable, but must not crash. */
	r = tpm_public_to_sshkey(&k->pub, &key);
	if (r == 0) {
		buf_free(blob_of(key));
	} else {
		cr_assert(lt(int, r, 0));
		cr_assert(zero(ptr, key));
	}
}

static const char *const fuzz_fixtures[] = {
	"ecdsa256.tpm", "rsa2048.tpm", "openssl-ec.pem", "with-description.tpm",
};
static size_t fuzz_idx[] = { 0, 1, 2, 3 };

ParameterizedTestParameters(keyfile_parse, every_truncation_is_refused)
{
	return cr_make_param_array(size_t, fuzz_idx, ELEMENTSOF(fuzz_idx));
}

ParameterizedTest(size_t *i, keyfile_parse, every_truncation_is_refused)
{
	const char *const *name = &fuzz_fixtures[*i];
	_cleanup_free_ uint8_t *der = NULL;
	size_t len = 0;

	der = fixture_der(*name, &len);
	for (size_t n = 0; n < len; n++) {
		struct tpm_keyfile *k = NULL;
		int r = parse_der(der, n, &k);

		cr_assert(lt(int, r, 0), "%s cut to %zu bytes was accepted", *name, n);
		cr_assert(zero(ptr, k), "%s cut to %zu", *name, n);
		cr_assert(eq(ulong, ERR_peek_error(), 0),
			  "%s cut to %zu: OpenSSL error queue left non-empty", *name, n);
	}
}

ParameterizedTestParameters(keyfile_parse, every_bit_flip_is_refused_or_valid)
{
	return cr_make_param_array(size_t, fuzz_idx, ELEMENTSOF(fuzz_idx));
}

ParameterizedTest(size_t *idx, keyfile_parse, every_bit_flip_is_refused_or_valid)
{
	const char *const *name = &fuzz_fixtures[*idx];
	_cleanup_free_ uint8_t *der = NULL;
	size_t len = 0, accepted = 0;

	der = fixture_der(*name, &len);
	for (size_t i = 0; i < len * 8; i++) {
		_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
		int r;

		der[i / 8] ^= (uint8_t)(1U << (i % 8));
		r = parse_der(der, len, &k);
		der[i / 8] ^= (uint8_t)(1U << (i % 8));
		cr_assert(eq(ulong, ERR_peek_error(), 0),
			  "%s bit %zu: OpenSSL error queue left non-empty",
			  *name, i);
		ERR_clear_error();
		if (r < 0) {
			cr_assert(zero(ptr, k), "%s bit %zu", *name, i);
			continue;
		}
		cr_assert(eq(int, r, 0));
		assert_valid_keyfile(k, *name, i);
		accepted++;
	}
	/* Flips inside the key blobs' payload survive parsing: the loop
	 * really exercised both outcomes. */
	cr_assert(gt(sz, accepted, 0));
	cr_assert(lt(sz, accepted, len * 8));
}

Test(keyfile_parse, every_truncation_of_pem_text_is_refused)
{
	_cleanup_free_ char *pem = NULL;
	size_t len = 0;

	pem = read_fixture("ecdsa256.tpm", &len);
	/* Anything short of the END line's last dash is incomplete PEM. */
	for (size_t n = 0; n + 1 < len; n++) {
		struct tpm_keyfile *k = NULL;
		int r = keyfile_parse(pem, n, &k);

		cr_assert(lt(int, r, 0), "PEM cut to %zu bytes was accepted", n);
		cr_assert(zero(ptr, k));
	}
}
