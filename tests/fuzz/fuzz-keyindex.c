/* SPDX-License-Identifier: MIT */
/* fuzz-keyindex.c - libFuzzer target: the key-dir index file
 * (keystore/keyindex.c) as keyidx_read_for reads it from the runtime dir.
 * Whatever parses must write back to the same bytes (keyidx_encode) and
 * name only key files in the directory; a lookup for one blob
 * (keyidx_parse with want) must accept and refuse exactly what the full
 * read does, and keep exactly the identities with that blob.  The seeds
 * are indexes of tests/fuzz/seeds/sshkey's keys for DIR, written by hand
 * in the format keyidx_write uses. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "keyindex.h"

#define DIR "/home/user/.ssh"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t none[] = { 0 };
	struct keyidx *x = NULL, *y = NULL;
	const uint8_t *want = none;
	size_t want_len = sizeof(none), n_want = 0;
	struct buf *b;
	int r, k;

	r = keyidx_parse(data, size, DIR, NULL, 0, &x);
	if (r == 0) {
		b = buf_new(size + 1);
		if (!b || keyidx_encode(b, DIR, x->files, x->n_files, x->ids) != 0 ||
		    buf_len(b) != size || memcmp(buf_ptr(b), data, size) != 0)
			abort();
		buf_free(b);
		for (size_t i = 0; i < x->ids->n; i++) {
			const struct identity *id = &x->ids->v[i];

			if (strncmp(id->path, DIR "/", sizeof(DIR)) != 0 ||
			    strchr(id->path + sizeof(DIR), '/') || !id->path[sizeof(DIR)] ||
			    !id->blob_len || !id->comment)
				abort();
		}
		if (x->ids->n > 0) {
			want = x->ids->v[x->ids->n - 1].blob;
			want_len = x->ids->v[x->ids->n - 1].blob_len;
		}
		for (size_t i = 0; i < x->ids->n; i++)
			n_want += x->ids->v[i].blob_len == want_len &&
				  memcmp(x->ids->v[i].blob, want, want_len) == 0;
	} else if (x) {
		abort();
	}
	k = keyidx_parse(data, size, DIR, want, want_len, &y);
	if (k != r || (k == 0) != (y != NULL))
		abort();
	if (y) {
		if (y->ids->n != n_want || y->n_files != x->n_files)
			abort();
		for (size_t i = 0; i < y->ids->n; i++)
			if (y->ids->v[i].blob_len != want_len ||
			    memcmp(y->ids->v[i].blob, want, want_len) != 0)
				abort();
	}
	keyidx_free(x);
	keyidx_free(y);
	return 0;
}
