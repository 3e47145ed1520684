/* SPDX-License-Identifier: MIT */
/* keygen-util.c - helpers of the ssh-tpm-keygen modes: TPM errors in
 * one line, asking for a new passphrase twice, making a key and writing
 * its two files. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ask.h"
#include "cleanup.h"
#include "err.h"
#include "fileio.h"
#include "keygen.h"
#include "keystore.h"
#include "log.h"
#include "prompt.h"

int report_tpm_error(const struct tpm_opts *tpm, int r)
{
	_cleanup_free_ char *tcti = NULL;

	if (r == TA_ERR_TPM_UNREACHABLE) {
		tpm_describe_tcti(tpm, &tcti);
		log_error("cannot reach the TPM (TCTI '%s'): is a TPM present? Try --tcti or --swtpm",
			  tcti ? tcti : "default: /dev/tpmrm0, tabrmd on a D-Bus system bus, /dev/tpm0");
	} else {
		log_error_r(r, "TPM");
	}
	return 1;
}

/* Ask for a passphrase twice, like ssh-keygen; three tries. */
int ask_twice(const char *first, const char *again, char **ret)
{
	for (int tries = 0; tries < 3; tries++) {
		char *p1 = NULL, *p2 = NULL;
		int r;

		r = ask_passphrase(first, ASK_ALLOW_STDIN, NULL, &p1);
		if (r < 0)
			return r;
		r = ask_passphrase(again, ASK_ALLOW_STDIN, NULL, &p2);
		if (r < 0) {
			secret_free(p1);
			return r;
		}
		if (strcmp(p1, p2) == 0) {
			secret_free(p2);
			ask_release_terminal();
			*ret = p1;
			return 0;
		}
		secret_free(p1);
		secret_free(p2);
		fprintf(stderr, "Passphrases do not match.  Try again.\n");
	}
	ask_release_terminal();
	return TA_ERR_CANCELLED;
}


char *keygen_default_comment(void)
{
	char host[256] = "localhost";
	struct passwd *pw = getpwuid(geteuid());
	char *s;

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	if (asprintf(&s, "%s@%s", pw ? pw->pw_name : "user", host) < 0)
		return NULL;
	return s;
}

int keygen_new_key(struct tpm *t, enum sshkey_type type, unsigned bits,
		   const char *pass, uint32_t parent, const struct tpm_pcrs *pcrs,
		   unsigned flags, struct tpm_keyfile **ret)
{
	/* Without a resource manager nobody flushes what a process that died
	 * had loaded: an interrupt waits until the TPM work is done and
	 * released (SIGKILL cannot; the next user flushes those). */
	bool hold = tpm_needs_lock(t);
	sigset_t old;
	int r;

	if (hold)
		atomic_file_hold_signals(&old);
	r = tpm_create_key_pcrs(t, type, bits, pass, parent ? parent : TA_RH_OWNER, pcrs, flags,
				ret);
	if (hold)
		atomic_file_release_signals(&old);
	return r;
}

int keygen_pub_line(const struct tpm_keyfile *kf, const char *comment, char **ret)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *line = NULL;
	int r;

	r = tpm_public_to_sshkey(&kf->pub, &key);
	if (r >= 0)
		r = sshkey_format_pub(key, comment, &line);
	if (r < 0)
		return r;
	if (asprintf(ret, "%s\n", line) < 0)
		return TA_ERR_NOMEM;
	return 0;
}

int keygen_write_pair(int dirfd, const char *key_path, const char *pub_path,
		      mode_t pub_mode, struct tpm_keyfile *kf, const char *comment,
		      char **ret_fp)
{
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *pem = NULL, *pub_text = NULL, *fp = NULL,
			    *kp = strdup(key_path), *pp = strdup(pub_path);
	struct atomic_file key_file = ATOMIC_FILE_INIT, pub_file = ATOMIC_FILE_INIT;
	size_t pem_len;
	int r, ret = -1;

	if (!kp || !pp)
		return -1;
	free(kf->description);
	kf->description = strdup(comment);
	if (!kf->description)
		return -1;
	if ((r = tpm_public_to_sshkey(&kf->pub, &key)) < 0 ||
	    (r = keygen_pub_line(kf, comment, &pub_text)) < 0 ||
	    (r = sshkey_fingerprint(key, &fp)) < 0 ||
	    (r = keyfile_to_pem(kf, false, &pem, &pem_len)) < 0) {
		log_error_r(r, "encode key");
		return -1;
	}
	r = atomic_file_open_at(dirfd, basename(kp), key_path, 0600, &key_file);
	if (r < 0) {
		log_error_r(r, "%s: cannot create file", key_path);
		goto out;
	}
	r = atomic_file_open_at(dirfd, basename(pp), pub_path, pub_mode, &pub_file);
	if (r < 0) {
		log_error_r(r, "%s: cannot create file", pub_path);
		goto out;
	}
	r = atomic_file_finish(&key_file, pem, pem_len);
	if (r < 0) {
		log_error_r(r, "%s: write", key_path);
		goto out;
	}
	r = atomic_file_finish(&pub_file, pub_text, strlen(pub_text));
	if (r < 0) {
		log_error_r(r, "%s: write", pub_path);
		goto out;
	}
	r = atomic_file_commit_pair(&key_file, &pub_file);
	if (r < 0) {
		log_error_r(r, "%s: rename", key_path);
		goto out;
	}
	if (ret_fp)
		*ret_fp = TAKE_PTR(fp);
	ret = 0;
out:
	atomic_file_discard(&key_file);
	atomic_file_discard(&pub_file);
	return ret;
}

void keygen_targets_clear(struct keygen_targets *t)
{
	free(t->key_path);
	free(t->pub_path);
	if (t->dirfd >= 0)
		close(t->dirfd);
	*t = (struct keygen_targets)KEYGEN_TARGETS_INIT;
}

/* The key's two files may be created or replaced: each is missing, or a
 * regular file (or a link to one).  Never a directory: "-f dir/" or a
 * directory named NAME.tpm is refused the way ssh-keygen refuses it.
 * *ret_exists tells whether it is there. */
static int check_target(const char *path, struct stat *st, bool *ret_exists)
{
	*ret_exists = false;
	if (stat(path, st) < 0)
		return errno == ENOENT ? 0 : (log_error("%s: %s", path, strerror(errno)), -1);
	if (S_ISDIR(st->st_mode)) {
		log_error("%s: Is a directory", path);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		log_error("%s: not a regular file; not replacing it", path);
		return -1;
	}
	*ret_exists = true;
	return 0;
}

/* An existing .pub that already says this key (ssh-keygen's own, next to
 * an imported private key). */
static bool pub_is(const char *path, const struct sshkey *key)
{
	_cleanup_free_ char *comment = NULL;

	return key && keydir_read_pub(path, key, &comment) == 0;
}

int keygen_targets_open(const char *name, const struct keygen_replace *may,
			struct keygen_targets *ret)
{
	_cleanup_(keygen_targets_clear) struct keygen_targets t = KEYGEN_TARGETS_INIT;
	_cleanup_free_ char *base = strdup(name);
	struct stat kst, pst, sst;
	bool key_exists, pub_exists;
	size_t n;
	int r;

	if (!base)
		return -1;
	/* Accept "-f id_ecdsa.tpm" as well as "-f id_ecdsa". */
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".tpm") == 0)
		base[n - 4] = '\0';
	n = strlen(base);
	if (n == 0 || base[n - 1] == '/') {
		log_error("%s: Is a directory", *base ? base : ".");
		return -1;
	}
	if (asprintf(&t.key_path, "%s.tpm", base) < 0 || asprintf(&t.pub_path, "%s.pub", base) < 0)
		return -1;
	if (check_target(t.key_path, &kst, &key_exists) < 0 ||
	    check_target(t.pub_path, &pst, &pub_exists) < 0)
		return -1;
	/* Replaced without a question: the importable file being imported
	 * (it becomes its loadable form), a .pub naming the same key. */
	if (key_exists && may && may->source && stat(may->source, &sst) == 0 &&
	    sst.st_dev == kst.st_dev && sst.st_ino == kst.st_ino)
		key_exists = false;
	if (pub_exists && may && pub_is(t.pub_path, may->pub))
		pub_exists = false;
	if (key_exists || pub_exists) {
		printf("%s already exists.\n", key_exists ? t.key_path : t.pub_path);
		if (!prompt_yes("Overwrite (y/n)? ")) {
			log_error("%s: not overwritten", t.key_path);
			return -1;
		}
	}
	/* Both files go in this directory, opened once, now; fail before the
	 * TPM does any work when they cannot be written there. */
	r = atomic_dir_open(t.key_path, &t.dirfd);
	if (r == 0 && faccessat(t.dirfd, ".", W_OK, AT_EACCESS) < 0)
		r = TA_ERR_SYSTEM;
	if (r < 0) {
		log_error_r(r, "%s: cannot create file", t.key_path);
		return -1;
	}
	*ret = t;
	t = (struct keygen_targets)KEYGEN_TARGETS_INIT;
	return 0;
}
