/* SPDX-License-Identifier: MIT */
/* keygen-hostkeys.c - ssh-tpm-keygen -A [-f PREFIX]: the TPM host keys
 * PREFIX/etc/ssh/ssh_tpm_host_{ecdsa,rsa}_key.{tpm,pub} that do not exist
 * yet, like ssh-keygen -A.  No passphrase (sshd cannot type one); both
 * files 0600, because sshd reads the .pub named by HostKey as a private
 * key first and shouts about a readable one. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "fileio.h"
#include "hostkeys.h"
#include "keygen.h"
#include "keystore.h"
#include "log.h"
#include "sysutil.h"

/* The manual's progress lines: "2023/09/03 17:03:08 INFO ..." on stderr. */
static __attribute__((format(printf, 2, 3))) void progress(const struct keygen_args *a,
							   const char *fmt, ...)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	if (a->quiet)
		return;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y/%m/%d %H:%M:%S", &tm);
	fprintf(stderr, "%s INFO ", stamp);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A host .pub (0600: sshd reads it as a private key first), atomically. */
static int pub_write(int dirfd, const char *pub_path, const char *pub_name, const char *text)
{
	struct atomic_file f = ATOMIC_FILE_INIT;
	int r;

	r = atomic_file_open_at(dirfd, pub_name, pub_path, 0600, &f);
	if (r >= 0)
		r = atomic_file_finish(&f, text, strlen(text));
	if (r >= 0)
		r = atomic_file_commit(&f);
	atomic_file_discard(&f);
	if (r < 0) {
		log_error_r(r, "%s", pub_path);
		return -1;
	}
	return 0;
}

/* NAME.tpm is there but NAME.pub is not: write it from the key file. */
static int write_pub(const struct keygen_args *a, int dirfd, const char *key_path,
		     const char *pub_path, const char *pub_name)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	_cleanup_free_ char *text = NULL, *comment = NULL;
	int r;

	r = keyfile_read(key_path, &kf);
	if (r < 0) {
		log_error_r(r, "%s", key_path);
		return -1;
	}
	comment = kf->description && *kf->description ? strdup(kf->description)
						      : keygen_default_comment();
	if (!comment || keygen_pub_line(kf, comment, &text) < 0)
		return -1;
	if (pub_write(dirfd, pub_path, pub_name, text) < 0)
		return -1;
	progress(a, "Wrote public key %s", pub_path);
	return 0;
}

/* -A --hierarchy H: the public part of the hierarchy's key of this type
 * (no key file: the agent's --hierarchy H derives the key again). */
static int host_hier_key(const struct keygen_args *a, struct tpm **t, const struct hostkey_type *h,
			 int dirfd, const char *pub_path, const char *pub_name, const char *comment)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	_cleanup_free_ char *text = NULL;
	int r;

	progress(a, "Generating new hierarchy host key algorithm=%s hierarchy=%s", h->label,
		 a->hierarchy_name);
	if (!*t) {
		r = tpm_open(&a->tpm, t);
		if (r < 0)
			return report_tpm_error(&a->tpm, r), -1;
	}
	r = tpm_hier_key(*t, a->hierarchy, h->type == SSHKEY_RSA, &kf);
	if (r < 0)
		return report_tpm_error(&a->tpm, r), -1;
	if (keygen_pub_line(kf, comment, &text) < 0 || pub_write(dirfd, pub_path, pub_name, text) < 0)
		return -1;
	progress(a, "Wrote public key filename=%s", pub_path);
	return 0;
}

int keygen_host_keys(const struct keygen_args *a)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	_cleanup_free_ char *dir = NULL, *comment = NULL;
	_cleanup_close_ int dirfd = -1;
	int r, ret = 0;

	if (hostkey_dir(a->file, &dir) < 0)
		return 1;
	r = mkdir_parents(dir, 0755);
	/* Nobody but us and root may change the way to the keys. */
	if (r >= 0)
		r = path_check_chain(dir);
	if (r >= 0) {
		dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			r = TA_ERR_SYSTEM;
	}
	if (r < 0) {
		log_error_r(r, "%s", dir);
		return 1;
	}
	comment = keygen_default_comment();
	if (!comment)
		return 1;

	for (unsigned i = 0; i < hostkey_types_n; i++) {
		const struct hostkey_type *h = &hostkey_types[i];
		_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
		_cleanup_free_ char *key_name = NULL, *pub_name = NULL,
				    *key_path = NULL, *pub_path = NULL;
		bool has_key, has_pub;

		if (asprintf(&key_name, "ssh_tpm_host_%s_key.tpm", h->name) < 0 ||
		    asprintf(&pub_name, "ssh_tpm_host_%s_key.pub", h->name) < 0 ||
		    asprintf(&key_path, "%s/%s", dir, key_name) < 0 ||
		    asprintf(&pub_path, "%s/%s", dir, pub_name) < 0)
			return 1;
		has_key = exists_at(dirfd, key_name);
		has_pub = exists_at(dirfd, pub_name);
		if (has_key && has_pub)
			continue;
		if (a->hierarchy && has_key) {
			progress(a, "%s exists: leaving it alone (not a hierarchy key)", key_path);
			continue;
		}
		if (has_key) {
			if (write_pub(a, dirfd, key_path, pub_path, pub_name) < 0)
				ret = 1;
			continue;
		}
		if (a->hierarchy && !has_key && !has_pub) {
			if (host_hier_key(a, &t, h, dirfd, pub_path, pub_name, comment) < 0)
				ret = 1;
			continue;
		}
		if (has_pub) {
			/* Not ours to replace: perhaps the public part of a
			 * hierarchy key, which has no key file. */
			progress(a, "%s exists without %s: leaving it alone", pub_path, key_name);
			continue;
		}

		progress(a, "Generating new %s host key", h->label);
		if (!t) {
			r = tpm_open(&a->tpm, &t);
			if (r < 0)
				return report_tpm_error(&a->tpm, r);
		}
		r = keygen_new_key(t, h->type, h->bits, "", TA_RH_OWNER, NULL, TPM_KEY_NO_DA, &kf);
		if (r < 0) {
			report_tpm_error(&a->tpm, r);
			ret = 1;
			continue;
		}
		if (keygen_write_pair(dirfd, key_path, pub_path, 0600, kf, comment, NULL) < 0) {
			ret = 1;
			continue;
		}
		progress(a, "Wrote %s", key_path);
	}
	return ret;
}
