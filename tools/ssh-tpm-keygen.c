/* SPDX-License-Identifier: MIT */
/* ssh-tpm-keygen - create TPM-wrapped SSH keys, change their passphrase,
 * print their public keys and list what the TPM supports.  Behaves like
 * ssh-keygen where the manual is silent.  This file parses the command
 * line and picks the mode (wireguard-tools wg.c); each mode has its file. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "cleanup.h"
#include "cli.h"
#include "err.h"
#include "fileio.h"
#include "keygen.h"
#include "log.h"
#include "sandbox.h"
#include "sysutil.h"
#include "tpm-cli.h"

static void usage(void)
{
	printf("usage: ssh-tpm-keygen [-q] [-o] [-t ecdsa|rsa] [-b BITS] [-C COMMENT] [-f FILE]\n"
	       "                      [-N NEW_PASSPHRASE] [--parent-handle PARENT]\n"
	       "                      [--pcrs [BANK:]PCR[,PCR...]] [--tcti CONF] [--swtpm]\n"
	       "                      [--tpm-timeout SECONDS]\n"
	       "       ssh-tpm-keygen -I|--import FILE [-f FILE] [-C COMMENT] [-P PASSPHRASE]\n"
	       "                      [-N NEW_PASSPHRASE] [--parent-handle PARENT]\n"
	       "       ssh-tpm-keygen --wrap FILE --wrap-with PARENT.pem -f FILE [-C COMMENT]\n"
	       "                      [-P PASSPHRASE] [-N NEW_PASSPHRASE] [--parent-handle PARENT]\n"
	       "       ssh-tpm-keygen -p [-f FILE] [-P OLD_PASSPHRASE] [-N NEW_PASSPHRASE]\n"
	       "       ssh-tpm-keygen -A [-f PREFIX] [--hierarchy HIERARCHY]\n"
	       "       ssh-tpm-keygen --print-pubkey FILE\n"
	       "       ssh-tpm-keygen --supported\n"
	       "Creates SSH keys wrapped by the TPM (FILE.tpm, FILE.pub).\n"
	       "\n"
	       "Options:\n"
	       "  -t ecdsa|rsa           the key type (default ecdsa)\n"
	       "  -b BITS                key size: 256, 384 or 521 (ecdsa); 2048 or more as\n"
	       "                         the TPM supports (rsa)\n"
	       "  -C COMMENT             the key's comment (default user@host)\n"
	       "  -f FILE                the key file (default ~/.ssh/id_TYPE); with -A, a\n"
	       "                         prefix for /etc/ssh\n"
	       "  -N NEW_PASSPHRASE      the new passphrase ('' for none)\n"
	       "  -P PASSPHRASE          the old passphrase (-p, --import, --wrap)\n"
	       "  -p                     change the passphrase of FILE\n"
	       "  -A                     create the missing host keys in /etc/ssh\n"
	       "  -I, --import FILE      wrap an existing OpenSSH or PEM private key with\n"
	       "                         this TPM\n"
	       "  --wrap FILE            wrap FILE for another machine's TPM, whose parent\n"
	       "                         key --wrap-with names\n"
	       "  --wrap-with PARENT.pem\n"
	       "                         the other TPM's parent public key (PEM)\n"
	       "  --parent-handle PARENT\n"
	       "                         owner, endorsement, null, platform or a\n"
	       "                         persistent handle 0x81XXXXXX (default owner)\n"
	       "  --hierarchy HIERARCHY  with -A: the public keys of the hierarchy's keys\n"
	       "  --pcrs [BANK:]PCR,...  seal the key to these PCRs' current values\n"
	       "  --print-pubkey FILE    print the public key of FILE\n"
	       "  --supported            list the key types and sizes the TPM supports\n"
	       "  -o, --owner-password   ask for the TPM owner password\n"
	       "  -q                     quiet\n"
	       "  -d                     log debug messages\n"
	       "  --tcti CONF            the TPM to use\n"
	       "  --swtpm                use a software TPM (for trying out, not secure)\n"
	       "  --tpm-timeout SECONDS  give up on a TPM that does not answer\n"
	       "  -h, --help             show this help\n"
	       "  --version              show the version\n");
}

/* --parent-handle: a hierarchy (its primary is made from the SRK
 * template, as for the owner) or a persistent key's handle. */
static int parse_parent(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	*ret = tpm_hierarchy_from_string(s);
	if (*ret)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 16);
	if (strncmp(s, "0x", 2) == 0 && !errno && !*end && (v >> 24) == 0x81 && v <= 0x81FFFFFFUL) {
		*ret = (uint32_t)v;
		return 0;
	}
	log_error("invalid --parent-handle '%s': use owner, endorsement, null, platform or a persistent handle 0x81000000-0x81ffffff",
		  s);
	return -1;
}

static int parse_argv(int argc, char **argv, struct keygen_args *a)
{
	enum { OPT_PRINT_PUBKEY = 0x100, OPT_SUPPORTED, OPT_PARENT_HANDLE, OPT_WRAP,
	       OPT_WRAP_WITH, OPT_HIERARCHY, OPT_PCRS };
	static const struct option opts[] = {
		{ "parent-handle", required_argument, NULL, OPT_PARENT_HANDLE },
		{ "import", required_argument, NULL, 'I' },
		{ "wrap", required_argument, NULL, OPT_WRAP },
		{ "wrap-with", required_argument, NULL, OPT_WRAP_WITH },
		{ "hierarchy", required_argument, NULL, OPT_HIERARCHY },
		{ "pcrs", required_argument, NULL, OPT_PCRS },
		{ "print-pubkey", required_argument, NULL, OPT_PRINT_PUBKEY },
		{ "supported", no_argument, NULL, OPT_SUPPORTED },
		{ "owner-password", no_argument, NULL, 'o' },
		CLI_COMMON_OPTIONS,
		TPM_CLI_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:b:C:f:N:P:I:Apqodh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			a->type = optarg;
			break;
		case 'b':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || v == 0 || v > UINT_MAX) {
				log_error("invalid -b value '%s': expected a number of bits",
					  optarg);
				return -1;
			}
			a->bits = (unsigned)v;
			break;
		case 'C':
			a->comment = optarg;
			break;
		case 'f':
			a->file = optarg;
			break;
		case 'N':
			secret_free(a->new_passphrase); /* the last -N counts */
			a->new_passphrase = strdup(optarg);
			/* Not readable in /proc/PID/cmdline while we run. */
			explicit_bzero(optarg, strlen(optarg));
			if (!a->new_passphrase)
				return -1;
			break;
		case 'P':
			secret_free(a->old_passphrase);
			a->old_passphrase = strdup(optarg);
			explicit_bzero(optarg, strlen(optarg));
			if (!a->old_passphrase)
				return -1;
			break;
		case 'p':
			a->change = true;
			break;
		case 'A':
			a->host_keys = true;
			break;
		case 'o':
			a->ask_owner = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'd':
			log_setup(NULL, LOG_LEVEL_DEBUG);
			break;
		case 'I':
			a->import = optarg;
			break;
		case OPT_WRAP:
			a->wrap = optarg;
			break;
		case OPT_WRAP_WITH:
			a->wrap_with = optarg;
			break;
		case OPT_HIERARCHY:
			if (tpm_cli_hierarchy(optarg, &a->hierarchy) < 0)
				return -1;
			a->hierarchy_name = optarg;
			break;
		case OPT_PCRS:
			if (tpm_pcrs_parse(optarg, &a->pcrs) < 0) {
				log_error("invalid --pcrs '%s': expected PCR numbers 0-23, comma-separated, optionally after a bank (sha1:, sha256:, sha384:, sha512:), e.g. 7 or sha256:7,11",
					  optarg);
				return -1;
			}
			a->with_pcrs = true;
			break;
		case OPT_PRINT_PUBKEY:
			a->print_pubkey = optarg;
			break;
		case OPT_SUPPORTED:
			a->supported = true;
			break;
		case OPT_PARENT_HANDLE:
			if (parse_parent(optarg, &a->parent) < 0)
				return -1;
			break;
		case 'h':
			usage();
			cli_exit_stdout();
		case CLI_OPT_VERSION:
			cli_version("ssh-tpm-keygen");
		default:
			if (tpm_cli_option(&a->tpm, c, optarg, argv) < 0)
				return -1;
		}
	}
	return cli_no_operands(argc, argv);
}

static const struct {
	int (*run)(const struct keygen_args *a);
	bool needs_tpm_auth; /* may ask for the owner password first */
} modes[] = {
	{ keygen_print_pubkey, false },
	{ keygen_supported, true },
	{ keygen_change_passphrase, true },
	{ keygen_create, true },
	{ keygen_host_keys, true },
	{ keygen_import, true },
	{ keygen_wrap, false },
};

int main(int argc, char **argv)
{
	struct keygen_args a = { .type = "ecdsa" };
	_cleanup_secret_ char *owner_pw = NULL;
	size_t mode;
	int ret;

	log_setup("ssh-tpm-keygen", LOG_LEVEL_INFO);
	/* Passphrases and the owner password pass through here. */
	no_core_dumps();
	/* Interrupted: no temporary key files left behind. */
	atomic_file_cleanup_on_signals();
	/* Keep prompts and messages in order when stdout is a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_argv(argc, argv, &a) < 0) {
		secret_free(a.new_passphrase);
		secret_free(a.old_passphrase);
		return CLI_EXIT_USAGE;
	}
	if (cli_take_owner_password(&owner_pw) < 0)
		return 1;
	a.tpm.owner_auth = owner_pw;
	if (a.host_keys + a.change + a.supported + !!a.print_pubkey + !!a.import + !!a.wrap > 1) {
		log_error("-A, -p, --import, --wrap, --supported and --print-pubkey are separate modes: give one");
		return CLI_EXIT_USAGE;
	}
	if (a.hierarchy && !a.host_keys) {
		log_error("--hierarchy goes with -A (host keys): the agent's --hierarchy offers these keys to clients");
		return CLI_EXIT_USAGE;
	}
	if (a.with_pcrs && (a.host_keys || a.change || a.supported || a.print_pubkey || a.import ||
			    a.wrap)) {
		/* A wrapped or imported key's policy is set where it is made:
		 * another machine cannot know this one's PCRs. */
		log_error("--pcrs goes with creating a key (not with -A, -p, --import, --wrap, --supported or --print-pubkey)");
		return CLI_EXIT_USAGE;
	}
	if (a.wrap_with && !a.wrap) {
		log_error("--wrap-with needs --wrap FILE: the key to wrap");
		return CLI_EXIT_USAGE;
	}
	mode = a.print_pubkey ? 0 : a.supported ? 1 : a.change ? 2 : a.host_keys ? 4 : a.import ? 5
	       : a.wrap ? 6 : 3;
	if (sandbox_keygen(&a) < 0)
		return 1;
	if (modes[mode].needs_tpm_auth && a.ask_owner && !a.tpm.owner_auth) {
		if (ask_passphrase("Enter the TPM owner password: ", ASK_ALLOW_STDIN,
				   NULL, &owner_pw) < 0) {
			log_error("no owner password given");
			return 1;
		}
		a.tpm.owner_auth = owner_pw;
	}
	ret = modes[mode].run(&a);
	secret_free(a.new_passphrase);
	secret_free(a.old_passphrase);
	return ret;
}
