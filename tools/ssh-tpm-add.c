/* SPDX-License-Identifier: MIT */
/* ssh-tpm-add - add TPM keys to the running agent ($SSH_TPM_AUTH_SOCK,
 * else $SSH_AUTH_SOCK) through the "tpm-add-key" extension of the Go
 * ssh-tpm-agent (so either tool works with either agent): the key file's
 * contents travel, with NAME-cert.pub as a second identity when it is
 * there.  A key with a passphrase is asked for here, in the user's own
 * terminal (or askpass), checked once against the TPM, and put in the
 * kernel keyring's passphrase cache: a handler with no way to ask then
 * signs without asking. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "ask.h"
#include "cache.h"
#include "cleanup.h"
#include "cli.h"
#include "err.h"
#include "keygen.h"
#include "keystore.h"
#include "log.h"
#include "sandbox.h"
#include "sysutil.h"
#include "tpm-cli.h"

static bool arg_confirm;
static unsigned arg_lifetime;
static struct tpm_opts arg_tpm;

static void usage(void)
{
	printf("usage: ssh-tpm-add [-c] [-t LIFE] [--tcti CONF] [--swtpm] [--tpm-timeout SECONDS]\n"
	       "                   [FILE...]\n"
	       "Adds TPM keys (default ~/.ssh/id_ecdsa.tpm and ~/.ssh/id_rsa.tpm) to the\n"
	       "agent at $SSH_TPM_AUTH_SOCK, else $SSH_AUTH_SOCK.\n"
	       "\n"
	       "Options:\n"
	       "  -c                     every use must be confirmed (SSH_ASKPASS)\n"
	       "  -t LIFE                the agent forgets the keys after LIFE seconds\n"
	       "  --tcti CONF            the TPM that checks a passphrase\n"
	       "  --swtpm                use a software TPM (for trying out, not secure)\n"
	       "  --tpm-timeout SECONDS  give up on a TPM that does not answer\n"
	       "  -h, --help             show this help\n"
	       "  --version              show the version\n");
}

static int parse_argv(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		TPM_CLI_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ct:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			arg_confirm = true;
			break;
		case 't':
			if (cli_parse_seconds("-t", optarg, 365U * 86400, &arg_lifetime) < 0)
				return -1;
			break;
		case 'h':
			usage();
			cli_exit_stdout();
		case CLI_OPT_VERSION:
			cli_version("ssh-tpm-add");
		default:
			if (tpm_cli_option(&arg_tpm, c, optarg, argv) < 0)
				return -1;
		}
	}
	return optind;
}

static int agent_connect(void)
{
	const char *path = getenv("SSH_TPM_AUTH_SOCK");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!path || !*path)
		path = getenv("SSH_AUTH_SOCK");
	if (!path || !*path) {
		log_error("no agent: set SSH_TPM_AUTH_SOCK or SSH_AUTH_SOCK");
		return -1;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_error("%s: socket path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_error("cannot connect to the agent at %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One tpm-add-key request; 0 when the agent said SUCCESS. */
static int send_key(int fd, const uint8_t *der, size_t der_len, const uint8_t *cert,
		    size_t cert_len)
{
	_cleanup_(buf_freep) struct buf *m = buf_new(AGENT_MAX_LEN), *reply = buf_new(AGENT_MAX_LEN);
	uint8_t type;
	int r;

	if (!m || !reply)
		return TA_ERR_NOMEM;
	if ((r = buf_put_u8(m, SSH_AGENTC_EXTENSION)) < 0 ||
	    (r = buf_put_cstring(m, "tpm-add-key")) < 0 ||
	    (r = buf_put_u8(m, SSH_AGENTC_ADD_IDENTITY)) < 0 ||
	    (r = buf_put_cstring(m, "TPMKEY")) < 0 || (r = buf_put_string(m, der, der_len)) < 0 ||
	    (r = buf_put_string(m, cert, cert_len)) < 0)
		return r;
	if (arg_lifetime && ((r = buf_put_u8(m, SSH_AGENT_CONSTRAIN_LIFETIME)) < 0 ||
			     (r = buf_put_u32(m, arg_lifetime)) < 0))
		return r;
	if (arg_confirm && (r = buf_put_u8(m, SSH_AGENT_CONSTRAIN_CONFIRM)) < 0)
		return r;
	if ((r = frame_write(fd, m)) < 0 || (r = frame_read(fd, reply)) < 0 ||
	    (r = buf_get_u8(reply, &type)) < 0)
		return r;
	return type == SSH_AGENT_SUCCESS ? 0 : TA_ERR_CANCELLED;
}

/* The first line of a regular file of at most 64 KiB, or NULL (a FIFO or
 * a device in its place is not read: nothing here may hang or fill
 * memory). */
static char *first_line(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	char *buf;
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 65536)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	n = read(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* NAME.pub's comment, else the key file's description, else "". */
static char *key_comment(const char *base, const struct tpm_keyfile *kf)
{
	_cleanup_free_ char *pub = NULL, *line = NULL, *type = NULL, *comment = NULL;
	_cleanup_free_ uint8_t *blob = NULL;
	size_t blob_len;

	if (asprintf(&pub, "%s.pub", base) >= 0 && (line = first_line(pub)) &&
	    sshkey_parse_pub_line(line, &blob, &blob_len, &type, &comment) == 0 && comment)
		return TAKE_PTR(comment);
	return strdup(kf->description ? kf->description : "");
}

/* The key's passphrase, asked here and checked against the TPM once (a
 * wrong one costs one dictionary-attack strike and is refused), then put
 * in the kernel keyring's cache, where the agent's handlers look, for -t
 * seconds (else the cache's default). */
static int prime_passphrase(const char *path, struct tpm_keyfile *kf, const char *comment)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	_cleanup_(sshkey_freep) struct sshkey *key = NULL;
	_cleanup_(cache_closep) struct cache *cache = NULL;
	_cleanup_free_ char *prompt = NULL, *fp = NULL;
	uint8_t digest[64] = { 0 };
	struct tpm_sig sig;
	enum ta_hash hash;
	char *pass = NULL;
	int r;

	if ((r = tpm_public_to_sshkey(&kf->pub, &key)) < 0 || (r = sshkey_fingerprint(key, &fp)) < 0)
		return r;
	if (asprintf(&prompt, "Enter passphrase for %s: ", path) < 0)
		return TA_ERR_NOMEM;
	r = ask_passphrase(prompt, ASK_ALLOW_STDIN, NULL, &pass);
	ask_release_terminal();
	if (r < 0)
		return r;
	if (!*pass || strlen(pass) > tpm_auth_max(&kf->pub)) {
		secret_free(pass);
		return TA_ERR_TPM_AUTH;
	}
	hash = key->type == SSHKEY_RSA ? TA_HASH_SHA256 : sshkey_ecdsa_hash(key->type);
	r = tpm_open(&arg_tpm, &t);
	if (r >= 0)
		r = tpm_sign_digest(t, kf, pass, hash, digest, ta_hash_len(hash), &sig);
	/* With -t, for as long as the key: a key the agent still offers
	 * but no longer has the passphrase of would fail where nobody can
	 * be asked.  Else the cache's default. */
	if (r >= 0 && (r = cache_open(CACHE_KEYRING, arg_lifetime, &cache)) >= 0)
		r = cache_put_passphrase(cache, fp, comment, pass);
	secret_free(pass);
	return r;
}

static int add_one(int fd, const char *path, bool quiet_missing)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	_cleanup_free_ char *base = strdup(path), *comment = NULL, *cert_path = NULL,
			    *line = NULL, *ctype = NULL, *ccomment = NULL;
	_cleanup_free_ uint8_t *der = NULL, *cert = NULL;
	size_t der_len = 0, cert_len = 0, n;
	int r;

	if (!base)
		return 1;
	r = keyfile_read(path, &kf);
	if (r < 0) {
		if (quiet_missing && r == TA_ERR_SYSTEM && errno == ENOENT)
			return -1;
		log_error_r(r, "%s", path);
		return 1;
	}
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".tpm") == 0)
		base[n - 4] = '\0';
	comment = key_comment(base, kf);
	if (!comment)
		return 1;
	if (!kf->empty_auth) {
		r = prime_passphrase(path, kf, comment);
		if (r == TA_ERR_TPM_AUTH || r == TA_ERR_CANCELLED) {
			log_error("%s: wrong passphrase (or none given): not added", path);
			return 1;
		}
		if (r < 0)
			return report_tpm_error(&arg_tpm, r);
	}
	free(kf->description);
	kf->description = strdup(comment);
	if (!kf->description || keyfile_to_der(kf, true, &der, &der_len) < 0)
		return 1;
	if (send_key(fd, der, der_len, NULL, 0) < 0) {
		fprintf(stderr, "Could not add identity \"%s\": agent refused operation\n", path);
		return 1;
	}
	printf("Identity added: %s (%s)\n", path, comment);
	if (arg_lifetime)
		printf("Lifetime set to %u seconds\n", arg_lifetime);
	if (arg_confirm)
		printf("The user must confirm each use of the key\n");
	if (asprintf(&cert_path, "%s-cert.pub", base) < 0)
		return 1;
	if (access(cert_path, F_OK) < 0)
		return 0;
	line = first_line(cert_path);
	if (!line || sshkey_parse_pub_line(line, &cert, &cert_len, &ctype, &ccomment) < 0 ||
	    !strstr(ctype, "-cert-v01@openssh.com")) {
		log_error("%s: not a certificate", cert_path);
		return 1;
	}
	if (send_key(fd, der, der_len, cert, cert_len) < 0) {
		fprintf(stderr, "Could not add certificate \"%s\": agent refused operation\n", cert_path);
		return 1;
	}
	printf("Certificate added: %s\n", cert_path);
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_secret_ char *owner_pw = NULL;
	_cleanup_close_ int fd = -1;
	int first, ret = 0, found = 0;

	log_setup("ssh-tpm-add", LOG_LEVEL_INFO);
	no_core_dumps(); /* passphrases, the owner password */
	setvbuf(stdout, NULL, _IOLBF, 0);
	first = parse_argv(argc, argv);
	if (first < 0)
		return CLI_EXIT_USAGE;
	if (cli_take_owner_password(&owner_pw) < 0)
		return 1;
	arg_tpm.owner_auth = owner_pw;
	if (sandbox_add(&arg_tpm, argv + first, (size_t)(argc - first)) < 0)
		return 1;
	fd = agent_connect();
	if (fd < 0)
		return 1;
	if (first == argc) {
		static const char *const names[] = { "id_ecdsa.tpm", "id_rsa.tpm" };

		for (size_t i = 0; i < 2; i++) {
			_cleanup_free_ char *p = NULL;
			int r;

			if (asprintf(&p, "%s/.ssh/%s", home_dir(), names[i]) < 0)
				return 1;
			r = add_one(fd, p, true);
			if (r >= 0)
				found++;
			if (r > 0)
				ret = 1;
		}
		if (!found) {
			log_error("no TPM keys in %s/.ssh (id_ecdsa.tpm, id_rsa.tpm): name them", home_dir());
			return 1;
		}
		return ret;
	}
	for (int i = first; i < argc; i++)
		if (add_one(fd, argv[i], false) != 0)
			ret = 1;
	return ret;
}
