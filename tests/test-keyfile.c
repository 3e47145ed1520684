/* SPDX-License-Identifier: MIT */
/* test-keyfile.c - unit tests for keystore/keyfile.c, the TSS2 PRIVATE KEY
 * reader and writer: fixtures from tests/data/ (tools/mktestdata.sh),
 * hand-built DER with one field changed at a time, every truncation and
 * single-bit flip.  No TPM. */
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

Test(keyfile_parse, policy_key_is_read)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	struct tpm_policy_step st;
	size_t pos = 0;
	int r;

	r = parse_fixture("with-policy.tpm", &k);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(sz, k->n_policy, 1));
	cr_assert(keyfile_policy_next(k, &pos, &st));
	cr_assert(eq(u32, st.cc, 0x16b));
	cr_assert(eq(sz, st.len, 0));
	cr_assert(not(keyfile_policy_next(k, &pos, &st)));
	cr_assert(eq(int, tpm_policy_check(k), 0));
	cr_assert(eq(ulong, ERR_peek_error(), 0));
}

/* A key of the Go key-file library's tests: PolicyPCR (PCR 16, sha256
 * bank, the engine layout with a bare SHA-384 digest: the key's nameAlg)
 * then PolicyAuthValue.  Read, its steps runnable, and written back with
 * the same [1]. */
Test(keyfile_parse, go_pcr_authvalue_key)
{
	static const uint8_t sel[] = { 0, 0, 0, 1, 0x00, 0x0b, 3, 0x00, 0x00, 0x01 };
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL, *back = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	struct tpm_policy_step st;
	size_t pos = 0, der_len = 0;
	int r;

	r = parse_fixture("go-pcr-authvalue.tpm", &k);

	cr_assert(eq(int, r, 0));
	cr_assert(eq(sz, k->n_policy, 2));
	cr_assert(keyfile_policy_next(k, &pos, &st));
	cr_assert(eq(u32, st.cc, 0x17f));
	cr_assert(eq(sz, st.len, sizeof(sel) + 48));
	cr_assert(eq(int, memcmp(st.body, sel, sizeof(sel)), 0));
	cr_assert(keyfile_policy_next(k, &pos, &st));
	cr_assert(eq(u32, st.cc, 0x16b));
	cr_assert(eq(int, tpm_policy_check(k), 0));
	cr_assert(eq(int, keyfile_to_der(k, false, &der, &der_len), 0));
	cr_assert(eq(int, keyfile_parse_der(der, der_len, &back), 0));
	cr_assert(eq(sz, back->policy_len, k->policy_len));
	cr_assert(eq(int, memcmp(back->policy, k->policy, k->policy_len), 0));
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

Test(keyfile_parse, auth_policy_key_is_read_not_run)
{
	static const uint8_t opt[] = {
		0xa0, 0x03, 0x01, 0x01, 0xff,
		/* [3] { SEQ { SEQ { [1] { SEQ { SEQ { [0] INT 0x16b,
		 *                                     [1] OCTET "" }}}}}} */
		0xa3, 0x14, 0x30, 0x12, 0x30, 0x10, 0xa1, 0x0e, 0x30, 0x0c,
		0x30, 0x0a, 0xa0, 0x04, 0x02, 0x02, 0x01, 0x6b, 0xa1, 0x02,
		0x04, 0x00,
	};
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	int r;

	r = parse_parts(PARTS(OPT(opt)), &k);

	cr_assert(eq(int, r, 0));
	cr_assert(k->auth_policy);
	cr_assert(eq(int, tpm_policy_check(k), TA_ERR_KEYFILE_AUTHPOLICY));
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
