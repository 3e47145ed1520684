/* SPDX-License-Identifier: MIT */
/* keyindex.c - the key-dir index file (see keyindex.h): its format and
 * its reading and writing.  The file is a cache: written without fsync,
 * read strictly, and any doubt about it means a scan. */
#include "keyindex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "sysutil.h"

#define KEYIDX_MAGIC 0x54414b49U /* "TAKI" */
#define KEYIDX_VERSION 1
#define KEYIDX_MAX_SIZE (8U * 1024 * 1024)

void keyidx_free(struct keyidx *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n_files; i++)
		free(x->files[i].name);
	free(x->files);
	identity_list_free(x->ids);
	free(x);
}

static uint64_t ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

void keyidx_stat_from(const struct stat *st, struct keyidx_stat *ret)
{
	*ret = (struct keyidx_stat){
		.present = true,
		.dev = st->st_dev,
		.ino = st->st_ino,
		.size = (uint64_t)st->st_size,
		.mtime_ns = ns(&st->st_mtim),
		.ctime_ns = ns(&st->st_ctim),
		.mode = st->st_mode,
		.uid = st->st_uid,
	};
}

bool keyidx_stat_equal(const struct keyidx_stat *a, const struct keyidx_stat *b)
{
	if (a->present != b->present)
		return false;
	return !a->present || (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
			       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
			       a->mode == b->mode && a->uid == b->uid);
}

static int put_stat(struct buf *b, const struct keyidx_stat *s)
{
	int r;

	if ((r = buf_put_u8(b, s->present)) != 0 || !s->present)
		return r;
	if ((r = buf_put_u64(b, s->dev)) != 0 || (r = buf_put_u64(b, s->ino)) != 0 ||
	    (r = buf_put_u64(b, s->size)) != 0 || (r = buf_put_u64(b, s->mtime_ns)) != 0 ||
	    (r = buf_put_u64(b, s->ctime_ns)) != 0 || (r = buf_put_u32(b, s->mode)) != 0 ||
	    (r = buf_put_u32(b, s->uid)) != 0)
		return r;
	return 0;
}

static int get_stat(struct buf *b, struct keyidx_stat *s)
{
	uint8_t present;
	int r;

	*s = (struct keyidx_stat){ 0 };
	if ((r = buf_get_u8(b, &present)) != 0)
		return r;
	if (present > 1)
		return TA_ERR_FORMAT;
	if (!present)
		return 0;
	s->present = true;
	if ((r = buf_get_u64(b, &s->dev)) != 0 || (r = buf_get_u64(b, &s->ino)) != 0 ||
	    (r = buf_get_u64(b, &s->size)) != 0 || (r = buf_get_u64(b, &s->mtime_ns)) != 0 ||
	    (r = buf_get_u64(b, &s->ctime_ns)) != 0 || (r = buf_get_u32(b, &s->mode)) != 0 ||
	    (r = buf_get_u32(b, &s->uid)) != 0)
		return r;
	return 0;
}

/* The file name of an identity's key file (the last part of its path). */
static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int keyidx_encode(struct buf *b, const char *dir, const struct keyidx_file *files,
		  size_t n_files, const struct identity_list *ids)
{
	int r;

	if ((r = buf_put_u32(b, KEYIDX_MAGIC)) != 0 || (r = buf_put_u32(b, KEYIDX_VERSION)) != 0 ||
	    (r = buf_put_cstring(b, dir)) != 0 || (r = buf_put_u32(b, (uint32_t)n_files)) != 0)
		return r;
	for (size_t i = 0; i < n_files; i++)
		if ((r = buf_put_cstring(b, files[i].name)) != 0 ||
		    (r = put_stat(b, &files[i].tpm)) != 0 || (r = put_stat(b, &files[i].pub)) != 0 ||
		    (r = put_stat(b, &files[i].cert)) != 0)
			return r;
	if ((r = buf_put_u32(b, (uint32_t)ids->n)) != 0)
		return r;
	for (size_t i = 0; i < ids->n; i++) {
		const struct identity *id = &ids->v[i];

		if ((r = buf_put_cstring(b, base_name(id->path))) != 0 ||
		    (r = buf_put_u8(b, id->is_cert)) != 0 ||
		    (r = buf_put_string(b, id->blob, id->blob_len)) != 0 ||
		    (r = buf_put_cstring(b, id->comment)) != 0)
			return r;
	}
	return 0;
}

int keyidx_write(const char *path, const char *dir, const struct keyidx_file *files,
		 size_t n_files, const struct identity_list *ids)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(KEYIDX_MAX_SIZE);
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (!b)
		return TA_ERR_NOMEM;
	r = keyidx_encode(b, dir, files, n_files, ids);
	if (r < 0)
		return r;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		return TA_ERR_NOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return TA_ERR_SYSTEM;
	r = write_full(fd, buf_ptr(b), buf_len(b));
	if (r == 0 && rename(tmp, path) < 0)
		r = TA_ERR_SYSTEM;
	if (r < 0)
		unlink(tmp);
	return r;
}

int keyidx_read(const char *path, const char *dir, struct keyidx **ret)
{
	return keyidx_read_for(path, dir, NULL, 0, ret);
}

int keyidx_read_for(const char *path, const char *dir, const uint8_t *want, size_t want_len,
		    struct keyidx **ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len = 0;

	*ret = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return TA_ERR_SYSTEM;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) || (uint64_t)st.st_size > KEYIDX_MAX_SIZE)
		return TA_ERR_UNSAFE_PATH;
	data = malloc((size_t)st.st_size + 1);
	if (!data)
		return TA_ERR_NOMEM;
	while (len < (size_t)st.st_size) {
		ssize_t k = read(fd, data + len, (size_t)st.st_size - len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return TA_ERR_FORMAT;
		len += (size_t)k;
	}
	return keyidx_parse(data, len, dir, want, want_len, ret);
}

int keyidx_parse(const uint8_t *data, size_t len, const char *dir, const uint8_t *want,
		 size_t want_len, struct keyidx **ret)
{
	_cleanup_(keyidx_freep) struct keyidx *x = NULL;
	_cleanup_(buf_freep) struct buf *b = NULL;
	_cleanup_free_ char *for_dir = NULL;
	uint32_t magic, version, n;
	int r;

	*ret = NULL;
	b = buf_from(data, len);
	x = calloc(1, sizeof(*x));
	if (!b || !x || !(x->ids = calloc(1, sizeof(*x->ids))))
		return TA_ERR_NOMEM;
	if ((r = buf_get_u32(b, &magic)) != 0 || (r = buf_get_u32(b, &version)) != 0 ||
	    (r = buf_get_cstring(b, &for_dir, NULL)) != 0 || (r = buf_get_u32(b, &n)) != 0)
		return r;
	if (magic != KEYIDX_MAGIC || version != KEYIDX_VERSION || strcmp(for_dir, dir) != 0 ||
	    n > KEYDIR_MAX_KEYS * 4)
		return TA_ERR_FORMAT;
	x->files = calloc(n ? n : 1, sizeof(*x->files));
	if (!x->files)
		return TA_ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct keyidx_file *f = &x->files[i];

		if ((r = buf_get_cstring(b, &f->name, NULL)) != 0)
			return r;
		x->n_files++;
		if ((r = get_stat(b, &f->tpm)) != 0 || (r = get_stat(b, &f->pub)) != 0 ||
		    (r = get_stat(b, &f->cert)) != 0)
			return r;
		if (strchr(f->name, '/') || !f->tpm.present)
			return TA_ERR_FORMAT;
	}
	if ((r = buf_get_u32(b, &n)) != 0)
		return r;
	if (n > KEYDIR_MAX_KEYS)
		return TA_ERR_FORMAT;
	x->ids->v = calloc(n ? n : 1, sizeof(*x->ids->v));
	if (!x->ids->v)
		return TA_ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct identity *id = &x->ids->v[x->ids->n];
		const uint8_t *name, *blob, *comment;
		size_t name_len, blob_len, comment_len;
		uint8_t is_cert;

		if ((r = buf_get_string_direct(b, &name, &name_len)) != 0 ||
		    (r = buf_get_u8(b, &is_cert)) != 0 ||
		    (r = buf_get_string_direct(b, &blob, &blob_len)) != 0 ||
		    (r = buf_get_string_direct(b, &comment, &comment_len)) != 0)
			return r;
		if (is_cert > 1 || name_len == 0 || memchr(name, '/', name_len) ||
		    memchr(name, '\0', name_len) || memchr(comment, '\0', comment_len) ||
		    blob_len == 0)
			return TA_ERR_FORMAT;
		if (want && (blob_len != want_len || memcmp(blob, want, want_len) != 0))
			continue;
		x->ids->n++;
		id->is_cert = is_cert;
		id->blob = malloc(blob_len);
		id->comment = strndup((const char *)comment, comment_len);
		if (!id->blob || !id->comment ||
		    asprintf(&id->path, "%s/%.*s", dir, (int)name_len, (const char *)name) < 0) {
			id->path = NULL;
			return TA_ERR_NOMEM;
		}
		memcpy(id->blob, blob, blob_len);
		id->blob_len = blob_len;
	}
	if (buf_len(b) != 0)
		return TA_ERR_TRAILING;
	*ret = TAKE_PTR(x);
	return 0;
}
