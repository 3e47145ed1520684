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

void identity_list_free(struct identity_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		identity_clear(&l->v[i]);
	free(l->v);
	free(l);
}

/* Key blobs of one type share their first bytes (type and curve names):
 * the last byte tells most apart without a memcmp call. */
static bool blob_equal(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	return a_len == b_len && (a_len == 0 || (a[a_len - 1] == b[b_len - 1] &&
						 memcmp(a, b, a_len) == 0));
}

const struct identity *identity_list_find(const struct identity_list *l,
					  const uint8_t *blob, size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (blob_equal(l->v[i].blob, l->v[i].blob_len, blob, len))
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
		if (blob_equal(l->v[i].blob, l->v[i].blob_len, id->blob, id->blob_len)) {
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
		    size_t plain_index)
{
	const struct identity *plain;
	_cleanup_free_ char *line = NULL, *type = NULL, *comment = NULL;
	_cleanup_free_ uint8_t *blob = NULL;
	_cleanup_(sshkey_freep) struct sshkey *ck = NULL;
	_cleanup_(identity_clear) struct identity id = { 0 };
	size_t blob_len;
	int r;

	plain = &l->v[plain_index];
	if (read_first_line(cert_path, &line, true) < 0)
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
 * its listing said: no open of a file that is not there). */
static int add_key(struct identity_list *l, const char *dir, const char *name, bool has_pub,
		   bool has_cert)
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
	return has_cert ? add_cert(l, cert_path, at) : 0;
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

int keydir_scan(const char *dir, struct identity_list **ret)
{
	_cleanup_(identity_list_freep) struct identity_list *l = NULL;
	struct dirent **names = NULL;
	const char **sorted = NULL;
	struct stat st;
	const char *why;
	int n, r = 0;

	*ret = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return TA_ERR_NOMEM;
	/* Whoever may write the directory may put keys (and certificates)
	 * there: a directory others can change gives no identities. */
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (why = stat_untrusted(&st, false))) {
		log_warning("%s: key directory is %s (owner uid %u, mode %04o): its keys are not used; fix with %s %s",
			    dir, why, (unsigned)st.st_uid,
			    (unsigned)(st.st_mode & 07777),
			    st.st_uid != geteuid() && st.st_uid != 0 ? "chown" : "chmod go-w",
			    dir);
		*ret = TAKE_PTR(l);
		return 0;
	}
	/* Every name, once: which .pub and -cert.pub files exist is then
	 * known without trying to open them. */
	n = scandir(dir, &names, visible_filter, alphasort);
	if (n < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			*ret = TAKE_PTR(l);
			return 0;
		}
		return TA_ERR_SYSTEM;
	}
	sorted = calloc((size_t)n + 1, sizeof(*sorted));
	if (!sorted)
		r = TA_ERR_NOMEM;
	for (int i = 0; sorted && i < n; i++)
		sorted[i] = names[i]->d_name;
	if (sorted)
		qsort(sorted, (size_t)n, sizeof(*sorted), strcmp_p);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (!has_suffix(name, ".tpm"))
			continue;
		/* Room for a key and its certificate, else stop (and say so). */
		if (r == 0 && l->n + 2 > KEYDIR_MAX_KEYS) {
			log_warning("%s: more than %d keys; the rest are ignored",
				    dir, KEYDIR_MAX_KEYS);
			r = 1;
		}
		if (r == 0)
			r = add_key(l, dir, name, sibling_listed(sorted, (size_t)n, name, ".pub"),
				    sibling_listed(sorted, (size_t)n, name, "-cert.pub"));
	}
	free(sorted);
	for (int i = 0; i < n; i++)
		free(names[i]);
	if (r > 0)
		r = 0;
	free(names);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(l);
	return 0;
}
