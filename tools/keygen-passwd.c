/* SPDX-License-Identifier: MIT */
/* keygen-passwd.c - ssh-tpm-keygen -p: change a key's passphrase in the
 * TPM (TPM2_ObjectChangeAuth) and rewrite its file atomically. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ask.h"
#include "cache.h"
#include "cleanup.h"
#include "err.h"
#include "fileio.h"
#include "keygen.h"
#include "keystore.h"
#include "log.h"
#include "prompt.h"
#include "sandbox.h"

/* Forget any cached passphrase of this key (keyring; Secret Service when a
 * session bus is there).  Best effort: the cache may be in neither. */
static void drop_cached_passphrase(const struct tpm_keyfile *kf)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *fp = NULL;

	if (tpm_public_to_sshkey(&kf->pub, &key) < 0 ||
	    sshkey_fingerprint(key, &fp) < 0)
		return;
	cache_forget(CACHE_PASSPHRASE, fp);
}

/* dirfd/NAME still is the file described by st (no symlink). */
static bool same_file_at(int dirfd, const char *name, const struct stat *st)
{
	struct stat now;

	return fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	       now.st_dev == st->st_dev && now.st_ino == st->st_ino;
}

/* Read the key at real (a path without symlinks) and open its directory,
 * making sure the directory holds the file that was read. */
static int open_key_in_dir(const char *real, int *ret_dirfd,
			   struct tpm_keyfile **ret_kf, struct stat *ret_st)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	_cleanup_close_ int fd = -1, dirfd = -1;
	_cleanup_free_ char *copy = strdup(real);
	struct stat st;
	int r;

	if (!copy)
		return TA_ERR_NOMEM;
	fd = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return TA_ERR_SYSTEM;
	r = keyfile_read_fd(fd, &kf);
	if (r < 0)
		return r;
	r = atomic_dir_open(real, &dirfd);
	if (r < 0)
		return r;
	if (!same_file_at(dirfd, basename(copy), &st)) {
		log_error("%s: the key file changed while it was read; not touching it", real);
		return TA_ERR_CANCELLED;
	}
	*ret_dirfd = TAKE_FD(dirfd);
	*ret_kf = TAKE_PTR(kf);
	*ret_st = st;
	return 0;
}

int keygen_change_passphrase(const struct keygen_args *a)
{
	_cleanup_free_ char *path = NULL, *entered = NULL, *def = NULL,
			    *prompt = NULL, *pem = NULL, *real = NULL;
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL, *nk = NULL;
	struct stat st = { 0 };
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	struct atomic_file out = ATOMIC_FILE_INIT;
	_cleanup_close_ int dirfd = -1;
	char *old = NULL, *new = NULL;
	size_t n, pem_len;
	mode_t mode;
	int r, ret = 1;

	if (a->file) {
		path = strdup(a->file);
	} else {
		if (asprintf(&def, "%s/.ssh/id_ecdsa", home_dir()) < 0 ||
		    asprintf(&prompt, "Enter file in which the key is (%s): ", def) < 0)
			return 1;
		if (prompt_line(prompt, &entered) < 0) {
			log_error("no file name given");
			return 1;
		}
		path = strdup(*entered ? entered : def);
	}
	if (!path)
		return 1;
	n = strlen(path);
	if (n < 4 || strcmp(path + n - 4, ".tpm") != 0) {
		char *p2;

		if (asprintf(&p2, "%s.tpm", path) < 0)
			return 1;
		free(path);
		path = p2;
	}
	/* The real file (not a symlink to it) is rewritten, in the directory
	 * it is in now: that directory is opened once and checked to hold
	 * the very file read, and the new file is written, renamed and
	 * re-checked relative to it.  Swapping a directory or a symlink on
	 * the path while we wait for a passphrase changes nothing. */
	/* SSH_TPM_LANDLOCK: restricted once the file is named. */
	if (!a->file && sandbox_keygen_file(a, path) < 0)
		return 1;
	real = realpath(path, NULL);
	if (!real) {
		log_error_r(TA_ERR_SYSTEM, "%s", path);
		return 1;
	}
	r = open_key_in_dir(real, &dirfd, &kf, &st);
	if (r < 0) {
		if (r != TA_ERR_CANCELLED) /* else already said */
			log_error_r(r, "%s", path);
		return 1;
	}
	/* A key whose policy has no PolicyAuthValue (a --pcrs key made
	 * without a passphrase): the TPM would never check a new one. */
	if (kf->n_policy && !tpm_policy_has_auth_value(kf)) {
		log_error("%s: the key's policy does not include TPM2_PolicyAuthValue: the TPM would never check a passphrase on it (make a new key with --pcrs and -N instead)",
			  path);
		return 1;
	}
	if (kf->empty_auth)
		old = strdup("");
	else if (a->old_passphrase)
		old = strdup(a->old_passphrase);
	else if ((r = ask_passphrase("Enter old passphrase: ", ASK_ALLOW_STDIN, NULL, &old)) < 0) {
		log_error_r(r, "old passphrase");
		return 1;
	}
	if (!old)
		return 1;
	/* One that cannot be right would only cost a dictionary-attack
	 * strike in the TPM: refuse it here. */
	if (!kf->empty_auth && !*old) {
		log_error("%s: the key has a passphrase; an empty old passphrase cannot be right (nothing sent to the TPM)",
			  path);
		goto out;
	}
	if (strlen(old) > tpm_auth_max(&kf->pub)) {
		log_error("%s: the old passphrase is longer than the %zu bytes this key can have: it cannot be right (nothing sent to the TPM)",
			  path, tpm_auth_max(&kf->pub));
		goto out;
	}
	if (a->new_passphrase)
		new = strdup(a->new_passphrase);
	else if ((r = ask_twice("Enter new passphrase (empty for no passphrase): ",
				    "Enter same passphrase again: ", &new)) < 0) {
		log_error_r(r, "new passphrase");
		goto out;
	}
	if (!new)
		goto out;
	if (strlen(new) > tpm_auth_max(&kf->pub)) {
		log_error("passphrase too long: the TPM takes at most %zu bytes as this key's passphrase",
			  tpm_auth_max(&kf->pub));
		goto out;
	}
	/* A key made without a passphrase is noDA: the TPM would not count
	 * wrong guesses at one given to it now. */
	if (*new && (kf->pub.publicArea.objectAttributes & TPMA_OBJECT_NODA)) {
		log_error("%s: the key was made without a passphrase, so the TPM does not count wrong guesses at it (noDA): a passphrase on it could be guessed without limit; make a new key with -N instead",
			  path);
		goto out;
	}

	/* Fail before the TPM does any work when the file cannot be written. */
	if (faccessat(dirfd, ".", W_OK, AT_EACCESS) < 0) {
		log_error_r(TA_ERR_SYSTEM, "%s: cannot write its directory", real);
		goto out;
	}
	r = tpm_open(&a->tpm, &t);
	if (r < 0) {
		report_tpm_error(&a->tpm, r);
		goto out;
	}
	{
		/* As for create: without a resource manager an interrupt
		 * waits until what the TPM loaded is released. */
		bool hold = tpm_needs_lock(t);
		sigset_t held;

		if (hold)
			atomic_file_hold_signals(&held);
		r = tpm_change_auth(t, kf, old, new, &nk);
		if (hold)
			atomic_file_release_signals(&held);
	}
	if (r == TA_ERR_TPM_AUTH) {
		log_error("%s: incorrect passphrase supplied (the TPM counted a failed attempt)",
			  path);
		goto out;
	}
	if (r < 0) {
		report_tpm_error(&a->tpm, r);
		goto out;
	}
	tpm_close(TAKE_PTR(t));
	/* The file is written after the TPM work (the old file still works
	 * if we stop before: ObjectChangeAuth makes a new private blob and
	 * leaves the old one valid).  Its mode is kept, less what no key
	 * may have: write access for others, and read access for others
	 * once it has no passphrase. */
	mode = st.st_mode & 0755;
	if (!*new)
		mode &= 0700;
	r = atomic_file_open_at(dirfd, basename(real), real, mode, &out);
	if (r < 0) {
		log_error_r(r, "%s: cannot create file", real);
		goto out;
	}
	if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(out.fd, st.st_uid, st.st_gid) < 0) {
		log_error_r(TA_ERR_SYSTEM, "%s: cannot keep the file's owner", real);
		goto out;
	}
	/* Keep a [4] description if the file had one (e.g. from the Go tool). */
	r = keyfile_to_pem(nk, nk->description != NULL, &pem, &pem_len);
	if (r == 0)
		r = atomic_file_finish(&out, pem, pem_len);
	if (r == 0 && !same_file_at(dirfd, basename(real), &st)) {
		log_error("%s: the key file was replaced while its passphrase was changed; not overwriting it",
			  real);
		goto out;
	}
	if (r == 0)
		r = atomic_file_commit(&out);
	if (r < 0) {
		log_error_r(r, "%s: write", path);
		goto out;
	}
	drop_cached_passphrase(kf);
	if (!a->quiet)
		printf("Your identification has been saved with the new passphrase.\n");
	ret = 0;
out:
	atomic_file_discard(&out);
	secret_free(old);
	secret_free(new);
	return ret;
}
