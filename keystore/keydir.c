/* SPDX-License-Identifier: MIT */
/* keydir.c - identities from a key directory (see keydir.h). */
#include "keydir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "pubkey.h"
#include "sysutil.h"
#include "keyindex.h"
#include "tpm.h"

#define PUB_LINE_MAX (32 * 1024)

void identity_clear(struct identity *id)
{
	free(id->path);
	keyfile_free(id->kf);
	sshkey_free(id->key);
	free(id->blob);
	free(id->comment);
	free(id->dest);
	memset(id, 0, sizeof(*id));
}

struct identity_list *identity_list_new(void)
{
	return calloc(1, sizeof(struct identity_list));
}

void identity_list_free(struct identity_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		identity_clear(&l->v[i]);
	free(l->v);
	free(l);
}

const struct identity *identity_list_find(const struct identity_list *l,
					  const uint8_t *blob, size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (buf_bytes_equal(l->v[i].blob, l->v[i].blob_len, blob, len))
			return &l->v[i];
	return NULL;
}

/* Read the first line of a small text file.  With check, a file that
 * someone else could have written is refused with a warning. */
static int read_first_line(const char *path, char **ret, bool check)
{
	_cleanup_free_ char *line = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t got = 0;

	*ret = NULL;
	/* Only regular files; O_NONBLOCK so a FIFO cannot block the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return TA_ERR_SYSTEM;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > PUB_LINE_MAX)
		return TA_ERR_FORMAT;
	if (check && stat_untrusted(&st, false)) {
		log_warning("%s: certificate file is %s (owner uid %u, mode %04o): not used; fix with chmod go-w and chown",
			    path, stat_untrusted(&st, false), (unsigned)st.st_uid,
			    (unsigned)(st.st_mode & 07777));
		return TA_ERR_UNSAFE_PATH;
	}
	/* The whole file in one buffer of its size (it may grow meanwhile:
	 * what is past the size read at fstat is not looked at). */
	line = malloc((size_t)st.st_size + 1);
	if (!line)
		return TA_ERR_NOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, line + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return TA_ERR_SYSTEM;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	line[got] = '\0';
	if (got == 0 || memchr(line, '\0', got))
		return TA_ERR_FORMAT;
	line[strcspn(line, "\r\n")] = '\0';
	*ret = TAKE_PTR(line);
	return 0;
}

/* Add id (taking its contents) unless the same key or certificate is
 * already listed: a copy such as k1-backup.tpm is offered once, as
 * OpenSSH's agent lists each key once (two offers of one key would burn
 * a server's MaxAuthTries). */
static int push(struct identity_list *l, struct identity *id,
		size_t *ret_index)
{
	struct identity *nv;

	for (size_t i = 0; i < l->n; i++)
		if (buf_bytes_equal(l->v[i].blob, l->v[i].blob_len, id->blob, id->blob_len)) {
			log_debug("%s: same %s as %s: listed once", id->path,
				  id->is_cert ? "certificate" : "key",
				  l->v[i].path);
			identity_clear(id);
			if (ret_index)
				*ret_index = i;
			return 0;
		}
	if (l->n >= KEYDIR_MAX_KEYS)
		return TA_ERR_TOO_LARGE;
	nv = reallocarray(l->v, l->n + 1, sizeof(*nv));
	if (!nv)
		return TA_ERR_NOMEM;
	l->v = nv;
	if (ret_index)
		*ret_index = l->n;
	l->v[l->n++] = *id;
	memset(id, 0, sizeof(*id));
	return 0;
}

int keydir_read_pub(const char *pub_path, const struct sshkey *key, char **ret_comment)
{
	_cleanup_free_ char *line = NULL, *comment = NULL;
	_cleanup_free_ uint8_t *blob = NULL;
	_cleanup_(sshkey_freep) struct sshkey *pk = NULL;
	size_t blob_len;
	int r;

	r = read_first_line(pub_path, &line, false);
	if (r < 0)
		return r;
	if (sshkey_parse_pub_line(line, &blob, &blob_len, NULL, &comment) < 0 ||
	    sshkey_from_blob(blob, blob_len, &pk) < 0)
		return TA_ERR_FORMAT;
	if (!sshkey_equal(pk, key)) {
		log_debug("%s: holds another public key; not used", pub_path);
		return TA_ERR_KEY_NOT_FOUND;
	}
	if (comment)
		text_sanitize(comment);
	*ret_comment = TAKE_PTR(comment);
	return 0;
}

/* NAME.pub gives the comment when it holds the same key. */
static char *comment_from_pub(const char *pub_path, const struct sshkey *key)
{
	char *comment = NULL;

	return keydir_read_pub(pub_path, key, &comment) == 0 ? comment : NULL;
}

int identity_set_public(struct identity *id)
{
	_cleanup_(buf_freep) struct buf *b = NULL;
	int r;

	r = tpm_public_to_sshkey(&id->kf->pub, &id->key);
	if (r < 0)
		return r;
	b = buf_new(SSHKEY_MAX_BLOB);
	if (!b)
		return TA_ERR_NOMEM;
	r = sshkey_to_blob(id->key, b);
	if (r < 0)
		return r;
	id->blob = malloc(buf_len(b));
	if (!id->blob)
		return TA_ERR_NOMEM;
	memcpy(id->blob, buf_ptr(b), buf_len(b));
	id->blob_len = buf_len(b);
	return 0;
}

/* NAME-cert.pub: a certificate for this key, as a second identity. */
static int add_cert(struct identity_list *l, const char *cert_path,
		    size_t plain_index, bool *refused)
{
	const struct identity *plain;
	_cleanup_free_ char *line = NULL, *type = NULL, *comment = NULL;
	_cleanup_free_ uint8_t *blob = NULL;
	_cleanup_(sshkey_freep) struct sshkey *ck = NULL;
	_cleanup_(identity_clear) struct identity id = { 0 };
	size_t blob_len;
	int r;

	plain = &l->v[plain_index];
	r = read_first_line(cert_path, &line, true);
	if (r == TA_ERR_UNSAFE_PATH)
		*refused = true;
	if (r < 0)
		return 0;
	if (sshkey_parse_pub_line(line, &blob, &blob_len, &type, &comment) < 0 ||
	    sshkey_cert_public_key(blob, blob_len, &ck) < 0 ||
	    !sshkey_equal(ck, plain->key)) {
		log_debug("%s: not a certificate for %s; ignored", cert_path,
			  plain->path);
		return 0;
	}
	/* The key file as already parsed: reading it again could see
	 * another file (renamed meanwhile) and must not fail the list. */
	id.path = strdup(plain->path);
	id.comment = strdup(plain->comment);
	r = keyfile_dup(plain->kf, &id.kf);
	if (!id.path || !id.comment || r < 0)
		return TA_ERR_NOMEM;
	id.key = TAKE_PTR(ck);
	id.blob = TAKE_PTR(blob);
	id.blob_len = blob_len;
	id.is_cert = true;
	return push(l, &id, NULL);
}

/* A key file the agent may use: owned by us or root, writable by nobody
 * else, and -- without a passphrase -- readable by nobody else, since any
 * local user who can reach the TPM could sign with it (ssh refuses such an
 * "UNPROTECTED PRIVATE KEY FILE" too).  One warning per refused file. */
static int read_key_file(const char *path, struct tpm_keyfile **ret)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	const char *why;
	int r;

	fd = keyfile_open(path);
	if (fd < 0 || fstat(fd, &st) < 0)
		return TA_ERR_SYSTEM;
	if (!S_ISREG(st.st_mode))
		return TA_ERR_FORMAT;
	why = stat_untrusted(&st, false);
	if (why) {
		log_warning("%s: key file is %s (owner uid %u, mode %04o): not used; fix with chmod 600 (and chown)",
			    path, why, (unsigned)st.st_uid,
			    (unsigned)(st.st_mode & 07777));
		return TA_ERR_UNSAFE_PATH;
	}
	r = keyfile_read_fd(fd, &kf);
	if (r < 0)
		return r;
	if (kf->empty_auth && (st.st_mode & (S_IRGRP | S_IROTH))) {
		log_warning("%s: UNPROTECTED KEY FILE: it has no passphrase and mode %04o lets others read it (anyone who can reach the TPM could sign with it): not used; fix with chmod 600 %s",
			    path, (unsigned)(st.st_mode & 07777), path);
		return TA_ERR_UNSAFE_PATH;
	}
	*ret = TAKE_PTR(kf);
	return 0;
}

/* has_pub, has_cert: NAME.pub, NAME-cert.pub are in the directory (as
 * its listing said: no open of a file that is not there).  *refused: a
 * file was refused with a warning (no index then: each listing warns
 * again, as a scan does). */
static int add_key(struct identity_list *l, const char *dir, const char *name, bool has_pub,
		   bool has_cert, bool *refused)
{
	_cleanup_free_ char *base = NULL, *pub_path = NULL, *cert_path = NULL;
	_cleanup_(identity_clear) struct identity id = { 0 };
	size_t at = 0;
	int r;

	if (asprintf(&id.path, "%s/%s", dir, name) < 0) {
		id.path = NULL;
		return TA_ERR_NOMEM;
	}
	base = strndup(id.path, strlen(id.path) - 4);
	if (!base || asprintf(&pub_path, "%s.pub", base) < 0 ||
	    asprintf(&cert_path, "%s-cert.pub", base) < 0)
		return TA_ERR_NOMEM;
	r = read_key_file(id.path, &id.kf);
	if (r == 0)
		r = identity_set_public(&id);
	if (r < 0) {
		log_debug_r(r, "%s: skipped", id.path);
		if (r == TA_ERR_UNSAFE_PATH)
			*refused = true;
		return r == TA_ERR_NOMEM ? r : 0;
	}
	id.comment = has_pub ? comment_from_pub(pub_path, id.key) : NULL;
	if (!id.comment)
		id.comment = strdup(id.kf->description ? id.kf->description : id.path);
	if (!id.comment)
		return TA_ERR_NOMEM;
	text_sanitize(id.comment);
	r = push(l, &id, &at);
	if (r < 0)
		return r;
	return has_cert ? add_cert(l, cert_path, at, refused) : 0;
}

static int visible_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

static int strcmp_p(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* NAME.tpm's sibling NAME<suffix> is among the sorted names. */
static bool sibling_listed(const char **sorted, size_t n, const char *tpm_name, const char *suffix)
{
	char want[NAME_MAX + 16];
	const char *key = want;
	size_t len = strlen(tpm_name) - 4;

	if (len + strlen(suffix) >= sizeof(want))
		return true; /* (cannot be named: let the open say) */
	memcpy(want, tpm_name, len);
	strcpy(want + len, suffix);
	return bsearch(&key, sorted, n, sizeof(*sorted), strcmp_p) != NULL;
}

/* The directory's visible names (scandir order) and the same sorted for
 * bsearch; an empty list for a missing directory. */
struct dir_names {
	struct dirent **names;
	const char **sorted;
	size_t n;
};

static void dir_names_free(struct dir_names *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->names);
	free(d->sorted);
	*d = (struct dir_names){ 0 };
}

static int dir_names_read(const char *dir, struct dir_names *ret)
{
	struct dirent **names = NULL;
	int n;

	*ret = (struct dir_names){ 0 };
	n = scandir(dir, &names, visible_filter, alphasort);
	if (n < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : TA_ERR_SYSTEM;
	ret->names = names;
	ret->n = (size_t)n;
	ret->sorted = calloc(ret->n + 1, sizeof(*ret->sorted));
	if (!ret->sorted) {
		dir_names_free(ret);
		return TA_ERR_NOMEM;
	}
	for (size_t i = 0; i < ret->n; i++)
		ret->sorted[i] = names[i]->d_name;
	qsort(ret->sorted, ret->n, sizeof(*ret->sorted), strcmp_p);
	return 0;
}

/* Whoever may write the directory may put keys (and certificates) there:
 * a directory others can change gives no identities (warned here). */
static bool dir_untrusted(const char *dir)
{
	struct stat st;
	const char *why;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || !(why = stat_untrusted(&st, false)))
		return false;
	log_warning("%s: key directory is %s (owner uid %u, mode %04o): its keys are not used; fix with %s %s",
		    dir, why, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
		    st.st_uid != geteuid() && st.st_uid != 0 ? "chown" : "chmod go-w", dir);
	return true;
}

/* dir/NAME<suffix> for NAME.tpm, stat'ed (following symlinks, as the
 * opens do); absent when it is not there. */
static int sibling_stat(const char *dir, const char *tpm_name, const char *suffix,
			struct keyidx_stat *ret)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;
	int len = (int)strlen(tpm_name) - 4;

	*ret = (struct keyidx_stat){ 0 };
	if (asprintf(&path, "%s/%.*s%s", dir, len, tpm_name, suffix) < 0)
		return TA_ERR_NOMEM;
	if (stat(path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : TA_ERR_SYSTEM;
	keyidx_stat_from(&st, ret);
	return 0;
}

/* The three files of one key as they stat now: siblings the listing d
 * does not name are absent, as the scan takes them (d NULL: each one
 * stat'ed -- the same answer, without a listing). */
static int key_files_stat(const char *dir, const struct dir_names *d, const char *name,
			  struct keyidx_file *f)
{
	int r;

	*f = (struct keyidx_file){ 0 };
	if ((r = sibling_stat(dir, name, ".tpm", &f->tpm)) < 0)
		return r;
	if ((!d || sibling_listed(d->sorted, d->n, name, ".pub")) &&
	    (r = sibling_stat(dir, name, ".pub", &f->pub)) < 0)
		return r;
	if ((!d || sibling_listed(d->sorted, d->n, name, "-cert.pub")) &&
	    (r = sibling_stat(dir, name, "-cert.pub", &f->cert)) < 0)
		return r;
	return 0;
}

/* f, an index entry, still stats as when it was scanned. */
static bool key_files_current(const char *dir, const struct dir_names *d,
			      const struct keyidx_file *f)
{
	struct keyidx_file now;

	return key_files_stat(dir, d, f->name, &now) == 0 && keyidx_stat_equal(&now.tpm, &f->tpm) &&
	       keyidx_stat_equal(&now.pub, &f->pub) && keyidx_stat_equal(&now.cert, &f->cert);
}

static void key_files_free(struct keyidx_file *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* The scan itself; with ret_files, each key's files stat'ed before they
 * are read (a change after that shows as a different stat next time).
 * *ret_partial: the list is not one to keep in an index (keys beyond
 * KEYDIR_MAX_KEYS left out, or files refused with a warning). */
static int scan(const char *dir, const struct dir_names *d, struct identity_list **ret,
		struct keyidx_file **ret_files, size_t *ret_n_files, bool *ret_partial)
{
	bool partial = false;
	_cleanup_(identity_list_freep) struct identity_list *l = identity_list_new();
	struct keyidx_file *files = NULL;
	size_t n_files = 0;
	int r = 0;

	*ret = NULL;
	if (!l)
		return TA_ERR_NOMEM;
	if (ret_files && !(files = calloc(d->n + 1, sizeof(*files))))
		return TA_ERR_NOMEM;
	for (size_t i = 0; i < d->n && r == 0; i++) {
		const char *name = d->names[i]->d_name;

		if (!has_suffix(name, ".tpm"))
			continue;
		/* Room for a key and its certificate, else stop (and say so). */
		if (l->n + 2 > KEYDIR_MAX_KEYS) {
			log_warning("%s: more than %d keys; the rest are ignored",
				    dir, KEYDIR_MAX_KEYS);
			partial = true;
			break;
		}
		if (files) {
			r = key_files_stat(dir, d, name, &files[n_files]);
			if (r == 0 && !(files[n_files].name = strdup(name)))
				r = TA_ERR_NOMEM;
			if (r < 0)
				break;
			n_files++;
		}
		r = add_key(l, dir, name, sibling_listed(d->sorted, d->n, name, ".pub"),
			    sibling_listed(d->sorted, d->n, name, "-cert.pub"), &partial);
	}
	if (r < 0) {
		key_files_free(files, n_files);
		return r;
	}
	if (ret_files) {
		*ret_files = files;
		*ret_n_files = n_files;
	}
	if (ret_partial)
		*ret_partial = partial;
	*ret = TAKE_PTR(l);
	return 0;
}

int keydir_scan(const char *dir, struct identity_list **ret)
{
	return keydir_scan_indexed(dir, NULL, ret);
}

/* The index still describes the directory: the same key files in the
 * same order, each of their files statting the same. */
static bool index_current(const char *dir, const struct dir_names *d, const struct keyidx *x)
{
	size_t k = 0;

	for (size_t i = 0; i < d->n; i++) {
		const char *name = d->names[i]->d_name;

		if (!has_suffix(name, ".tpm"))
			continue;
		if (k >= x->n_files || strcmp(x->files[k].name, name) != 0 ||
		    !key_files_current(dir, d, &x->files[k]))
			return false;
		k++;
	}
	return k == x->n_files;
}

/* Scan and keep what was found in the index (a failure to write it only
 * costs the next handler a scan). */
static int scan_and_index(const char *dir, const struct dir_names *d, const char *idx_path,
			  struct identity_list **ret)
{
	struct keyidx_file *files = NULL;
	size_t n_files = 0;
	bool partial = false;
	int r;

	r = scan(dir, d, ret, idx_path ? &files : NULL, &n_files, &partial);
	if (r < 0 || !idx_path)
		return r;
	/* A list cut short must not stay behind either: a lookup trusts an
	 * index entry whose own files are unchanged. */
	if (partial) {
		if (unlink(idx_path) < 0 && errno != ENOENT)
			log_debug("%s: %s", idx_path, strerror(errno));
		key_files_free(files, n_files);
		return 0;
	}
	r = keyidx_write(idx_path, dir, files, n_files, *ret);
	if (r < 0)
		log_debug_r(r, "%s: key index not written", idx_path);
	key_files_free(files, n_files);
	return 0;
}

int keydir_scan_indexed(const char *dir, const char *idx_path, struct identity_list **ret)
{
	_cleanup_(dir_names_free) struct dir_names d = { 0 };
	_cleanup_(keyidx_freep) struct keyidx *x = NULL;
	int r;

	*ret = NULL;
	if (dir_untrusted(dir))
		return (*ret = identity_list_new()) ? 0 : TA_ERR_NOMEM;
	r = dir_names_read(dir, &d);
	if (r < 0)
		return r;
	if (idx_path && keyidx_read(idx_path, dir, &x) == 0 && index_current(dir, &d, x)) {
		*ret = TAKE_PTR(x->ids);
		return 0;
	}
	return scan_and_index(dir, &d, idx_path, ret);
}

int identity_load(struct identity *id)
{
	_cleanup_(identity_clear) struct identity got = { 0 };
	_cleanup_(sshkey_freep) struct sshkey *ck = NULL;
	int r;

	if (id->kf || id->added || id->fallback)
		return 0;
	r = read_key_file(id->path, &got.kf);
	if (r == 0)
		r = identity_set_public(&got);
	if (r < 0)
		return r;
	if (id->is_cert ? sshkey_cert_public_key(id->blob, id->blob_len, &ck) < 0 ||
				  !sshkey_equal(ck, got.key)
			: !buf_bytes_equal(got.blob, got.blob_len, id->blob, id->blob_len))
		return TA_ERR_KEY_NOT_FOUND; /* the file changed since */
	id->kf = TAKE_PTR(got.kf);
	id->key = TAKE_PTR(got.key);
	return 0;
}

/* l's identity for blob (its key file read) moved into a list of its
 * own in *ret: of one, or empty when l has none. */
static int take_found(struct identity_list *l, const uint8_t *blob, size_t len,
		      struct identity_list **ret)
{
	struct identity *id = (struct identity *)identity_list_find(l, blob, len);
	_cleanup_(identity_list_freep) struct identity_list *one = identity_list_new();
	int r;

	*ret = NULL;
	if (!one)
		return TA_ERR_NOMEM;
	if (id) {
		r = identity_load(id);
		if (r < 0)
			return r;
		one->v = malloc(sizeof(*one->v));
		if (!one->v)
			return TA_ERR_NOMEM;
		one->v[0] = *id;
		one->n = 1;
		memset(id, 0, sizeof(*id));
	}
	*ret = TAKE_PTR(one);
	return 0;
}

/* The index entry of the key file an identity came from, or NULL. */
static const struct keyidx_file *index_entry(const struct keyidx *x, const struct identity *id)
{
	const char *name = strrchr(id->path, '/') + 1;

	for (size_t i = 0; i < x->n_files; i++)
		if (strcmp(x->files[i].name, name) == 0)
			return &x->files[i];
	return NULL;
}

int keydir_lookup(const char *dir, const char *idx_path, const uint8_t *blob, size_t len,
		  struct identity_list **ret)
{
	_cleanup_(dir_names_free) struct dir_names d = { 0 };
	_cleanup_(keyidx_freep) struct keyidx *x = NULL;
	_cleanup_(identity_list_freep) struct identity_list *l = NULL;
	const struct identity *hit;
	const struct keyidx_file *f;
	bool none_indexed = false;
	int r;

	*ret = NULL;
	if (dir_untrusted(dir))
		return (*ret = identity_list_new()) ? 0 : TA_ERR_NOMEM;
	if (idx_path && keyidx_read_for(idx_path, dir, blob, len, &x) == 0) {
		hit = identity_list_find(x->ids, blob, len);
		/* Its key file and siblings as the index has them: then only
		 * that file is read, and checked to hold the key. */
		f = hit ? index_entry(x, hit) : NULL;
		if (f && key_files_current(dir, NULL, f) && take_found(x->ids, blob, len, ret) == 0 &&
		    (*ret)->n == 1)
			return 0;
		identity_list_free(*ret);
		*ret = NULL;
		none_indexed = !hit;
	}
	r = dir_names_read(dir, &d);
	if (r < 0)
		return r;
	/* Not in the index: believed only while the whole index is current. */
	if (none_indexed && index_current(dir, &d, x))
		return take_found(x->ids, blob, len, ret);
	r = scan_and_index(dir, &d, idx_path, &l);
	if (r < 0)
		return r;
	return take_found(l, blob, len, ret);
}
