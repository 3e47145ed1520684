/* SPDX-License-Identifier: MIT */
/* ssh-tpm-hostkeys - the TPM host keys for sshd: print their public keys,
 * install the system units that serve them (--install-system-units) and
 * the sshd drop-in that uses them (--install-sshd-config).  -f PREFIX
 * reads and writes everything under PREFIX (as ssh-tpm-keygen -A -f
 * does); what the files say names the paths as the system sees them. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "err.h"
#include "fileio.h"
#include "hostkeys.h"
#include "keygen.h"
#include "keystore.h"
#include "log.h"
#include "sandbox.h"
#include "sysutil.h"
#include "units.h"

static const char *arg_prefix = "";
static const char default_socket[] = SYSTEM_AGENT_SOCKET;
static const char *arg_socket = default_socket;
static bool arg_install_units, arg_install_sshd;

static void usage(void)
{
	printf("usage: ssh-tpm-hostkeys [-f PREFIX]\n"
	       "       ssh-tpm-hostkeys --install-system-units [-f PREFIX]\n"
	       "       ssh-tpm-hostkeys --install-sshd-config [-f PREFIX] [-l SOCKET]\n"
	       "With no option, prints the TPM host keys' public keys.\n"
	       "\n"
	       "Options:\n"
	       "  --install-system-units  install the system units serving them into\n"
	       "                          %s\n"
	       "  --install-sshd-config   write %s/%s for sshd\n"
	       "  -f, --prefix PREFIX     read and write under PREFIX (PREFIX%s, ...)\n"
	       "  -l SOCKET               the agent socket sshd uses (default %s)\n"
	       "  -h, --help              show this help\n"
	       "  --version               show the version\n",
	       SYSTEMD_SYSTEM_UNIT_DIR, SSHD_DROPIN_DIR, SSHD_DROPIN_NAME, HOSTKEY_DIR,
	       SYSTEM_AGENT_SOCKET);
}

static int parse_argv(int argc, char **argv)
{
	enum { OPT_INSTALL_UNITS = 0x100, OPT_INSTALL_SSHD };
	static const struct option opts[] = {
		{ "install-system-units", no_argument, NULL, OPT_INSTALL_UNITS },
		{ "install-sshd-config", no_argument, NULL, OPT_INSTALL_SSHD },
		{ "prefix", required_argument, NULL, 'f' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			arg_prefix = optarg;
			break;
		case 'l':
			/* One plain word on an sshd_config line, absolute. */
			if (optarg[0] != '/' ||
			    strspn(optarg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					   "0123456789/._@:+-") != strlen(optarg)) {
				log_error("invalid -l '%s': an absolute socket path of letters, digits and /._@:+-",
					  optarg);
				return -1;
			}
			arg_socket = optarg;
			break;
		case OPT_INSTALL_UNITS:
			arg_install_units = true;
			break;
		case OPT_INSTALL_SSHD:
			arg_install_sshd = true;
			break;
		case 'h':
			usage();
			cli_exit_stdout();
		case CLI_OPT_VERSION:
			cli_version("ssh-tpm-hostkeys");
		default:
			log_getopt_error(c, argv);
			return -1;
		}
	}
	if (arg_install_units && arg_install_sshd) {
		log_error("--install-system-units and --install-sshd-config are separate steps: give one");
		return -1;
	}
	if (arg_socket != default_socket && !arg_install_sshd) {
		log_error("-l goes with --install-sshd-config: it is the socket the drop-in names");
		return -1;
	}
	return cli_no_operands(argc, argv);
}

/* PREFIX/etc/ssh/name exists as a regular file. */
static bool host_file(const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	return asprintf(&path, "%s/%s", dir, name) >= 0 && stat(path, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

static int print_keys(void)
{
	_cleanup_free_ char *dir = NULL;
	unsigned n = 0;
	int ret = 0;

	if (hostkey_dir(arg_prefix, &dir) < 0)
		return 1;
	for (unsigned i = 0; i < hostkey_types_n; i++) {
		_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
		_cleanup_free_ char *path = NULL, *line = NULL, *comment = NULL;
		int r;

		if (asprintf(&path, "%s/ssh_tpm_host_%s_key.tpm", dir, hostkey_types[i].name) < 0)
			return 1;
		r = keyfile_read(path, &kf);
		if (r < 0 && errno == ENOENT)
			continue;
		if (r >= 0) {
			comment = kf->description && *kf->description
					  ? strdup(kf->description)
					  : keygen_default_comment();
			r = comment ? keygen_pub_line(kf, comment, &line) : TA_ERR_NOMEM;
		}
		if (r < 0) {
			log_error_r(r, "%s", path);
			ret = 1;
			continue;
		}
		fputs(line, stdout);
		n++;
	}
	if (n == 0 && ret == 0) {
		log_error("no TPM host keys in %s: create them with ssh-tpm-keygen -A", dir);
		return 1;
	}
	return ret;
}

static int install_units(void)
{
	_cleanup_free_ char *dir = NULL, *bindir = NULL;
	int r;

	if (asprintf(&dir, "%s%s", arg_prefix, SYSTEMD_SYSTEM_UNIT_DIR) < 0)
		return 1;
	r = self_bindir(&bindir);
	if (r < 0) {
		log_error_r(r, "cannot find this program's path (/proc/self/exe)");
		return 1;
	}
	if (units_install(UNIT_SCOPE_SYSTEM, dir, bindir) < 0)
		return 1;
	printf("Enable with: systemctl enable --now ssh-tpm-agent.socket\n");
	return 0;
}

/* The first line of a regular file (at most size - 1 bytes; FIFOs and
 * devices are not opened for reading: nothing here may hang a boot). */
static bool first_line(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/* The algorithm of sshd's key dir/name is one a TPM host key has (bit i
 * of tpm_algs: hostkey_types[i]).  Its type comes from its .pub (an
 * ecdsa key of another curve is another algorithm), else its name. */
static bool shadowed(const char *dir, const char *name, unsigned tpm_algs)
{
	_cleanup_free_ char *path = NULL;
	char want[64], line[64];

	for (unsigned i = 0; i < hostkey_types_n; i++) {
		if (!(tpm_algs & (1u << i)))
			continue;
		snprintf(want, sizeof(want), "ssh_host_%s_key", hostkey_types[i].name);
		if (strcmp(name, want) != 0)
			continue;
		if (asprintf(&path, "%s/%s.pub", dir, name) < 0 ||
		    !first_line(path, line, sizeof(line)))
			return true;
		/* Only a P-256 software key shares the TPM ecdsa key's
		 * algorithm. */
		return hostkey_types[i].type != SSHKEY_ECDSA_P256 ||
		       strncmp(line, "ecdsa-sha2-nistp256 ", 20) == 0;
	}
	return false;
}

/* sshd reads drop-ins only through an Include in sshd_config (Debian's
 * and Fedora's have one at the top). */
static void check_include(const char *dir)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;

	if (asprintf(&path, "%s/sshd_config", dir) < 0)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 1024 * 1024 ||
	    !(text = malloc((size_t)st.st_size + 1)))
		return;
	n = read(fd, text, (size_t)st.st_size);
	if (n < 0)
		return;
	text[n] = '\0';
	if (!strstr(text, "sshd_config.d/"))
		log_warning("%s has no 'Include " SSHD_DROPIN_DIR "/*.conf': add it at the top, or sshd ignores the drop-in",
			    path);
}

static int install_sshd_config(void)
{
	_cleanup_free_ char *dir = NULL, *dropin_dir = NULL, *path = NULL, *text = NULL;
	char *t = NULL;
	size_t size = 0;
	unsigned n = 0, n_soft = 0, n_listed = 0, tpm_algs = 0;
	enum file_install how;
	FILE *f;
	int r;

	if (hostkey_dir(arg_prefix, &dir) < 0 ||
	    asprintf(&dropin_dir, "%s%s", arg_prefix, SSHD_DROPIN_DIR) < 0 ||
	    asprintf(&path, "%s/%s", dropin_dir, SSHD_DROPIN_NAME) < 0)
		return 1;
	f = open_memstream(&t, &size);
	if (!f)
		return 1;
	fprintf(f, "# Installed by ssh-tpm-hostkeys --install-sshd-config: SSH host keys\n"
		   "# held by the TPM, signed through ssh-tpm-agent.\n"
		   "HostKeyAgent %s\n", arg_socket);
	for (unsigned i = 0; i < hostkey_types_n; i++) {
		_cleanup_free_ char *key = NULL, *pub = NULL, *cert = NULL;
		const char *name = hostkey_types[i].name;

		if (asprintf(&key, "ssh_tpm_host_%s_key.tpm", name) < 0 ||
		    asprintf(&pub, "ssh_tpm_host_%s_key.pub", name) < 0 ||
		    asprintf(&cert, "ssh_tpm_host_%s_key-cert.pub", name) < 0)
			goto oom;
		if (!host_file(dir, key) || !host_file(dir, pub))
			continue;
		fprintf(f, "HostKey " HOSTKEY_DIR "/%s\n", pub);
		tpm_algs |= 1u << i;
		/* A fleet's SSH CA may have signed the TPM host key. */
		if (host_file(dir, cert))
			fprintf(f, "HostCertificate " HOSTKEY_DIR "/%s\n", cert);
		n++;
	}
	if (n == 0) {
		fclose(f);
		free(t);
		/* Never a drop-in without keys behind it. */
		log_error("no TPM host keys (.tpm and .pub) in %s: create them with ssh-tpm-keygen -A; %s not written",
			  dir, path);
		return 1;
	}
	/* Any HostKey line turns sshd's default keys off: they stay listed,
	 * so that sshd still starts when the agent is down -- except those
	 * of an algorithm a TPM key has, since sshd would sign with the
	 * software key while announcing the TPM one (clients see an
	 * incorrect signature). */
	fprintf(f, "# sshd's own keys (a HostKey line turns its defaults off), so that it\n"
		   "# still starts when the agent is down:\n");
	for (unsigned i = 0; i < sshd_default_keys_n; i++) {
		const char *name = sshd_default_keys[i];

		if (!host_file(dir, name))
			continue;
		n_soft++;
		if (shadowed(dir, name, tpm_algs)) {
			fprintf(f, "# (%s is left out: a TPM key has its algorithm)\n", name);
			continue;
		}
		fprintf(f, "HostKey " HOSTKEY_DIR "/%s\n", name);
		n_listed++;
	}
	if (n_soft == 0)
		log_warning("sshd has no host keys of its own in %s: without the agent it cannot start (it could not before either); if you make some later (ssh-keygen -A), run this again to list them",
			    dir);
	if (n_soft > 0 && n_listed == 0) {
		fclose(f);
		free(t);
		log_error("sshd's own host keys in %s all have the TPM keys' algorithms, so none can stay listed: sshd would have no key when the agent is down. Create one first (ssh-keygen -q -t ed25519 -N '' -f %s/ssh_host_ed25519_key); %s not written",
			  dir, dir, path);
		return 1;
	}
	if (fclose(f) != 0) {
		free(t);
		return 1;
	}
	text = t;
	/* Nothing another user could redirect on the way to the drop-in. */
	r = mkdir_parents(dropin_dir, 0755);
	if (r >= 0)
		r = path_check_chain(dropin_dir);
	if (r >= 0)
		r = file_install_text(dropin_dir, SSHD_DROPIN_NAME, text, 0644, &how);
	if (r < 0) {
		log_error_r(r, "cannot install %s", path);
		return 1;
	}
	if (how == FILE_INSTALL_UNCHANGED) {
		printf("Unchanged %s\n", path);
	} else {
		printf("Installed %s\n", path);
		printf("Restart sshd: systemctl restart sshd\n");
	}
	check_include(dir);
	return 0;
oom:
	fclose(f);
	free(t);
	return 1;
}

int main(int argc, char **argv)
{
	log_setup("ssh-tpm-hostkeys", LOG_LEVEL_INFO);
	/* Interrupted: no temporary files left in unit or config dirs. */
	atomic_file_cleanup_on_signals();
	if (parse_argv(argc, argv) < 0)
		return CLI_EXIT_USAGE;
	if (arg_install_units)
		return install_units();
	if (arg_install_sshd)
		return install_sshd_config();
	/* (The install modes write system configuration wherever -f says,
	 * making directories: they run unrestricted.) */
	if (sandbox_hostkeys(arg_prefix) < 0)
		return 1;
	return print_keys();
}
