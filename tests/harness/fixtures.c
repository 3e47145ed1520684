/* SPDX-License-Identifier: MIT */
/* fixtures.c - reading the fixtures of tests/data/ (made by
 * tools/mktestdata.sh), for the keystore unit tests.  The directory is
 * $TEST_DATA_DIR (meson sets it), else TEST_DATA_DIR_DEFAULT if defined at
 * compile time, else tests/data next to this file. */
#include "fixtures.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"

const char *data_dir(void)
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
		snprintf(dir, sizeof(dir), "%.*s/../data", (int)(slash - file), file);
	else
		snprintf(dir, sizeof(dir), "data");
#endif
	return dir;
}

/* Path of a fixture; aborts the test with a clear message if it is absent. */
char *fixture_path(const char *name)
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
char *read_fixture(const char *name, size_t *ret_len)
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

struct tpm_keyfile *read_keyfile(const char *name)
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
struct sshkey *read_pub(const char *base, uint8_t **ret_blob,
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
void read_fp(const char *base, unsigned *ret_bits, char **ret_fp)
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

struct cr_mem mem_of(const void *p, size_t len)
{
	return (struct cr_mem){ .data = p, .size = len };
}

struct buf *blob_of(const struct sshkey *k)
{
	struct buf *b = buf_new(SSHKEY_MAX_BLOB);
	int r;

	cr_assert(not(zero(ptr, b)));
	r = sshkey_to_blob(k, b);
	cr_assert(eq(int, r, 0), "%s", ta_strerror(r));
	return b;
}

