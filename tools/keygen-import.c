/* SPDX-License-Identifier: MIT */
/* keygen-import.c - ssh-tpm-keygen --import and --wrap.  --import PATH
 * takes an existing software key (OpenSSH, PEM or PKCS#8; ecdsa or rsa),
 * wraps it in software to this TPM's parent and imports it: NAME.tpm and
 * NAME.pub, with the source's public key and comment.  It also turns an
 * importable key file (from --wrap, here or on another machine) into a
 * loadable one.  --wrap KEY --wrap-with PARENT writes that importable file
 * for another machine's TPM, given its parent's public key; no TPM is
 * used. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ask.h"
#include "cleanup.h"
#include "err.h"
#include "fileio.h"
#include "keygen.h"
#include "keystore.h"
#include "log.h"
#include "privfile.h"
#include "tpm-import.h"

#define SOURCE_MAX (64 * 1024)

/* A whole regular file, at most SOURCE_MAX bytes, NUL-terminated. */
static int read_source(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int r;

	r = fd < 0 ? TA_ERR_SYSTEM : file_read_bounded(fd, SOURCE_MAX, ret, ret_len);
	if (r == TA_ERR_SYSTEM && errno == EINVAL)
		log_error("%s: not a regular file", path);
	else if (r == TA_ERR_TOO_LARGE)
		log_error("%s: larger than %d bytes: not a key file", path, SOURCE_MAX);
	else if (r < 0)
		log_error("%s: %s", path, r == TA_ERR_SYSTEM ? strerror(errno) : ta_strerror(r));
	return r < 0 ? -1 : 0;
}

static void source_freep(char **data)
{
	if (*data)
		erase_and_free(*data, SOURCE_MAX + 1);
}

/* What the TPM can hold, or one line saying why not. */
static int check_key_type(const char *path, EVP_PKEY *pk, const char *file_type)
{
	TPM2B_PUBLIC pub;

	if (tpm_key_public(pk, &pub) == 0)
		return 0;
	if (EVP_PKEY_is_a(pk, "ED25519") || strstr(file_type, "ed25519"))
		log_error("%s: ed25519 keys cannot be imported: a TPM 2.0 has no Ed25519 (it holds ecdsa P-256, P-384, P-521 and rsa 2048-4096 keys)",
			  path);
	else if (EVP_PKEY_is_a(pk, "RSA") && (EVP_PKEY_get_bits(pk) < 2048 || EVP_PKEY_get_bits(pk) > 4096 ||
					       EVP_PKEY_get_bits(pk) % 1024))
		log_error("%s: rsa %d keys cannot be imported: the TPM holds rsa keys of 2048, 3072 or 4096 bits",
			  path, EVP_PKEY_get_bits(pk));
	else if (EVP_PKEY_is_a(pk, "RSA"))
		log_error("%s: this rsa key cannot be imported: a TPM holds rsa keys of two primes with public exponent 65537",
			  path);
	else if (EVP_PKEY_is_a(pk, "EC"))
		log_error("%s: this ecdsa curve cannot be imported: the TPM holds P-256, P-384 and P-521 keys",
			  path);
	else
		log_error("%s: %s keys cannot be imported: the TPM holds ecdsa and rsa keys", path,
			  EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "these");
	return -1;
}

/* The private key of a software key file, asking for its passphrase
 * (three tries) unless -P gave one. */
static int load_private(const struct keygen_args *a, const char *path, const char *data,
			size_t len, struct privfile **ret)
{
	struct privfile_info info;
	int r;

	r = privfile_info(data, len, &info);
	if (r < 0) {
		log_error("%s: not a private key file (OpenSSH, PEM or PKCS#8) or a TSS2 key", path);
		return -1;
	}
	if (strcmp(info.type, "ssh-ed25519") == 0 || strcmp(info.type, "ssh-dss") == 0 ||
	    strcmp(info.type, "DSA") == 0 || strncmp(info.type, "sk-", 3) == 0) {
		log_error("%s: %s keys cannot be imported: a TPM 2.0 holds ecdsa (P-256, P-384, P-521) and rsa keys",
			  path,
			  strcmp(info.type, "ssh-ed25519") == 0 ? "ed25519"
			  : strncmp(info.type, "sk-", 3) == 0   ? "security key (sk-*)"
								: "dsa");
		return -1;
	}
	if (info.unsupported) {
		log_error("%s: encrypted with a cipher, KDF or bcrypt round count (at most %d) this tool does not read (see -d); decrypt it with ssh-keygen -p first",
			  path, PRIVFILE_MAX_ROUNDS);
		return -1;
	}
	for (int tries = 0;; tries++) {
		_cleanup_secret_ char *pass = NULL;
		_cleanup_free_ char *prompt = NULL;

		if (info.encrypted && a->old_passphrase) {
			pass = strdup(a->old_passphrase);
		} else if (info.encrypted) {
			if (asprintf(&prompt, "Enter passphrase for %s: ", path) < 0)
				return -1;
			r = ask_passphrase(prompt, ASK_ALLOW_STDIN, NULL, &pass);
			if (r < 0) {
				log_error_r(r, "%s: passphrase", path);
				return -1;
			}
		}
		if (info.encrypted && !pass)
			return -1;
		if (info.rounds > 64 && !a->quiet)
			fprintf(stderr, "Deriving the key of %s from its passphrase (%u bcrypt rounds)...\n",
				path, info.rounds);
		r = privfile_parse(data, len, pass, ret);
		if (r == TA_ERR_BAD_PASSPHRASE && !a->old_passphrase && tries < 2) {
			fprintf(stderr, "Wrong passphrase, try again.\n");
			continue;
		}
		ask_release_terminal();
		if (r == TA_ERR_UNSUPPORTED) {
			log_error("%s: encrypted with a cipher or KDF setting this tool does not read (see -d); decrypt it with ssh-keygen -p first",
				  path);
			return -1;
		}
		if (r == TA_ERR_KEY_MISMATCH) {
			log_error("%s: the public key in the file does not match its private key", path);
			return -1;
		}
		if (r == TA_ERR_KEY_TYPE) {
			log_error("%s: unsupported key type '%s': the TPM holds ecdsa and rsa keys", path,
				  *info.type ? info.type : "?");
			return -1;
		}
		if (r < 0) {
			log_error_r(r, "%s", path);
			return -1;
		}
		return check_key_type(path, (*ret)->pkey, info.type);
	}
}

/* The comment of the .pub file at "PREFIX.pub" (PREFIX the first len
 * bytes of path) when it holds key; else NULL. */
static char *pub_comment(const char *path, size_t len, const struct sshkey *key)
{
	_cleanup_free_ char *pub_path = NULL;
	char *comment = NULL;

	if (asprintf(&pub_path, "%.*s.pub", (int)len, path) < 0) {
		pub_path = NULL; /* undefined after a failure */
		return NULL;
	}
	if (keydir_read_pub(pub_path, key, &comment) == 0 && comment && *comment)
		return comment;
	free(comment);
	return NULL;
}

/* The comment: -C, the key file's own, that of the .pub next to it --
 * NAME.pub beside NAME (ssh-keygen's pair) or beside NAME.tpm (a
 * --wrap'ed pair) -- when it holds the same key, or user@host. */
static char *source_comment(const struct keygen_args *a, const char *path, const char *own,
			    const struct sshkey *key)
{
	size_t n = strlen(path);
	char *comment;

	if (a->comment)
		return strdup(a->comment);
	if (own && *own)
		return strdup(own);
	if ((comment = pub_comment(path, n, key)))
		return comment;
	if (n > 4 && strcmp(path + n - 4, ".tpm") == 0 && (comment = pub_comment(path, n - 4, key)))
		return comment;
	return keygen_default_comment();
}

static char *new_passphrase(const struct keygen_args *a)
{
	char *pass = NULL;
	int r;

	if (a->new_passphrase)
		return strdup(a->new_passphrase);
	r = ask_twice("Enter passphrase for the TPM key (empty for no passphrase): ",
		      "Enter same passphrase again: ", &pass);
	if (r < 0) {
		log_error_r(r, "passphrase");
		return NULL;
	}
	return pass;
}

static void print_result(const struct keygen_args *a, const struct keygen_targets *tg,
			 const char *fp)
{
	if (a->quiet)
		return;
	printf("Your identification has been saved in %s\n", tg->key_path);
	printf("Your public key has been saved in %s\n", tg->pub_path);
	printf("The key fingerprint is:\n%s\n", fp);
}

/* The TPM part of an import, with the cleanup signals held when the TPM
 * has no resource manager (as keygen_new_key). */
static int do_import(const struct keygen_args *a, struct evp_pkey_st *pk, const char *pass,
		     const struct tpm_keyfile *imp, const char *path, struct tpm_keyfile **ret)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	sigset_t old;
	bool hold;
	int r;

	r = tpm_open(&a->tpm, &t);
	if (r < 0)
		return report_tpm_error(&a->tpm, r), -1;
	if (pk) {
		TPM2B_PUBLIC pub;
		enum sshkey_type type;
		unsigned bits;

		if (tpm_key_public(pk, &pub) < 0 || tpm_public_type(&pub, &type, &bits) < 0)
			return -1;
		r = tpm_test_key_params(t, type, bits);
		if (r == TA_ERR_TPM_UNSUPPORTED_ALG) {
			log_error("%s %u keys are not supported by this TPM (see --supported)",
				  type == SSHKEY_RSA ? "rsa" : "ecdsa", bits);
			return -1;
		}
		if (r < 0)
			return report_tpm_error(&a->tpm, r), -1;
	}
	hold = tpm_needs_lock(t);
	if (hold)
		atomic_file_hold_signals(&old);
	r = pk ? tpm_import_key(t, pk, pass, a->parent, ret) : tpm_import_keyfile(t, imp, ret);
	if (hold)
		atomic_file_release_signals(&old);
	if (r == TA_ERR_TPM_UNREACHABLE)
		return report_tpm_error(&a->tpm, r), -1;
	if (r < 0) {
		log_error_r(r, "%s: import", path);
		return -1;
	}
	return 0;
}

int keygen_import(const struct keygen_args *a)
{
	_cleanup_(source_freep) char *data = NULL;
	_cleanup_(privfile_freep) struct privfile *pf = NULL;
	_cleanup_(keyfile_freep) struct tpm_keyfile *imp = NULL, *kf = NULL;
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_(keygen_targets_clear) struct keygen_targets tg = KEYGEN_TARGETS_INIT;
	_cleanup_free_ char *comment = NULL, *fp = NULL, *base = NULL;
	_cleanup_secret_ char *pass = NULL;
	struct keygen_replace may = { 0 };
	TPM2B_PUBLIC pub;
	size_t len;
	int r;

	if (read_source(a->import, &data, &len) < 0)
		return 1;
	r = keyfile_parse_flags(data, len, KEYFILE_IMPORTABLE_OK, &imp);
	if (r == 0 && !imp->importable) {
		log_error("%s: already a loadable TPM key: nothing to import", a->import);
		return 1;
	}
	if (r < 0 && r != TA_ERR_KEYFILE_PEM && r != TA_ERR_KEYFILE_LABEL) {
		log_error_r(r, "%s", a->import);
		return 1;
	}
	if (imp) {
		/* The TPM's rule for what it imports. */
		if (imp->pub.publicArea.objectAttributes &
		    (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT)) {
			log_error("%s: the key is fixedTPM or fixedParent: no TPM can import it", a->import);
			return 1;
		}
		if (!a->quiet)
			printf("Importing a wrapped public/private key pair.\n");
		pub = imp->pub;
		/* The importable file becomes its loadable form in place. */
		may.source = a->import;
	} else {
		if (!a->quiet)
			printf("Sealing an existing public/private key pair.\n");
		if (load_private(a, a->import, data, len, &pf) < 0 ||
		    tpm_key_public(pf->pkey, &pub) < 0)
			return 1;
	}
	r = tpm_public_to_sshkey(&pub, &key);
	if (r < 0) {
		log_error_r(r, "%s", a->import);
		return 1;
	}
	may.pub = key;

	/* The output: -f, else next to the source (NAME.tpm beside NAME). */
	base = strdup(a->file ? a->file : a->import);
	if (!base || keygen_targets_open(base, &may, &tg) < 0)
		return 1;
	comment = source_comment(a, a->import, imp ? imp->description : pf->comment, key);
	if (!comment)
		return 1;
	if (!imp) {
		pass = new_passphrase(a);
		if (!pass)
			return 1;
		if (strlen(pass) > TPM_NEW_KEY_AUTH_MAX) {
			log_error("passphrase too long: the TPM takes at most %d bytes as a key's passphrase",
				  TPM_NEW_KEY_AUTH_MAX);
			return 1;
		}
	}
	if (do_import(a, pf ? pf->pkey : NULL, pass, imp, a->import, &kf) < 0)
		return 1;
	if (keygen_write_pair(tg.dirfd, tg.key_path, tg.pub_path, 0644, kf, comment, &fp) < 0)
		return 1;
	print_result(a, &tg, fp);
	return 0;
}

int keygen_wrap(const struct keygen_args *a)
{
	_cleanup_(source_freep) char *data = NULL;
	_cleanup_(source_freep) char *parent_data = NULL;
	_cleanup_free_ char *comment = NULL, *fp = NULL;
	_cleanup_(privfile_freep) struct privfile *pf = NULL;
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	_cleanup_(keygen_targets_clear) struct keygen_targets tg = KEYGEN_TARGETS_INIT;
	_cleanup_secret_ char *pass = NULL;
	TPMT_PUBLIC parent;
	size_t len, parent_len;
	bool rsa_parent;
	int r;

	if (!a->wrap_with) {
		log_error("--wrap needs --wrap-with PARENT: the target TPM's parent public key");
		return 1;
	}
	if (!a->file) {
		log_error("--wrap needs -f FILE: where to write the wrapped key");
		return 1;
	}
	if (read_source(a->wrap_with, &parent_data, &parent_len) < 0)
		return 1;
	r = tpm_parent_public_parse(parent_data, parent_len, &parent, &rsa_parent);
	if (r == TA_ERR_KEY_TYPE) {
		log_error("%s: the parent must be an ECC P-256 or RSA-2048 (exponent 65537) public key",
			  a->wrap_with);
		return 1;
	}
	if (r < 0) {
		log_error("%s: not a parent public key: expected a PEM public key (tpm2_createprimary -f pem, tpm2_readpublic -f pem) or a TPM2B_PUBLIC of a storage key",
			  a->wrap_with);
		return 1;
	}
	if ((!a->parent || (a->parent >> 24) == 0x40) && !tpm_parent_is_srk_template(&parent)) {
		log_error("%s: not the SRK a hierarchy makes (the TCG template): give the persistent handle this key lives at (--parent-handle 0x81...)",
			  a->wrap_with);
		return 1;
	}
	if (read_source(a->wrap, &data, &len) < 0)
		return 1;
	if (!a->quiet)
		printf("Wrapping an existing public/private key pair for import.\n");
	if (load_private(a, a->wrap, data, len, &pf) < 0)
		return 1;
	if (keygen_targets_open(a->file, NULL, &tg) < 0)
		return 1;
	{
		_cleanup_(sshkey_freep) struct sshkey *key = NULL;
		TPM2B_PUBLIC pub;

		if (tpm_key_public(pf->pkey, &pub) < 0 || tpm_public_to_sshkey(&pub, &key) < 0)
			return 1;
		comment = source_comment(a, a->wrap, pf->comment, key);
	}
	pass = new_passphrase(a);
	if (!comment || !pass)
		return 1;
	if (strlen(pass) > TPM_NEW_KEY_AUTH_MAX) {
		log_error("passphrase too long: the TPM takes at most %d bytes as a key's passphrase",
			  TPM_NEW_KEY_AUTH_MAX);
		return 1;
	}
	kf = calloc(1, sizeof(*kf));
	if (!kf)
		return 1;
	kf->importable = true;
	kf->parent = a->parent ? a->parent : TA_RH_OWNER;
	/* A permanent parent is rebuilt on the target from the template of
	 * the parent's type: [5] rsaParent says RSA. */
	kf->rsa_parent = rsa_parent && (kf->parent >> 24) == 0x40;
	kf->empty_auth = *pass == '\0';
	r = tpm_wrap_key(pf->pkey, pass, &parent, &kf->pub, &kf->priv, &kf->secret);
	if (r < 0) {
		log_error_r(r, "wrap %s", a->wrap);
		return 1;
	}
	if (keygen_write_pair(tg.dirfd, tg.key_path, tg.pub_path, 0644, kf, comment, &fp) < 0)
		return 1;
	print_result(a, &tg, fp);
	if (!a->quiet)
		printf("On the machine of that TPM: ssh-tpm-keygen --import %s\n", tg.key_path);
	return 0;
}
