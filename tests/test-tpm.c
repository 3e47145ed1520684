/* SPDX-License-Identifier: MIT */
/* test-tpm.c - keystore against a real swtpm: create keys of every type,
 * sign through the TPM, verify with OpenSSL against the public key. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "err.h"
#include "keystore.h"
#include "sign.h"
#include "swtpm-harness.h"
#include "verify.h"

static struct test_swtpm tpm_sim;

static void setup(void)
{
	test_swtpm_start(&tpm_sim);
}

static void teardown(void)
{
	test_swtpm_stop(&tpm_sim);
}

TestSuite(keystore_tpm, .init = setup, .fini = teardown, .timeout = 60);

/* Number of transient objects loaded in the TPM right now. */
static unsigned transient_objects(void)
{
	TSS2_TCTI_CONTEXT *t = NULL;
	ESYS_CONTEXT *e = NULL;
	TPMS_CAPABILITY_DATA *cap = NULL;
	unsigned n;

	cr_assert(eq(u32, Tss2_TctiLdr_Initialize(tpm_sim.tcti, &t), 0));
	cr_assert(eq(u32, Esys_Initialize(&e, t, NULL), 0));
	cr_assert(eq(u32, Esys_GetCapability(e, ESYS_TR_NONE, ESYS_TR_NONE,
					     ESYS_TR_NONE, TPM2_CAP_HANDLES,
					     0x80000000U /* TPM2_TRANSIENT_FIRST: its macro shifts an int */, 64, NULL,
					     &cap), 0));
	n = cap->data.handles.count;
	Esys_Free(cap);
	Esys_Finalize(&e);
	Tss2_TctiLdr_Finalize(&t);
	return n;
}

struct sign_case {
	enum sshkey_type type;
	unsigned bits;
	enum ta_hash hash;
	char alg[24];
};

ParameterizedTestParameters(keystore_tpm, created_key_signs_and_verifies)
{
	static struct sign_case cases[] = {
		{ SSHKEY_ECDSA_P256, 256, TA_HASH_SHA256, "ecdsa-sha2-nistp256" },
		{ SSHKEY_ECDSA_P384, 384, TA_HASH_SHA384, "ecdsa-sha2-nistp384" },
		{ SSHKEY_ECDSA_P521, 521, TA_HASH_SHA512, "ecdsa-sha2-nistp521" },
		{ SSHKEY_RSA, 2048, TA_HASH_SHA256, "rsa-sha2-256" },
		{ SSHKEY_RSA, 2048, TA_HASH_SHA512, "rsa-sha2-512" },
		{ SSHKEY_RSA, 2048, TA_HASH_SHA1, "ssh-rsa" },
		{ SSHKEY_RSA, 3072, TA_HASH_SHA256, "rsa-sha2-256" },
	};
	return cr_make_param_array(struct sign_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct sign_case *c, keystore_tpm,
		  created_key_signs_and_verifies)
{
	struct tpm *t = NULL;
	struct tpm_keyfile *kf = NULL;
	struct sshkey *key = NULL;
	struct buf *sig = buf_new(4096);
	static const char msg[] = "data to be signed by the TPM";
	char alg[64] = "";

	cr_assert(eq(int, tpm_open(NULL, &t), 0));
	cr_assert(eq(int, tpm_create_key(t, c->type, c->bits, NULL, TA_RH_OWNER, &kf), 0));
	cr_assert(kf->empty_auth);
	cr_assert(eq(int, tpm_public_to_sshkey(&kf->pub, &key), 0));
	cr_assert(eq(u32, sshkey_bits(key), c->bits));
	cr_assert(eq(int, keystore_sign(t, kf, NULL, c->hash,
					(const uint8_t *)msg, sizeof(msg), sig), 0));
	cr_assert(test_verify_ssh_sig(key, buf_ptr(sig), buf_len(sig), msg,
				      sizeof(msg), alg, sizeof(alg)),
		  "signature does not verify");
	cr_assert(eq(str, alg, c->alg));
	/* A different message must not verify: the check can fail. */
	cr_assert(not(test_verify_ssh_sig(key, buf_ptr(sig), buf_len(sig), "x",
					  1, alg, sizeof(alg))));
	/* Nothing stays loaded in the TPM. */
	cr_assert(eq(u32, transient_objects(), 0));
	buf_free(sig);
	sshkey_free(key);
	keyfile_free(kf);
	tpm_close(t);
}

Test(keystore_tpm, key_file_round_trip_still_signs)
{
	struct tpm *t = NULL;
	struct tpm_keyfile *kf = NULL, *back = NULL;
	struct sshkey *key = NULL;
	struct buf *sig = buf_new(4096);
	char *pem = NULL, alg[64];
	size_t len;

	cr_assert(eq(int, tpm_open(NULL, &t), 0));
	cr_assert(eq(int, tpm_create_key(t, SSHKEY_ECDSA_P256, 256, NULL, TA_RH_OWNER, &kf), 0));
	cr_assert(eq(int, keyfile_to_pem(kf, false, &pem, &len), 0));
	cr_assert(eq(int, keyfile_parse(pem, len, &back), 0));
	cr_assert(eq(int, tpm_public_to_sshkey(&back->pub, &key), 0));
	cr_assert(eq(int, keystore_sign(t, back, NULL, TA_HASH_SHA256, (const uint8_t *)"m", 1, sig), 0));
	cr_assert(test_verify_ssh_sig(key, buf_ptr(sig), buf_len(sig), "m", 1, alg, sizeof(alg)));
	free(pem);
	buf_free(sig);
	sshkey_free(key);
	keyfile_free(kf);
	keyfile_free(back);
	tpm_close(t);
}

Test(keystore_tpm, passphrase_key_needs_the_passphrase)
{
	struct tpm *t = NULL;
	struct tpm_keyfile *kf = NULL;
	struct sshkey *key = NULL;
	struct buf *sig = buf_new(4096);
	char alg[64];

	cr_assert(eq(int, tpm_open(NULL, &t), 0));
	cr_assert(eq(int, tpm_create_key(t, SSHKEY_ECDSA_P256, 256, "1234", TA_RH_OWNER, &kf), 0));
	cr_assert(not(kf->empty_auth));
	cr_assert(eq(int, keystore_sign(t, kf, "4321", TA_HASH_SHA256, (const uint8_t *)"m", 1, sig),
		     TA_ERR_TPM_AUTH));
	cr_assert(eq(sz, buf_len(sig), 0));
	cr_assert(eq(int, keystore_sign(t, kf, "1234", TA_HASH_SHA256, (const uint8_t *)"m", 1, sig), 0));
	cr_assert(eq(int, tpm_public_to_sshkey(&kf->pub, &key), 0));
	cr_assert(test_verify_ssh_sig(key, buf_ptr(sig), buf_len(sig), "m", 1, alg, sizeof(alg)));
	cr_assert(eq(u32, transient_objects(), 0));
	buf_free(sig);
	sshkey_free(key);
	keyfile_free(kf);
	tpm_close(t);
}

Test(keystore_tpm, persistent_parent_0x81000001)
{
	struct tpm *t = NULL;
	struct tpm_keyfile *kf = NULL, *back = NULL;
	struct sshkey *key = NULL;
	struct buf *sig = buf_new(4096);
	char cmd[1024], alg[64], *pem = NULL;
	size_t len;

	/* Provision a persistent SRK the way systemd-tpm2-setup does. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && tpm2_createprimary -Q -C o -G ecc -g sha256 -c srk.ctx && "
		 "tpm2_evictcontrol -Q -C o -c srk.ctx 0x81000001 && tpm2_flushcontext -t",
		 tpm_sim.dir);
	cr_assert(eq(int, system(cmd), 0));
	cr_assert(eq(int, tpm_open(NULL, &t), 0));
	cr_assert(eq(int, tpm_create_key(t, SSHKEY_ECDSA_P256, 256, NULL, 0x81000001, &kf), 0));
	cr_assert(eq(u32, kf->parent, 0x81000001));
	cr_assert(eq(int, keyfile_to_pem(kf, false, &pem, &len), 0));
	cr_assert(eq(int, keyfile_parse(pem, len, &back), 0));
	cr_assert(eq(u32, back->parent, 0x81000001));
	cr_assert(eq(int, keystore_sign(t, back, NULL, TA_HASH_SHA256, (const uint8_t *)"m", 1, sig), 0));
	cr_assert(eq(int, tpm_public_to_sshkey(&kf->pub, &key), 0));
	cr_assert(test_verify_ssh_sig(key, buf_ptr(sig), buf_len(sig), "m", 1, alg, sizeof(alg)));
	cr_assert(eq(u32, transient_objects(), 0));
	free(pem);
	buf_free(sig);
	sshkey_free(key);
	keyfile_free(kf);
	keyfile_free(back);
	tpm_close(t);
}

Test(keystore_tpm, missing_persistent_parent_is_a_tpm_error)
{
	struct tpm *t = NULL;
	struct tpm_keyfile *kf = NULL;

	cr_assert(eq(int, tpm_open(NULL, &t), 0));
	cr_assert(lt(int, tpm_create_key(t, SSHKEY_ECDSA_P256, 256, NULL, 0x81000002, &kf), 0));
	cr_assert(eq(ptr, kf, NULL));
	tpm_close(t);
}

Test(keystore_tpm, unsupported_sizes_are_reported)
{
	struct tpm *t = NULL;

	cr_assert(eq(int, tpm_open(NULL, &t), 0));
	cr_assert(eq(int, tpm_test_key_params(t, SSHKEY_ECDSA_P256, 256), 0));
	cr_assert(eq(int, tpm_test_key_params(t, SSHKEY_RSA, 2048), 0));
	/* libtpms 0.9 (Debian 12 swtpm) stops at RSA 3072. */
	cr_assert(eq(int, tpm_test_key_params(t, SSHKEY_RSA, 4096), TA_ERR_TPM_UNSUPPORTED_ALG));
	tpm_close(t);
}

Test(keystore_tpm, unreachable_tpm_is_reported)
{
	struct tpm *t = NULL;
	char tcti[400];
	struct tpm_opts o = { .tcti = tcti };

	snprintf(tcti, sizeof(tcti), "swtpm:path=%s/no-such-socket", tpm_sim.dir);
	int r = tpm_open(&o, &t);
	if (r == 0) {
		/* Some TCTIs connect lazily: the first command must fail. */
		r = tpm_test_key_params(t, SSHKEY_ECDSA_P256, 256);
		tpm_close(t);
	}
	cr_assert(eq(int, r, TA_ERR_TPM_UNREACHABLE));
}

/* The whole path: ssh-tpm-keygen writes k.tpm and k.pub; keystore signs
 * with k.tpm; OpenSSL verifies against the key read from the k.pub file. */
Test(keystore_tpm, keygen_files_sign_and_verify_against_pub_file)
{
	static const char *types[][2] = { { "ecdsa", "256" }, { "ecdsa", "384" },
					  { "ecdsa", "521" }, { "rsa", "2048" } };
	const char *build = getenv("BUILD_DIR");
	struct tpm *t = NULL;

	cr_assert(build != NULL, "BUILD_DIR not set");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char cmd[1024], path[512], line[4096], alg[64];
		struct tpm_keyfile *kf = NULL;
		struct sshkey *key = NULL;
		struct buf *sig = buf_new(4096);
		uint8_t *blob = NULL;
		size_t blob_len;
		FILE *f;

		snprintf(cmd, sizeof(cmd),
			 "%s/tools/ssh-tpm-keygen -q -N '' -t %s -b %s -f %s/k%zu",
			 build, types[i][0], types[i][1], tpm_sim.dir, i);
		cr_assert(eq(int, system(cmd), 0), "%s", cmd);
		snprintf(path, sizeof(path), "%s/k%zu.pub", tpm_sim.dir, i);
		f = fopen(path, "r");
		cr_assert(f != NULL);
		cr_assert(fgets(line, sizeof(line), f) != NULL);
		fclose(f);
		cr_assert(eq(int, sshkey_parse_pub_line(line, &blob, &blob_len, NULL, NULL), 0));
		cr_assert(eq(int, sshkey_from_blob(blob, blob_len, &key), 0));
		snprintf(path, sizeof(path), "%s/k%zu.tpm", tpm_sim.dir, i);
		cr_assert(eq(int, keyfile_read(path, &kf), 0));
		/* Open after keygen ran: both take the same TPM lock. */
		cr_assert(eq(int, tpm_open(NULL, &t), 0));
		cr_assert(eq(int, keystore_sign(t, kf, NULL,
						types[i][0][0] == 'r' ? TA_HASH_SHA256
								      : sshkey_ecdsa_hash(key->type),
						(const uint8_t *)"payload", 7, sig), 0));
		cr_assert(test_verify_ssh_sig(key, buf_ptr(sig), buf_len(sig),
					      "payload", 7, alg, sizeof(alg)),
			  "%s-%s: signature does not verify against %s.pub",
			  types[i][0], types[i][1], path);
		tpm_close(t);
		free(blob);
		buf_free(sig);
		sshkey_free(key);
		keyfile_free(kf);
	}
	cr_assert(eq(u32, transient_objects(), 0));
}

/* An ECDSA key signs only with its curve's hash. */
Test(keystore_tpm, ecdsa_refuses_another_hash)
{
	struct tpm *t = NULL;
	struct tpm_keyfile *kf = NULL;
	struct buf *sig = buf_new(4096);

	cr_assert(eq(int, tpm_open(NULL, &t), 0));
	cr_assert(eq(int, tpm_create_key(t, SSHKEY_ECDSA_P384, 384, NULL, TA_RH_OWNER, &kf), 0));
	cr_assert(eq(int, keystore_sign(t, kf, NULL, TA_HASH_SHA256,
					(const uint8_t *)"m", 1, sig), TA_ERR_INVALID_ARGUMENT));
	cr_assert(eq(sz, buf_len(sig), 0));
	buf_free(sig);
	keyfile_free(kf);
	tpm_close(t);
}
