/* SPDX-License-Identifier: MIT */
/* keygen-create.c - ssh-tpm-keygen (no mode flag): create a key in the
 * TPM and write NAME.tpm (0600) and NAME.pub (0644), like ssh-keygen.  The
 * key is made first; the two files are written after, relative to their
 * directory opened once, and committed together. */
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

#include "cleanup.h"
#include "err.h"
#include "fileio.h"
#include "keygen.h"
#include "keystore.h"
#include "log.h"
#include "prompt.h"
#include "sandbox.h"

/* -t/-b -> key type and size, refusing what we cannot make. */
static int parse_key_spec(const struct keygen_args *a, enum sshkey_type *ret_type,
			  unsigned *ret_bits)
{
	if (strcmp(a->type, "ecdsa") == 0) {
		switch (a->bits) {
		case 0:
		case 256:
			*ret_type = SSHKEY_ECDSA_P256;
			*ret_bits = 256;
			return 0;
		case 384:
			*ret_type = SSHKEY_ECDSA_P384;
			*ret_bits = 384;
			return 0;
		case 521:
			*ret_type = SSHKEY_ECDSA_P521;
			*ret_bits = 521;
			return 0;
		default:
			log_error("invalid -b %u for ecdsa: use 256, 384 or 521",
				  a->bits);
			return -1;
		}
	}
	if (strcmp(a->type, "rsa") == 0) {
		*ret_type = SSHKEY_RSA;
		*ret_bits = a->bits ? a->bits : 2048;
		if (*ret_bits < 2048 || *ret_bits > SSHKEY_MAX_RSA_BITS ||
		    *ret_bits % 8) {
			log_error("invalid -b %u for rsa: use 2048 or a larger size the TPM supports (see --supported)",
				  *ret_bits);
			return -1;
		}
		return 0;
	}
	log_error("unsupported key type '%s' (-t): the TPM can make ecdsa and rsa keys",
		  a->type);
	return -1;
}

int keygen_create(const struct keygen_args *a)
{
	_cleanup_free_ char *base = NULL, *comment = NULL, *fp = NULL, *entered = NULL,
			    *def = NULL;
	_cleanup_(keygen_targets_clear) struct keygen_targets tg = KEYGEN_TARGETS_INIT;
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	char *pass = NULL;
	enum sshkey_type type;
	unsigned bits;
	int r, ret = 1;

	if (parse_key_spec(a, &type, &bits) < 0)
		return 1;
	if (!a->quiet)
		printf("Generating a sealed public/private %s key pair.\n",
		       a->type);

	if (a->file) {
		base = strdup(a->file);
	} else {
		_cleanup_free_ char *prompt = NULL;

		if (asprintf(&def, "%s/.ssh/id_%s", home_dir(), a->type) < 0 ||
		    asprintf(&prompt, "Enter file in which to save the key (%s): ",
			     def) < 0)
			return 1;
		/* End of input counts as an empty answer: the default (as
		 * the Go tool does; `ssh-tpm-keygen -N '' </dev/null`). */
		if (prompt_line(prompt, &entered) < 0)
			putchar('\n');
		base = strdup(entered && *entered ? entered : def);
		if (!entered || !*entered) {
			/* Like ssh-keygen: create ~/.ssh for the default path. */
			_cleanup_free_ char *dir = NULL;

			if (asprintf(&dir, "%s/.ssh", home_dir()) >= 0)
				mkdir(dir, 0700);
		}
	}
	if (!base)
		return 1;
	/* SSH_TPM_LANDLOCK: restricted once the file is named. */
	if (!a->file && sandbox_keygen_file(a, base) < 0)
		return 1;
	if (keygen_targets_open(base, NULL, &tg) < 0)
		return 1;

	if (a->new_passphrase) {
		pass = strdup(a->new_passphrase);
		if (!pass)
			return 1;
	} else {
		r = ask_twice("Enter passphrase (empty for no passphrase): ",
			      "Confirm passphrase: ", &pass);
		if (r < 0) {
			log_error_r(r, "passphrase");
			return 1;
		}
	}
	if (strlen(pass) > TPM_NEW_KEY_AUTH_MAX) {
		log_error("passphrase too long: the TPM takes at most %d bytes as a key's passphrase",
			  TPM_NEW_KEY_AUTH_MAX);
		goto out;
	}

	comment = a->comment ? strdup(a->comment) : keygen_default_comment();
	if (!comment)
		goto out;

	/* The key first (the slow, interruptible part), files after. */
	r = tpm_open(&a->tpm, &t);
	if (r < 0) {
		report_tpm_error(&a->tpm, r);
		goto out;
	}
	r = tpm_test_key_params(t, type, bits);
	if (r == TA_ERR_TPM_UNSUPPORTED_ALG) {
		log_error("%s %u keys are not supported by this TPM (see --supported)",
			  a->type, bits);
		goto out;
	}
	if (r < 0) {
		report_tpm_error(&a->tpm, r);
		goto out;
	}
	if (a->parent == TA_RH_NULL)
		log_warning("a key under the null hierarchy is lost at the next TPM reset (reboot): for tests only");
	r = keygen_new_key(t, type, bits, pass, a->parent, a->with_pcrs ? &a->pcrs : NULL, 0, &kf);
	if (r < 0) {
		report_tpm_error(&a->tpm, r);
		goto out;
	}
	tpm_close(TAKE_PTR(t));
	if (keygen_write_pair(tg.dirfd, tg.key_path, tg.pub_path, 0644, kf, comment, &fp) < 0)
		goto out;

	if (!a->quiet) {
		printf("Your identification has been saved in %s\n", tg.key_path);
		printf("Your public key has been saved in %s\n", tg.pub_path);
		printf("The key fingerprint is:\n%s\n", fp);
		_cleanup_(sshkey_freep) struct sshkey *key = NULL;
		_cleanup_free_ char *art = NULL;

		if (tpm_public_to_sshkey(&kf->pub, &key) >= 0 && sshkey_randomart(key, &art) >= 0)
			printf("The key's randomart image is:\n%s\n", art);
	}
	ret = 0;
out:
	secret_free(pass);
	return ret;
}

