/* SPDX-License-Identifier: MIT */
/* test-handler.c - handler_process_message driven with byte arrays: every
 * malformed request gets exactly one FAILURE byte; listing reads files. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "dest.h"
#include "handler.h"
#include "keystore.h"
#include "agent.h"

static char keydir[256];
static struct tpm_opts no_tpm = { .tcti = "swtpm:path=/nonexistent/sock" };

static const char *data_dir(void)
{
	const char *d = getenv("TEST_DATA_DIR");

	return d && *d ? d : "tests/data";
}

static void copy_fixture(const char *name)
{
	char cmd[1024];

	cr_assert(keydir[0] == '/' && strlen(keydir) > 5, "no temp key dir");
	/* 0600, as keygen writes key files (the agent refuses others). */
	snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s/' && chmod 600 '%s/%s'",
		 data_dir(), name, keydir, keydir, name);
	cr_assert(eq(int, system(cmd), 0), "%s", cmd);
}

/* The handler's runtime directory (key-dir index files): the test's. */
static char rundir[64];

static void setup(void)
{
	snprintf(keydir, sizeof(keydir), "/tmp/test-handler-XXXXXX");
	cr_assert(mkdtemp(keydir) != NULL);
	snprintf(rundir, sizeof(rundir), "/tmp/test-handler-run-XXXXXX");
	cr_assert(mkdtemp(rundir) != NULL);
	setenv("XDG_RUNTIME_DIR", rundir, 1);
	setenv("TSS2_LOG", "all+NONE", 1);
}

static void teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", keydir, rundir);
	system(cmd);
}

TestSuite(handler_process_message, .init = setup, .fini = teardown);

/* Run one request on a connection of its own (peer pid 1, uid 0, no
 * socket); return the reply in a fresh buffer. */
static struct buf *run(const struct handler_config *cfg, const uint8_t *req, size_t len)
{
	struct buf *in = buf_from(req, len);
	struct buf *out = buf_new(AGENT_MAX_LEN);
	struct handler_conn c;

	cr_assert(in && out);
	handler_conn_init(&c, cfg, -1);
	c.peer.pid = 1;
	handler_process_message(&c, in, out);
	handler_conn_done(&c);
	buf_free(in);
	return out;
}

static struct handler_config ctx_for(const char *dir)
{
	return (struct handler_config){ .key_dir = dir, .tpm = no_tpm };
}

static void assert_failure(struct buf *r)
{
	cr_assert(eq(sz, buf_len(r), 1));
	cr_assert(eq(u8, buf_ptr(r)[0], SSH_AGENT_FAILURE));
	buf_free(r);
}

Test(handler_process_message, empty_request_is_failure)
{
	struct handler_config ctx = ctx_for(keydir);

	assert_failure(run(&ctx, (const uint8_t *)"", 0));
}

Test(handler_process_message, unknown_types_are_failure)
{
	struct handler_config ctx = ctx_for(keydir);

	for (unsigned t = 0; t < 256; t++) {
		uint8_t req[1] = { (uint8_t)t };

		/* REMOVE_ALL_IDENTITIES needs no body: it succeeds (and would
		 * empty the keyring of whoever runs the tests). */
		if (t == SSH_AGENTC_REQUEST_IDENTITIES || t == SSH_AGENTC_SIGN_REQUEST ||
		    t == SSH_AGENTC_REMOVE_ALL_IDENTITIES)
			continue;
		assert_failure(run(&ctx, req, 1));
	}
}

Test(handler_process_message, identities_of_empty_dir)
{
	struct handler_config ctx = ctx_for(keydir);
	static const uint8_t req[] = { 11 };
	static const uint8_t want[] = { 12, 0, 0, 0, 0 };
	struct buf *r = run(&ctx, req, sizeof(req));

	cr_assert(eq(sz, buf_len(r), sizeof(want)));
	cr_assert(eq(int, memcmp(buf_ptr(r), want, sizeof(want)), 0));
	buf_free(r);
}

Test(handler_process_message, identities_of_missing_dir_is_empty)
{
	struct handler_config ctx = ctx_for("/nonexistent/key/dir");
	static const uint8_t req[] = { 11 };
	static const uint8_t want[] = { 12, 0, 0, 0, 0 };
	struct buf *r = run(&ctx, req, sizeof(req));

	cr_assert(eq(int, memcmp(buf_ptr(r), want, sizeof(want)), 0));
	buf_free(r);
}

Test(handler_process_message, identities_with_trailing_byte_is_failure)
{
	struct handler_config ctx = ctx_for(keydir);
	static const uint8_t req[] = { 11, 0 };

	assert_failure(run(&ctx, req, sizeof(req)));
}

Test(handler_process_message, identities_list_keys_with_pub_comments)
{
	struct handler_config ctx = ctx_for(keydir);
	static const uint8_t req[] = { 11 };
	struct buf *r;
	uint8_t type;
	uint32_t n;
	char *comment;
	const uint8_t *blob;
	size_t blob_len;

	copy_fixture("ecdsa256.tpm");
	copy_fixture("ecdsa256.pub");
	copy_fixture("garbage.tpm"); /* skipped, not fatal */
	r = run(&ctx, req, sizeof(req));
	cr_assert(eq(int, buf_get_u8(r, &type), 0));
	cr_assert(eq(u8, type, SSH_AGENT_IDENTITIES_ANSWER));
	cr_assert(eq(int, buf_get_u32(r, &n), 0));
	cr_assert(eq(u32, n, 1));
	cr_assert(eq(int, buf_get_string_direct(r, &blob, &blob_len), 0));
	cr_assert(eq(int, buf_get_cstring(r, &comment, NULL), 0));
	cr_assert(eq(sz, buf_len(r), 0));
	{
		FILE *f;
		char path[512], line[1024];

		snprintf(path, sizeof(path), "%s/ecdsa256.pub", keydir);
		f = fopen(path, "r");
		cr_assert(f && fgets(line, sizeof(line), f));
		fclose(f);
		line[strcspn(line, "\n")] = 0;
		cr_assert(eq(str, comment, strrchr(line, ' ') + 1));
	}
	free(comment);
	buf_free(r);
}

Test(handler_process_message, no_load_lists_nothing)
{
	struct handler_config ctx = ctx_for(keydir);
	static const uint8_t req[] = { 11 };
	static const uint8_t want[] = { 12, 0, 0, 0, 0 };
	struct buf *r;

	copy_fixture("ecdsa256.tpm");
	ctx.no_load = true;
	r = run(&ctx, req, sizeof(req));
	cr_assert(eq(int, memcmp(buf_ptr(r), want, sizeof(want)), 0));
	buf_free(r);
}

/* A well-formed sign request for the fixture key. */
static struct buf *sign_request(const uint8_t *blob, size_t blob_len)
{
	struct buf *b = buf_new(AGENT_MAX_LEN);

	cr_assert(eq(int, buf_put_u8(b, SSH_AGENTC_SIGN_REQUEST), 0));
	cr_assert(eq(int, buf_put_string(b, blob, blob_len), 0));
	cr_assert(eq(int, buf_put_cstring(b, "to be signed"), 0));
	cr_assert(eq(int, buf_put_u32(b, 0), 0));
	return b;
}

Test(handler_process_message, sign_request_for_unknown_key_is_failure)
{
	struct handler_config ctx = ctx_for(keydir);
	static const uint8_t blob[] = { 0, 0, 0, 7, 's', 's', 'h', '-', 'r', 's', 'a' };
	struct buf *req = sign_request(blob, sizeof(blob));

	assert_failure(run(&ctx, buf_ptr(req), buf_len(req)));
	buf_free(req);
}

Test(handler_process_message, sign_request_without_tpm_is_failure)
{
	struct handler_config ctx = ctx_for(keydir);
	static const uint8_t req0[] = { 11 };
	struct buf *ids, *req;
	const uint8_t *blob;
	size_t blob_len;
	uint8_t t;
	uint32_t n;

	copy_fixture("ecdsa256.tpm");
	ids = run(&ctx, req0, sizeof(req0));
	cr_assert(eq(int, buf_get_u8(ids, &t), 0));
	cr_assert(eq(int, buf_get_u32(ids, &n), 0));
	cr_assert(eq(int, buf_get_string_direct(ids, &blob, &blob_len), 0));
	req = sign_request(blob, blob_len);
	assert_failure(run(&ctx, buf_ptr(req), buf_len(req)));
	buf_free(req);
	buf_free(ids);
}

Test(handler_process_message, every_truncated_sign_request_is_failure)
{
	struct handler_config ctx = ctx_for(keydir);
	static const uint8_t req0[] = { 11 };
	struct buf *ids, *req;
	const uint8_t *blob;
	size_t blob_len;
	uint8_t t;
	uint32_t n;

	copy_fixture("ecdsa256.tpm");
	ids = run(&ctx, req0, sizeof(req0));
	cr_assert(eq(int, buf_get_u8(ids, &t), 0));
	cr_assert(eq(int, buf_get_u32(ids, &n), 0));
	cr_assert(eq(int, buf_get_string_direct(ids, &blob, &blob_len), 0));
	req = sign_request(blob, blob_len);
	/* Every proper prefix, and the whole request plus a trailing byte. */
	for (size_t len = 0; len < buf_len(req); len++)
		assert_failure(run(&ctx, buf_ptr(req), len));
	cr_assert(eq(int, buf_put_u8(req, 0), 0));
	assert_failure(run(&ctx, buf_ptr(req), buf_len(req)));
	buf_free(req);
	buf_free(ids);
}

/* Write n distinct RSA-2048 key files k1.tpm ... (public parts only are
 * real: a modulus from the index; listing never asks the TPM), each with a
 * .pub line carrying a 300-character comment. */
static void write_distinct_rsa_keys(unsigned n)
{
	for (unsigned i = 1; i <= n; i++) {
		struct tpm_keyfile kf = { .empty_auth = true, .parent = TA_RH_OWNER };
		TPMT_PUBLIC *p = &kf.pub.publicArea;
		struct sshkey *key = NULL;
		char *pem = NULL, *line = NULL, path[512], comment[301];
		size_t len;
		FILE *f;

		p->type = TPM2_ALG_RSA;
		p->nameAlg = TPM2_ALG_SHA256;
		p->objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.rsaDetail.keyBits = 2048;
		p->unique.rsa.size = 256;
		memset(p->unique.rsa.buffer, 0xa5, 256);
		p->unique.rsa.buffer[0] = 0xc0;
		memcpy(p->unique.rsa.buffer + 100, &i, sizeof(i));
		p->unique.rsa.buffer[255] |= 1;
		kf.pub.size = 1; /* marshalled by the writer */
		kf.priv.size = 16;
		cr_assert(eq(int, keyfile_to_pem(&kf, false, &pem, &len), 0));
		snprintf(path, sizeof(path), "%s/k%u.tpm", keydir, i);
		f = fopen(path, "w");
		cr_assert(f && fwrite(pem, 1, len, f) == len && fclose(f) == 0);
		cr_assert(eq(int, chmod(path, 0600), 0));
		memset(comment, 'c', 300);
		comment[300] = '\0';
		cr_assert(eq(int, tpm_public_to_sshkey(&kf.pub, &key), 0));
		cr_assert(eq(int, sshkey_format_pub(key, comment, &line), 0));
		snprintf(path, sizeof(path), "%s/k%u.pub", keydir, i);
		f = fopen(path, "w");
		cr_assert(f && fprintf(f, "%s\n", line) > 0 && fclose(f) == 0);
		free(pem);
		free(line);
		sshkey_free(key);
	}
}

/* More identities than fit in one 256 KiB reply: the ones that fit are
 * listed (never a FAILURE, never an oversized frame). */
Test(handler_process_message, too_many_identities_are_cut_to_one_frame)
{
	struct handler_config ctx = ctx_for(keydir);
	static const uint8_t req[] = { 11 };
	struct buf *r;
	uint8_t type;
	uint32_t n;

	/* 1000 distinct RSA keys: ~600 bytes each with a long comment. */
	write_distinct_rsa_keys(1000);
	r = run(&ctx, req, sizeof(req));
	cr_assert(eq(int, buf_get_u8(r, &type), 0));
	cr_assert(eq(u8, type, SSH_AGENT_IDENTITIES_ANSWER));
	cr_assert(eq(int, buf_get_u32(r, &n), 0));
	cr_assert(gt(u32, n, 100));
	cr_assert(lt(u32, n, 1000));
	cr_assert(le(sz, buf_len(r) + 5, AGENT_MAX_LEN));
	buf_free(r);
}

/* Flags -> hash, as OpenSSH's agent maps them. */
Test(handler_sign_hash, rsa_both_flags_choose_sha256)
{
	cr_assert(eq(int, handler_sign_hash(SSHKEY_RSA, SSH_AGENT_RSA_SHA2_256 |
							 SSH_AGENT_RSA_SHA2_512),
		     TA_HASH_SHA256));
}

Test(handler_sign_hash, rsa_flags)
{
	cr_assert(eq(int, handler_sign_hash(SSHKEY_RSA, SSH_AGENT_RSA_SHA2_256), TA_HASH_SHA256));
	cr_assert(eq(int, handler_sign_hash(SSHKEY_RSA, SSH_AGENT_RSA_SHA2_512), TA_HASH_SHA512));
	cr_assert(eq(int, handler_sign_hash(SSHKEY_RSA, 0), TA_HASH_SHA1));
	cr_assert(eq(int, handler_sign_hash(SSHKEY_RSA, 0x100), TA_HASH_SHA1));
}

Test(handler_sign_hash, ecdsa_ignores_flags)
{
	cr_assert(eq(int, handler_sign_hash(SSHKEY_ECDSA_P256, SSH_AGENT_RSA_SHA2_512), TA_HASH_SHA256));
	cr_assert(eq(int, handler_sign_hash(SSHKEY_ECDSA_P384, 0), TA_HASH_SHA384));
	cr_assert(eq(int, handler_sign_hash(SSHKEY_ECDSA_P521, SSH_AGENT_RSA_SHA2_256), TA_HASH_SHA512));
}

Test(dest_match_pattern, wildcards_as_openssh)
{
	cr_assert(dest_match_pattern("host.example.com", "*.example.com"));
	cr_assert(dest_match_pattern("alice", "a?i*e"));
	cr_assert(dest_match_pattern("", "*"));
	cr_assert(dest_match_pattern("abcabd", "*ab?"));
	cr_assert(not(dest_match_pattern("example.com", "*.example.com")));
	cr_assert(not(dest_match_pattern("alice", "alic")));
	cr_assert(not(dest_match_pattern("", "?")));
	cr_assert(not(dest_match_pattern("ab", "a*c")));
}

/* Both sides come from the client (a user name and a constraint's
 * pattern; a hostname and a host certificate's principals): the
 * recursive match took a minute for this, and hours with one more '*'. */
Test(dest_match_pattern, many_stars_end_in_time, .timeout = 5)
{
	char s[4097], p[4097];

	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	for (size_t i = 0; i + 2 < sizeof(p); i += 2) {
		p[i] = '*';
		p[i + 1] = 'a';
	}
	p[sizeof(p) - 3] = '*';
	p[sizeof(p) - 2] = 'b';
	p[sizeof(p) - 1] = '\0';
	cr_assert(not(dest_match_pattern(s, p)));
	cr_assert(not(dest_match_pattern(s, "*a*a*a*a*a*a*a*a*b")));
	cr_assert(dest_match_pattern(s, "*a*a*a*a*a*a*a*a*a"));
}
