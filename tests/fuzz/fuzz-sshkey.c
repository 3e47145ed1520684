/* SPDX-License-Identifier: MIT */
/* fuzz-sshkey.c - libFuzzer target: SSH public key and certificate blobs,
 * and .pub lines.  What parses must re-encode to the same blob. */
#include <stdlib.h>
#include <string.h>

#include "keydir.h"
#include "sshkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sshkey *k = NULL, *c = NULL;
	struct buf *b = buf_new(SSHKEY_MAX_BLOB);
	char *line, *fp = NULL, *type = NULL, *comment = NULL;
	uint8_t *blob = NULL;
	size_t blob_len;

	if (!b)
		abort();
	if (sshkey_from_blob(data, size, &k) == 0) {
		if (sshkey_to_blob(k, b) != 0 || buf_len(b) != size ||
		    memcmp(buf_ptr(b), data, size) != 0 ||
		    sshkey_fingerprint(k, &fp) != 0)
			abort();
	}
	sshkey_cert_public_key(data, size, &c);
	line = malloc(size + 1);
	if (!line)
		abort();
	memcpy(line, data, size);
	line[size] = '\0';
	sshkey_parse_pub_line(line, &blob, &blob_len, &type, &comment);
	free(line);
	free(blob);
	free(type);
	free(comment);
	free(fp);
	sshkey_free(k);
	sshkey_free(c);
	buf_free(b);
	return 0;
}
