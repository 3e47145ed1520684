/* ssh-tpm-keygen - create TPM-wrapped SSH keys, print their public keys and
 * list what the TPM supports.  Behaves like ssh-keygen where the manual is
 * silent. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ask.h"
#include "cache.h"
#include "cleanup.h"
#include "err.h"
#include "fileio.h"
#include "keystore.h"
#include "log.h"
#include "keygen.h"
#include "prompt.h"
#include "sysutil.h"

static const char *arg_type = "ecdsa";
static unsigned arg_bits;
static const char *arg_comment;
const char *arg_file;
char *arg_new_passphrase;
bool arg_quiet;
static const char *arg_print_pubkey;
static bool arg_supported;
static bool arg_change;
char *arg_old_passphrase;
static bool arg_ask_owner;
struct tpm_opts arg_tpm;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ssh-tpm-keygen [-q] [-o] [-t ecdsa|rsa] [-b bits] [-C comment] [-f file]\n"
		"                      [-N new_passphrase] [--tcti CONF] [--swtpm]\n"
		"                      [--tpm-timeout SECONDS]\n"
		"       ssh-tpm-keygen -p [-f file] [-P old_passphrase] [-N new_passphrase]\n"
		"       ssh-tpm-keygen --print-pubkey FILE\n"
		"       ssh-tpm-keygen --supported\n");
}

static int parse_argv(int argc, char **argv)
{
	enum { OPT_PRINT_PUBKEY = 0x100, OPT_SUPPORTED, OPT_TCTI, OPT_SWTPM,
	       OPT_TPM_TIMEOUT, OPT_HELP };
	static const struct option opts[] = {
		{ "print-pubkey", required_argument, NULL, OPT_PRINT_PUBKEY },
		{ "supported", no_argument, NULL, OPT_SUPPORTED },
		{ "tcti", required_argument, NULL, OPT_TCTI },
		{ "swtpm", no_argument, NULL, OPT_SWTPM },
		{ "tpm-timeout", required_argument, NULL, OPT_TPM_TIMEOUT },
		{ "owner-password", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:b:C:f:N:P:pqodh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			arg_type = optarg;
			break;
		case 'b':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || v == 0 || v > UINT_MAX) {
				log_error("invalid -b value '%s': expected a number of bits",
					  optarg);
				return -1;
			}
			arg_bits = (unsigned)v;
			break;
		case 'C':
			arg_comment = optarg;
			break;
		case 'f':
			arg_file = optarg;
			break;
		case 'N':
			arg_new_passphrase = strdup(optarg);
			/* Not readable in /proc/PID/cmdline while we run. */
			OPENSSL_cleanse(optarg, strlen(optarg));
			if (!arg_new_passphrase)
				return -1;
			break;
		case 'P':
			arg_old_passphrase = strdup(optarg);
			OPENSSL_cleanse(optarg, strlen(optarg));
			if (!arg_old_passphrase)
				return -1;
			break;
		case 'p':
			arg_change = true;
			break;
		case 'o':
			arg_ask_owner = true;
			break;
		case 'q':
			arg_quiet = true;
			break;
		case 'd':
			log_setup(NULL, LOG_LEVEL_DEBUG);
			break;
		case OPT_PRINT_PUBKEY:
			arg_print_pubkey = optarg;
			break;
		case OPT_SUPPORTED:
			arg_supported = true;
			break;
		case OPT_TCTI:
			arg_tpm.tcti = optarg;
			break;
		case OPT_SWTPM:
			arg_tpm.swtpm = true;
			break;
		case OPT_TPM_TIMEOUT:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || *optarg == '-' || v == 0 || v > 86400) {
				log_error("invalid --tpm-timeout '%s': expected seconds (1 .. 86400)",
					  optarg);
				return -1;
			}
			arg_tpm.timeout_s = (unsigned)v;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			log_getopt_error(c, argv);
			return -1;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s' (see --help)", argv[optind]);
		return -1;
	}
	return 0;
}

/* -t/-b -> key type and size, refusing what we cannot make. */
static int parse_key_spec(enum sshkey_type *ret_type, unsigned *ret_bits)
{
	if (strcmp(arg_type, "ecdsa") == 0) {
		switch (arg_bits) {
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
				  arg_bits);
			return -1;
		}
	}
	if (strcmp(arg_type, "rsa") == 0) {
		*ret_type = SSHKEY_RSA;
		*ret_bits = arg_bits ? arg_bits : 2048;
		if (*ret_bits < 2048 || *ret_bits > SSHKEY_MAX_RSA_BITS ||
		    *ret_bits % 8) {
			log_error("invalid -b %u for rsa: use 2048 or a larger size the TPM supports (see --supported)",
				  *ret_bits);
			return -1;
		}
		return 0;
	}
	log_error("unsupported key type '%s' (-t): the TPM can make ecdsa and rsa keys",
		  arg_type);
	return -1;
}

static char *default_comment(void)
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

int report_tpm_error(int r)
{
	_cleanup_free_ char *tcti = NULL;

	if (r == TA_ERR_TPM_UNREACHABLE) {
		tpm_resolve_tcti(&arg_tpm, &tcti);
		log_error("cannot reach the TPM (TCTI '%s'): is a TPM present? Try --tcti or --swtpm",
			  tcti ? tcti : "default: /dev/tpmrm0, /dev/tpm0, ...");
	} else {
		log_error_r(r, "TPM");
	}
	return 1;
}

static int do_print_pubkey(const char *path)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_free_ char *line = NULL;
	int r;

	r = keyfile_read(path, &kf);
	if (r >= 0)
		r = tpm_public_to_sshkey(&kf->pub, &key);
	if (r >= 0)
		r = sshkey_format_pub(key, kf->description, &line);
	if (r < 0) {
		log_error_r(r, "%s", path);
		return 1;
	}
	printf("%s\n", line);
	return 0;
}

static int do_supported(void)
{
	static const unsigned ecc_bits[] = { 256, 384, 521 };
	static const enum sshkey_type ecc_types[] = {
		SSHKEY_ECDSA_P256, SSHKEY_ECDSA_P384, SSHKEY_ECDSA_P521
	};
	static const unsigned rsa_bits[] = { 2048, 3072, 4096 };
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	int r;

	r = tpm_open(&arg_tpm, &t);
	if (r < 0)
		return report_tpm_error(r);
	printf("ecdsa bit lengths:");
	for (size_t i = 0; i < ELEMENTSOF(ecc_bits); i++) {
		r = tpm_test_key_params(t, ecc_types[i], ecc_bits[i]);
		if (r == 0)
			printf(" %u", ecc_bits[i]);
		else if (r != TA_ERR_TPM_UNSUPPORTED_ALG)
			return report_tpm_error(r);
	}
	printf("\nrsa bit lengths:");
	for (size_t i = 0; i < ELEMENTSOF(rsa_bits); i++) {
		r = tpm_test_key_params(t, SSHKEY_RSA, rsa_bits[i]);
		if (r == 0)
			printf(" %u", rsa_bits[i]);
		else if (r != TA_ERR_TPM_UNSUPPORTED_ALG)
			return report_tpm_error(r);
	}
	printf("\n");
	return 0;
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

/* The key's two files may be created or replaced: each is missing, or a
 * regular file (or a link to one).  Never a directory: "-f dir/" or a
 * directory named NAME.tpm is refused the way ssh-keygen refuses it. */
static int check_target(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : (log_error("%s: %s", path, strerror(errno)), -1);
	if (S_ISDIR(st.st_mode)) {
		log_error("%s: Is a directory", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file; not replacing it", path);
		return -1;
	}
	return 0;
}

/* Fail before the TPM does any work when the files cannot be written. */
static int check_writable_dir(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	const char *dir;

	if (!copy)
		return -1;
	dir = dirname(copy);
	if (access(dir, W_OK) < 0) {
		log_error("%s: cannot create file: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int do_create(void)
{
	_cleanup_free_ char *base = NULL, *key_path = NULL, *pub_path = NULL,
			    *comment = NULL, *pem = NULL, *pub_line = NULL,
			    *fp = NULL, *entered = NULL, *def = NULL;
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	struct atomic_file key_file = ATOMIC_FILE_INIT, pub_file = ATOMIC_FILE_INIT;
	_cleanup_close_ int dirfd = -1;
	char *pass = NULL;
	enum sshkey_type type;
	unsigned bits;
	size_t pem_len, n;
	int r, ret = 1;

	if (parse_key_spec(&type, &bits) < 0)
		return 1;
	if (!arg_quiet)
		printf("Generating a sealed public/private %s key pair.\n",
		       arg_type);

	if (arg_file) {
		base = strdup(arg_file);
	} else {
		_cleanup_free_ char *prompt = NULL;

		if (asprintf(&def, "%s/.ssh/id_%s", home_dir(), arg_type) < 0 ||
		    asprintf(&prompt, "Enter file in which to save the key (%s): ",
			     def) < 0)
			return 1;
		if (prompt_line(prompt, &entered) < 0) {
			log_error("no file name given");
			return 1;
		}
		base = strdup(*entered ? entered : def);
		if (!*entered) {
			/* Like ssh-keygen: create ~/.ssh for the default path. */
			_cleanup_free_ char *dir = NULL;

			if (asprintf(&dir, "%s/.ssh", home_dir()) >= 0)
				mkdir(dir, 0700);
		}
	}
	if (!base)
		return 1;
	/* Accept "-f id_ecdsa.tpm" as well as "-f id_ecdsa". */
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".tpm") == 0)
		base[n - 4] = '\0';
	n = strlen(base);
	if (n == 0 || base[n - 1] == '/') {
		log_error("%s: Is a directory", *base ? base : ".");
		return 1;
	}
	if (asprintf(&key_path, "%s.tpm", base) < 0 ||
	    asprintf(&pub_path, "%s.pub", base) < 0)
		return 1;
	if (check_target(key_path) < 0 || check_target(pub_path) < 0)
		return 1;

	if (access(key_path, F_OK) == 0 || access(pub_path, F_OK) == 0) {
		printf("%s already exists.\n",
		       access(key_path, F_OK) == 0 ? key_path : pub_path);
		if (!prompt_yes("Overwrite (y/n)? ")) {
			log_error("%s: not overwritten", key_path);
			return 1;
		}
	}
	if (check_writable_dir(key_path) < 0)
		return 1;

	if (arg_new_passphrase) {
		pass = strdup(arg_new_passphrase);
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

	comment = arg_comment ? strdup(arg_comment) : default_comment();
	if (!comment)
		goto out;

	/* The key first (the slow, interruptible part), files after. */
	r = tpm_open(&arg_tpm, &t);
	if (r < 0) {
		report_tpm_error(r);
		goto out;
	}
	r = tpm_test_key_params(t, type, bits);
	if (r == TA_ERR_TPM_UNSUPPORTED_ALG) {
		log_error("%s %u keys are not supported by this TPM (see --supported)",
			  arg_type, bits);
		goto out;
	}
	if (r < 0) {
		report_tpm_error(r);
		goto out;
	}
	{
		/* Without a resource manager nobody flushes what a process
		 * that died had loaded: an interrupt waits until the TPM
		 * work is done and released (SIGKILL cannot; the next user
		 * flushes those). */
		bool hold = tpm_needs_lock(t);
		sigset_t old;

		if (hold)
			atomic_file_hold_signals(&old);
		r = tpm_create_key(t, type, bits, pass, TA_RH_OWNER, &kf);
		if (hold)
			atomic_file_release_signals(&old);
	}
	if (r < 0) {
		report_tpm_error(r);
		goto out;
	}
	tpm_close(TAKE_PTR(t));
	kf->description = strdup(comment);
	if (!kf->description)
		goto out;

	if ((r = tpm_public_to_sshkey(&kf->pub, &key)) < 0 ||
	    (r = sshkey_format_pub(key, comment, &pub_line)) < 0 ||
	    (r = sshkey_fingerprint(key, &fp)) < 0 ||
	    (r = keyfile_to_pem(kf, false, &pem, &pem_len)) < 0) {
		log_error_r(r, "encode key");
		goto out;
	}
	/* Both files in one directory, opened once. */
	r = atomic_dir_open(key_path, &dirfd);
	if (r == 0)
		r = atomic_file_open_at(dirfd, basename(key_path), key_path, 0600,
					&key_file);
	if (r < 0) {
		log_error_r(r, "%s: cannot create file", key_path);
		goto out;
	}
	r = atomic_file_open_at(dirfd, basename(pub_path), pub_path, 0644, &pub_file);
	if (r < 0) {
		log_error_r(r, "%s: cannot create file", pub_path);
		goto out;
	}
	r = atomic_file_finish(&key_file, pem, pem_len);
	if (r < 0) {
		log_error_r(r, "%s: write", key_path);
		goto out;
	}
	{
		_cleanup_free_ char *text = NULL;

		if (asprintf(&text, "%s\n", pub_line) < 0)
			goto out;
		r = atomic_file_finish(&pub_file, text, strlen(text));
		if (r < 0) {
			log_error_r(r, "%s: write", pub_path);
			goto out;
		}
	}
	r = atomic_file_commit_pair(&key_file, &pub_file);
	if (r < 0) {
		log_error_r(r, "%s: rename", key_path);
		goto out;
	}

	if (!arg_quiet) {
		printf("Your identification has been saved in %s\n", key_path);
		printf("Your public key has been saved in %s\n", pub_path);
		printf("The key fingerprint is:\n%s\n", fp);
		printf("The key's randomart image is the color of television, tuned to a dead channel.\n");
	}
	ret = 0;
out:
	atomic_file_discard(&key_file);
	atomic_file_discard(&pub_file);
	secret_free(pass);
	return ret;
}

int main(int argc, char **argv)
{
	char *owner_pw = NULL, *env;
	int ret;

	log_setup("ssh-tpm-keygen", LOG_LEVEL_INFO);
	/* Interrupted: no temporary key files left behind. */
	atomic_file_cleanup_on_signals();
	/* Keep prompts and messages in order when stdout is a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_argv(argc, argv) < 0)
		return 1;
	env = getenv("SSH_TPM_AGENT_OWNER_PASSWORD");
	if (env && *env) {
		owner_pw = strdup(env);
		OPENSSL_cleanse(env, strlen(env));
		unsetenv("SSH_TPM_AGENT_OWNER_PASSWORD");
		if (!owner_pw)
			return 1;
		arg_tpm.owner_auth = owner_pw;
	}
	if (arg_print_pubkey) {
		secret_free(owner_pw);
		secret_free(arg_new_passphrase);
		secret_free(arg_old_passphrase);
		return do_print_pubkey(arg_print_pubkey);
	}
	if (arg_ask_owner && !arg_tpm.owner_auth) {
		if (ask_passphrase("Enter the TPM owner password: ", ASK_ALLOW_STDIN,
				   NULL, &owner_pw) < 0) {
			log_error("no owner password given");
			return 1;
		}
		arg_tpm.owner_auth = owner_pw;
	}
	if (arg_supported)
		ret = do_supported();
	else if (arg_change)
		ret = do_change_passphrase();
	else
		ret = do_create();
	secret_free(owner_pw);
	secret_free(arg_new_passphrase);
	secret_free(arg_old_passphrase);
	return ret;
}
