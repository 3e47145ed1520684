/* SPDX-License-Identifier: MIT */
/* ssh-tpm-generator - a systemd system generator (systemd.generator(7)):
 * at boot, when a TPM 2.0 is present and the feature is not turned off, it
 * wires ssh-tpm-genkeys.service (TPM host keys, then the sshd drop-in)
 * and the system ssh-tpm-agent.socket in before the distribution's sshd
 * unit.  Only .wants/ links and After= drop-ins (never Requires=), so
 * nothing here can stop sshd.  It writes only into the directory it is
 * handed, never touches the TPM, talks to no other process and logs only
 * on error.
 *
 * Inputs, each replaceable for tests: the kernel command line
 * ($SYSTEMD_PROC_CMDLINE, as systemd's own generators take it) and a root
 * for every file it reads ($SSH_TPM_GENERATOR_ROOT: sys/class/tpmrm, the
 * config file, the unit directories). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "generator.h"

/* The distributions' sshd units: Debian's ssh.service (sshd.service is
 * only its alias), Fedora's sshd.service, and the per-connection
 * templates of inetd-style setups. */
static const char *const sshd_units[] = {
	"ssh.service", "sshd.service", "ssh@.service", "sshd@.service",
};

/* A regular file's text, at most 1 MiB (NULL when missing, not a
 * regular file, unreadable or larger: said so unless missing). */
#define READ_MAX (1024 * 1024)
static char *read_small(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	size_t len = 0;
	char *buf;
	ssize_t n;

	if (fd < 0) {
		if (errno != ENOENT)
			gen_log("%s: %s: ignored", path, strerror(errno));
		return NULL;
	}
	/* /proc files report size 0: they are read to their end too. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		gen_log("%s: not a regular file: ignored", path);
		return NULL;
	}
	buf = malloc(READ_MAX + 1);
	if (!buf)
		return NULL;
	while (len < READ_MAX && (n = read(fd, buf + len, READ_MAX - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			gen_log("%s: %s: ignored", path, strerror(errno));
			free(buf);
			return NULL;
		}
		len += (size_t)n;
	}
	if (len == READ_MAX) {
		gen_log("%s: larger than %d bytes: ignored", path, READ_MAX);
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static bool enabled(const char *root)
{
	_cleanup_free_ char *path = NULL, *conf = NULL, *cmdline = NULL;
	const char *v = getenv("SYSTEMD_PROC_CMDLINE");
	int on = -1, c;

	if (asprintf(&path, "%s" GEN_CONFIG_FILE, root) < 0)
		return false;
	conf = read_small(path);
	if (conf)
		on = gen_config_hostkeys(conf, path);
	/* The kernel command line wins over the file, as in systemd. */
	if (!v)
		v = cmdline = read_small("/proc/cmdline");
	if (v && (c = gen_cmdline_hostkeys(v)) >= 0)
		on = c;
	return on != 0;
}

/* Wire our units in before sshd unit u.  0, or -1 after logging. */
static int wire_sshd(const char *dir, const char *u, const char *socket_path,
		     const char *genkeys_path)
{
	_cleanup_free_ char *wants_sock = NULL, *wants_gen = NULL, *dropin = NULL;
	int r = 0;

	if (asprintf(&wants_sock, "%s.wants/ssh-tpm-agent.socket", u) < 0 ||
	    asprintf(&wants_gen, "%s.wants/ssh-tpm-genkeys.service", u) < 0 ||
	    asprintf(&dropin, "%s.d/50-ssh-tpm-agent.conf", u) < 0)
		return -1;
	if (gen_symlink(dir, wants_sock, socket_path) < 0)
		r = -1;
	if (genkeys_path && gen_symlink(dir, wants_gen, genkeys_path) < 0)
		r = -1;
	if (gen_file(dir, dropin,
		     genkeys_path ? "[Unit]\nAfter=ssh-tpm-genkeys.service ssh-tpm-agent.socket\n"
				  : "[Unit]\nAfter=ssh-tpm-agent.socket\n") < 0)
		r = -1;
	return r;
}

int main(int argc, char **argv)
{
	_cleanup_free_ char *socket_path = NULL, *genkeys_path = NULL;
	const char *root = getenv("SSH_TPM_GENERATOR_ROOT"), *v;
	const char *wired[sizeof(sshd_units) / sizeof(sshd_units[0])];
	char *alias_of[sizeof(sshd_units) / sizeof(sshd_units[0])] = { NULL };
	size_t n_wired = 0;
	int r = 0;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("usage: %s NORMAL_DIR [EARLY_DIR LATE_DIR]\n"
		       "A systemd system generator: at boot, with a TPM 2.0 present, it orders\n"
		       "the TPM host keys (ssh-tpm-genkeys.service) and the system agent socket\n"
		       "(ssh-tpm-agent.socket) before sshd.  Off with %s=0 on the kernel\n"
		       "command line or %s=no in %s.\n"
		       "\n"
		       "Options:\n"
		       "  -h, --help     show this help\n"
		       "  --version      show the version\n",
		       GEN_NAME, GEN_CMDLINE_KEY, GEN_CONFIG_KEY, GEN_CONFIG_FILE);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("%s (ssh-tpm-agent) %s\n", GEN_NAME, TA_VERSION);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	/* An option other than those two is a usage error (systemd passes
	 * directories only). */
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-') {
			gen_log("unknown option '%s' (see --help)", argv[i]);
			return 2;
		}
	/* Like systemd's: one directory (all three the same) or three. */
	if (argc != 2 && argc != 4) {
		gen_log("expected one or three output directories (normal [early late]), got %d",
			  argc - 1);
		return 2;
	}
	if (!root)
		root = "";
	/* Host keys belong to the host: nothing in the initrd, nothing for a
	 * user manager. */
	if ((v = getenv("SYSTEMD_IN_INITRD")) && strcmp(v, "1") == 0)
		return 0;
	if ((v = getenv("SYSTEMD_SCOPE")) && strcmp(v, "system") != 0)
		return 0;
	if (!enabled(root) || !gen_tpm_present(root))
		return 0;
	/* Our socket must be installed (and not masked); genkeys is wired
	 * when it is there too. */
	{
		char *alias = NULL;

		if (gen_find_unit(root, "ssh-tpm-agent.socket", &socket_path, &alias) < 0)
			return 0;
		free(alias);
		alias = NULL;
		if (gen_find_unit(root, "ssh-tpm-genkeys.service", &genkeys_path, &alias) < 0)
			genkeys_path = NULL;
		free(alias);
	}

	for (size_t i = 0; i < sizeof(sshd_units) / sizeof(sshd_units[0]); i++) {
		_cleanup_free_ char *path = NULL;
		const char *name = sshd_units[i];
		bool dup = false;

		if (gen_find_unit(root, name, &path, &alias_of[i]) < 0)
			continue;
		/* Debian's sshd.service -> ssh.service: wire the unit under
		 * its own name (drop-ins on an alias are read only while the
		 * alias link exists). */
		if (alias_of[i])
			name = alias_of[i];
		for (size_t j = 0; j < n_wired; j++)
			dup = dup || strcmp(wired[j], name) == 0;
		if (dup)
			continue;
		wired[n_wired++] = name;
		if (wire_sshd(argv[1], name, socket_path, genkeys_path) < 0)
			r = -1;
	}
	/* No sshd: no host keys to serve. */
	if (n_wired > 0) {
		/* Listening from boot on, not only once sshd starts; keys made
		 * at boot, not at the first connection of a socket-activated
		 * sshd (an RSA key takes seconds). */
		if (gen_symlink(argv[1], "sockets.target.wants/ssh-tpm-agent.socket", socket_path) < 0)
			r = -1;
		if (genkeys_path &&
		    gen_symlink(argv[1], "multi-user.target.wants/ssh-tpm-genkeys.service",
				genkeys_path) < 0)
			r = -1;
	}
	for (size_t i = 0; i < sizeof(sshd_units) / sizeof(sshd_units[0]); i++)
		free(alias_of[i]);
	return r < 0 ? 1 : 0;
}
