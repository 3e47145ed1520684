/* SPDX-License-Identifier: MIT */
/* landlock.c - Landlock rule sets (see landlock.h): the raw system calls,
 * the rights of each ABI (Debian 12's <linux/landlock.h> stops at ABI 2, so
 * the constants and structures are ours), what an exec needs, and the
 * rules every program of ours starts from. */
#include "landlock.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ask.h"
#include "err.h"
#include "log.h"
#include "sysutil.h"

/* The same numbers on every architecture (the generic syscall table). */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif

#define LL_CREATE_RULESET_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1

/* ABI 1 */
#define LL_FS_EXECUTE (1ull << 0)
#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_READ_FILE (1ull << 2)
#define LL_FS_READ_DIR (1ull << 3)
#define LL_FS_REMOVE_DIR (1ull << 4)
#define LL_FS_REMOVE_FILE (1ull << 5)
#define LL_FS_MAKE_CHAR (1ull << 6)
#define LL_FS_MAKE_DIR (1ull << 7)
#define LL_FS_MAKE_REG (1ull << 8)
#define LL_FS_MAKE_SOCK (1ull << 9)
#define LL_FS_MAKE_FIFO (1ull << 10)
#define LL_FS_MAKE_BLOCK (1ull << 11)
#define LL_FS_MAKE_SYM (1ull << 12)
#define LL_FS_ABI1 ((1ull << 13) - 1)
/* ABI 2: linking or renaming into another directory (denied outright at
 * ABI 1, whatever the rules). */
#define LL_FS_REFER (1ull << 13)
/* ABI 3: truncate(2), ftruncate(2), O_TRUNC. */
#define LL_FS_TRUNCATE (1ull << 14)
/* ABI 4: TCP ports. */
#define LL_NET_BIND_TCP (1ull << 0)
/* ABI 5: ioctl(2) on character and block devices. */
#define LL_FS_IOCTL_DEV (1ull << 15)
/* (ABI 6 adds scopes -- abstract unix sockets, signals -- that we leave
 * alone: an askpass reaches X11 and D-Bus through abstract sockets.  ABI 7
 * adds audit flags.) */

/* What a rule on a file (not a directory) may hold. */
#define LL_FS_FILE (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | \
		    LL_FS_IOCTL_DEV)

/* struct landlock_ruleset_attr of ABI 6; shorter sizes for older ABIs. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct landlock_rules {
	int fd;       /* -1: no Landlock here */
	int abi;
	int err;      /* why not, when fd is -1 */
	uint64_t fs;  /* the handled file-system rights */
	unsigned n;   /* rules added */
};

bool landlock_wanted(void)
{
	const char *v = getenv("SSH_TPM_LANDLOCK");

	return v && *v;
}

int landlock_abi(void)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);

	if (v <= 0) {
		if (v == 0)
			errno = ENOSYS;
		return 0;
	}
	return v > INT_MAX ? INT_MAX : (int)v;
}

int landlock_rules_new(struct landlock_rules **ret)
{
	_cleanup_(landlock_rules_freep) struct landlock_rules *rules = NULL;
	struct ll_ruleset_attr attr = { 0 };
	size_t size;

	*ret = NULL;
	rules = calloc(1, sizeof(*rules));
	if (!rules)
		return TA_ERR_NOMEM;
	rules->fd = -1;
	rules->abi = landlock_abi();
	if (!rules->abi) {
		rules->err = errno;
		*ret = TAKE_PTR(rules);
		return 0;
	}
	rules->fs = LL_FS_ABI1;
	if (rules->abi >= 2)
		rules->fs |= LL_FS_REFER;
	if (rules->abi >= 3)
		rules->fs |= LL_FS_TRUNCATE;
	if (rules->abi >= 5)
		rules->fs |= LL_FS_IOCTL_DEV;
	attr.handled_access_fs = rules->fs;
	/* A kernel refuses fields it does not know, even zero ones: give it
	 * the structure as long as its ABI has it. */
	size = offsetof(struct ll_ruleset_attr, handled_access_net);
	if (rules->abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	rules->fd = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
	if (rules->fd < 0)
		return TA_ERR_SYSTEM;
	*ret = TAKE_PTR(rules);
	return 0;
}

void landlock_rules_free(struct landlock_rules *rules)
{
	if (!rules)
		return;
	if (rules->fd >= 0)
		close(rules->fd);
	free(rules);
}

static uint64_t access_of(unsigned what)
{
	uint64_t a = 0;

	if (what & (LANDLOCK_ALLOW_READ | LANDLOCK_ALLOW_WRITE))
		a |= LL_FS_READ_FILE | LL_FS_READ_DIR;
	if (what & LANDLOCK_ALLOW_WRITE)
		a |= LL_FS_WRITE_FILE | LL_FS_TRUNCATE | LL_FS_MAKE_REG | LL_FS_MAKE_DIR |
		     LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_SYM | LL_FS_REMOVE_FILE |
		     LL_FS_REMOVE_DIR | LL_FS_REFER;
	if (what & LANDLOCK_ALLOW_EXEC)
		a |= LL_FS_EXECUTE | LL_FS_READ_FILE;
	if (what & LANDLOCK_ALLOW_DEVICE)
		a |= LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV;
	if (what & LANDLOCK_ALLOW_REMOVE)
		a |= LL_FS_REMOVE_FILE;
	return a;
}

int landlock_rules_allow(struct landlock_rules *rules, const char *path, unsigned what)
{
	struct ll_path_beneath_attr rule = { 0 };
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (rules->fd < 0)
		return 0;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		log_debug("landlock: %s: %s (no rule)", path, strerror(errno));
		return 0;
	}
	rule.allowed_access = access_of(what) & rules->fs;
	if (!S_ISDIR(st.st_mode))
		rule.allowed_access &= LL_FS_FILE;
	if (!rule.allowed_access)
		return 0;
	rule.parent_fd = fd;
	if (syscall(__NR_landlock_add_rule, rules->fd, LL_RULE_PATH_BENEATH, &rule, 0) < 0) {
		log_debug("landlock: rule for %s: %s", path, strerror(errno));
		return TA_ERR_SYSTEM;
	}
	rules->n++;
	log_debug("landlock: %s: 0x%llx", path, (unsigned long long)rule.allowed_access);
	return 0;
}

/* execvp's lookup: name itself when it has a '/', else the first
 * executable regular file dir/name in PATH. */
static char *program_path(const char *name)
{
	const char *path = getenv("PATH");
	struct stat st;

	if (strchr(name, '/'))
		return strdup(name);
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path;; p += strcspn(p, ":") + 1) {
		size_t n = strcspn(p, ":");
		char *c;

		/* An empty element is the current directory. */
		if (asprintf(&c, "%.*s%s%s", (int)n, p, n ? "/" : "", name) < 0)
			return NULL;
		if (access(c, X_OK) == 0 && stat(c, &st) == 0 && S_ISREG(st.st_mode))
			return c;
		free(c);
		if (!p[n])
			return NULL;
	}
}

/* The PT_INTERP path of a native ELF executable into buf: 1, or 0 when it
 * has none (or is no ELF file of ours). */
static int elf_interp(int fd, char *buf, size_t size)
{
	unsigned char id[EI_NIDENT];
	uint64_t phoff, off = 0, len = 0;
	unsigned phnum, phentsize;
	bool found = false;

	if (pread(fd, id, sizeof(id), 0) != (ssize_t)sizeof(id) || memcmp(id, ELFMAG, SELFMAG) != 0)
		return 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (id[EI_DATA] != ELFDATA2LSB)
		return 0;
#else
	if (id[EI_DATA] != ELFDATA2MSB)
		return 0;
#endif
	if (id[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;

		if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			return 0;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phentsize < sizeof(Elf64_Phdr))
			return 0;
		for (unsigned i = 0; i < phnum && !found; i++) {
			Elf64_Phdr ph;

			if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * phentsize)) !=
			    (ssize_t)sizeof(ph))
				return 0;
			found = ph.p_type == PT_INTERP;
			off = ph.p_offset;
			len = ph.p_filesz;
		}
	} else if (id[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;

		if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			return 0;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phentsize < sizeof(Elf32_Phdr))
			return 0;
		for (unsigned i = 0; i < phnum && !found; i++) {
			Elf32_Phdr ph;

			if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * phentsize)) !=
			    (ssize_t)sizeof(ph))
				return 0;
			found = ph.p_type == PT_INTERP;
			off = ph.p_offset;
			len = ph.p_filesz;
		}
	}
	if (!found || len == 0 || len >= size ||
	    pread(fd, buf, (size_t)len, (off_t)off) != (ssize_t)len)
		return 0;
	buf[len] = '\0';
	return buf[0] == '/';
}

/* For "#!INTERP [ARG]": INTERP into interp; for "#!/usr/bin/env [-S]
 * [VAR=VAL...] NAME ...", NAME into name (else name is empty).  1 for a
 * script, else 0. */
static int script_interp(int fd, char *interp, char *name, size_t size)
{
	char line[256]; /* what the kernel reads of a #! line */
	ssize_t n = pread(fd, line, sizeof(line) - 1, 0);
	char *p, *tok, *save = NULL;
	const char *base;

	interp[0] = name[0] = '\0';
	if (n < 2 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	p = line + 2;
	tok = strtok_r(p, " \t", &save);
	if (!tok || strlen(tok) >= size)
		return 0;
	strcpy(interp, tok);
	base = strrchr(interp, '/');
	base = base ? base + 1 : interp;
	if (strcmp(base, "env") != 0)
		return 1;
	for (tok = strtok_r(NULL, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (tok[0] == '-' || strchr(tok, '='))
			continue;
		if (strlen(tok) < size)
			strcpy(name, tok);
		break;
	}
	return 1;
}

static int allow_exec(struct landlock_rules *rules, const char *program, unsigned depth)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	char interp[PATH_MAX], name[NAME_MAX + 1];
	int r;

	/* The kernel follows at most four interpreters. */
	if (depth > 5)
		return 0;
	path = program_path(program);
	if (!path) {
		log_debug("landlock: program %s not found (no rule)", program);
		return 0;
	}
	r = landlock_rules_allow(rules, path, LANDLOCK_ALLOW_EXEC);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	if (elf_interp(fd, interp, sizeof(interp)))
		return allow_exec(rules, interp, depth + 1);
	if (!script_interp(fd, interp, name, sizeof(name)))
		return 0;
	r = allow_exec(rules, interp, depth + 1);
	if (r >= 0 && name[0])
		r = allow_exec(rules, name, depth + 1);
	return r;
}

int landlock_rules_allow_program(struct landlock_rules *rules, const char *program)
{
	if (rules->fd < 0)
		return 0;
	return allow_exec(rules, program, 0);
}

/* The X11 authority file a graphical askpass reads. */
static int allow_xauthority(struct landlock_rules *rules)
{
	_cleanup_free_ char *def = NULL;
	const char *x = getenv("XAUTHORITY");

	if (x && *x)
		return landlock_rules_allow(rules, x, LANDLOCK_ALLOW_READ);
	if (asprintf(&def, "%s/.Xauthority", home_dir()) < 0)
		return TA_ERR_NOMEM;
	return landlock_rules_allow(rules, def, LANDLOCK_ALLOW_READ);
}

int landlock_rules_allow_base(struct landlock_rules *rules)
{
	static const struct {
		const char *path;
		unsigned what;
	} base[] = {
		/* Libraries (tpm2-tss and its TCTIs, libsecret are dlopen()ed
		 * late): mapping them executable needs only reading. */
		{ "/usr", LANDLOCK_ALLOW_READ },
		{ "/lib", LANDLOCK_ALLOW_READ },
		{ "/lib64", LANDLOCK_ALLOW_READ },
		{ "/lib32", LANDLOCK_ALLOW_READ },
		{ "/libx32", LANDLOCK_ALLOW_READ },
		{ "/etc/ld.so.cache", LANDLOCK_ALLOW_READ },
		{ "/etc/ld.so.preload", LANDLOCK_ALLOW_READ },
		/* getpwuid, getaddrinfo (a swtpm or mssim on a TCP host),
		 * localtime, the machine id (D-Bus clients), OpenSSL's
		 * configuration (the tools load it). */
		{ "/etc/passwd", LANDLOCK_ALLOW_READ },
		{ "/etc/group", LANDLOCK_ALLOW_READ },
		{ "/etc/nsswitch.conf", LANDLOCK_ALLOW_READ },
		{ "/etc/hosts", LANDLOCK_ALLOW_READ },
		{ "/etc/host.conf", LANDLOCK_ALLOW_READ },
		{ "/etc/gai.conf", LANDLOCK_ALLOW_READ },
		{ "/etc/resolv.conf", LANDLOCK_ALLOW_READ },
		{ "/etc/localtime", LANDLOCK_ALLOW_READ },
		{ "/etc/machine-id", LANDLOCK_ALLOW_READ },
		{ "/var/lib/dbus/machine-id", LANDLOCK_ALLOW_READ },
		{ "/etc/ssl/openssl.cnf", LANDLOCK_ALLOW_READ },
		/* What a graphical askpass reads besides /usr. */
		{ "/etc/fonts", LANDLOCK_ALLOW_READ },
		{ "/etc/X11", LANDLOCK_ALLOW_READ },
		{ "/etc/gtk-3.0", LANDLOCK_ALLOW_READ },
		/* The number of CPUs (glibc, glib). */
		{ "/sys/devices/system/cpu", LANDLOCK_ALLOW_READ },
		/* Our own /proc/PID (not other processes': their environ). */
		{ "/proc/self", LANDLOCK_ALLOW_READ },
		{ "/dev/null", LANDLOCK_ALLOW_DEVICE },
		{ "/dev/zero", LANDLOCK_ALLOW_READ },
		{ "/dev/urandom", LANDLOCK_ALLOW_READ },
		{ "/dev/random", LANDLOCK_ALLOW_READ },
		/* Prompts on the controlling terminal. */
		{ "/dev/tty", LANDLOCK_ALLOW_DEVICE },
	};
	_cleanup_free_ char *rt = NULL, *llp = NULL;
	int r;

	if (rules->fd < 0)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(base); i++) {
		r = landlock_rules_allow(rules, base[i].path, base[i].what);
		if (r < 0)
			return r;
	}
	/* Libraries found through LD_LIBRARY_PATH. */
	if (getenv("LD_LIBRARY_PATH")) {
		char *save = NULL;

		llp = strdup(getenv("LD_LIBRARY_PATH"));
		if (!llp)
			return TA_ERR_NOMEM;
		for (char *d = strtok_r(llp, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			r = landlock_rules_allow(rules, d, LANDLOCK_ALLOW_READ);
			if (r < 0)
				return r;
		}
	}
	/* Lock files, the key-dir index, the lock state: made now, while
	 * making it is still allowed. */
	if (runtime_dir(&rt) == 0) {
		r = landlock_rules_allow(rules, rt, LANDLOCK_ALLOW_WRITE);
		if (r < 0)
			return r;
	}
	r = landlock_rules_allow_program(rules, ask_askpass_program());
	if (r < 0)
		return r;
	return allow_xauthority(rules);
}

int landlock_rules_enforce(struct landlock_rules *rules, const char *who)
{
	if (rules->fd < 0) {
		log_warning("SSH_TPM_LANDLOCK is set, but this kernel offers no Landlock (%s): %s runs unrestricted",
			    rules->err == ENOSYS       ? "not built in: CONFIG_SECURITY_LANDLOCK"
			    : rules->err == EOPNOTSUPP ? "built in but not enabled: add landlock to lsm= on the kernel command line"
			    : rules->err == EPERM      ? "a seccomp filter refuses the landlock_* system calls"
							 : strerror(rules->err),
			    who);
		return 0;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(__NR_landlock_restrict_self, rules->fd, 0) < 0)
		return TA_ERR_SYSTEM;
	log_debug("landlock: %s restricted (ABI %d, %u rules, file-system rights 0x%llx handled)", who,
		  rules->abi, rules->n, (unsigned long long)rules->fs);
	return 0;
}
