/* SPDX-License-Identifier: MIT */
/* generator.c - the pieces of ssh-tpm-generator (see generator.h). */
#include "generator.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

void gen_log(const char *fmt, ...)
{
	va_list ap;

	fputs(GEN_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int gen_parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -1;
}

/* word starts with key, '-' and '_' being the same (as systemd has it);
 * the length matched, or 0. */
static size_t key_prefix(const char *word, const char *key)
{
	size_t i;

	for (i = 0; key[i]; i++) {
		char a = word[i] == '_' ? '-' : word[i], b = key[i] == '_' ? '-' : key[i];

		if (a != b)
			return 0;
	}
	return i;
}

int gen_cmdline_hostkeys(const char *cmdline)
{
	int result = -1;
	const char *p = cmdline;

	while (*p) {
		char word[4096];
		size_t n = 0, klen;
		char quote = 0;
		bool b;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		/* A word runs to white space outside quotes ('' or ""). */
		for (; *p && (quote || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
			if (!quote && (*p == '"' || *p == '\''))
				quote = *p;
			else if (quote && *p == quote)
				quote = 0;
			else if (n < sizeof(word) - 1)
				word[n++] = *p;
		}
		word[n] = '\0';
		klen = key_prefix(word, GEN_CMDLINE_KEY);
		if (!klen)
			continue;
		if (word[klen] == '\0') {
			result = 1;
		} else if (word[klen] == '=') {
			if (gen_parse_bool(word + klen + 1, &b) == 0)
				result = b;
			else
				gen_log("kernel command line: %s: not a boolean (use 0 or 1): ignored",
					word);
		}
	}
	return result;
}

int gen_config_hostkeys(const char *text, const char *path)
{
	int result = -1;
	unsigned lineno = 0;

	for (const char *l = text; *l; lineno++) {
		size_t len = strcspn(l, "\n");
		char line[1024], *s, *e, *eq;
		bool b;

		if (len >= sizeof(line)) {
			gen_log("%s:%u: line longer than %zu bytes: ignored", path, lineno + 1,
				sizeof(line) - 1);
			l += len;
			if (*l == '\n')
				l++;
			continue;
		}
		memcpy(line, l, len);
		line[len] = '\0';
		l += len;
		if (*l == '\n')
			l++;
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--)
			;
		*e = '\0';
		if (!*s || *s == '#' || *s == ';' || *s == '[')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			gen_log("%s:%u: not KEY=VALUE: ignored", path, lineno + 1);
			continue;
		}
		for (e = eq; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		for (eq++; *eq == ' ' || *eq == '\t'; eq++)
			;
		if (strcmp(s, GEN_CONFIG_KEY) != 0) {
			gen_log("%s:%u: unknown key '%s': ignored", path, lineno + 1, s);
			continue;
		}
		if (gen_parse_bool(eq, &b) < 0) {
			gen_log("%s:%u: %s=%s: not a boolean (use yes or no): ignored",
				    path, lineno + 1, s, eq);
			continue;
		}
		result = b;
	}
	return result;
}

bool gen_tpm_present(const char *root)
{
	_cleanup_free_ char *path = NULL;
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (asprintf(&path, "%s/sys/class/tpmrm", root) < 0)
		return false;
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		found = de->d_name[0] != '.';
	closedir(d);
	return found;
}

/* systemd's system unit directories, highest priority first, without the
 * generator directories. */
static const char *const unit_dirs[] = {
	"/etc/systemd/system",	      "/run/systemd/system",
	"/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
	"/lib/systemd/system",
};

/* A unit name systemd would accept for an sshd service: NAME.service
 * (templates included), no path. */
static bool service_name_ok(const char *n)
{
	size_t len = strlen(n);

	return len > 8 && len < 256 && strcmp(n + len - 8, ".service") == 0 &&
	       !strchr(n, '/') && n[0] != '.';
}

static int find_unit(const char *root, const char *name, char **ret_path,
		     char **ret_alias, unsigned depth)
{
	for (size_t i = 0; i < sizeof(unit_dirs) / sizeof(unit_dirs[0]); i++) {
		_cleanup_free_ char *path = NULL, *real = NULL;
		char target[PATH_MAX];
		struct stat st;
		ssize_t n;
		const char *base;

		if (asprintf(&path, "%s%s/%s", root, unit_dirs[i], name) < 0)
			return -1;
		if (lstat(path, &st) < 0)
			continue;
		*ret_alias = NULL;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(path, target, sizeof(target) - 1);
			if (n <= 0)
				return -1;
			target[n] = '\0';
			if (strcmp(target, "/dev/null") == 0)
				return -1; /* masked */
			/* Dangling (inside root): systemd cannot load it. */
			if (target[0] == '/' ? asprintf(&real, "%s%s", root, target) < 0
					     : !(real = strdup(path)))
				return -1;
			if (stat(real, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
				return -1;
			base = strrchr(target, '/');
			base = base ? base + 1 : target;
			if (strcmp(base, name) != 0) {
				/* An alias: present only if what it names is
				 * (not masked, not missing) under its own
				 * name. */
				_cleanup_free_ char *apath = NULL, *aalias = NULL;

				if (!service_name_ok(base) || depth > 0 ||
				    find_unit(root, base, &apath, &aalias, depth + 1) < 0 || aalias)
					return -1;
				*ret_alias = strdup(base);
				if (!*ret_alias)
					return -1;
			}
		} else if (S_ISREG(st.st_mode) && st.st_size == 0) {
			return -1; /* masked with an empty file */
		} else if (!S_ISREG(st.st_mode)) {
			continue;
		}
		if (asprintf(ret_path, "%s/%s", unit_dirs[i], name) < 0) {
			free(*ret_alias);
			*ret_alias = NULL;
			return -1;
		}
		return 0;
	}
	return -1;
}

int gen_find_unit(const char *root, const char *name, char **ret_path,
		  char **ret_alias)
{
	return find_unit(root, name, ret_path, ret_alias, 0);
}

/* The directory rel's last component goes in, under dir, made (0755) as
 * needed; each level is opened without following a symlink, so nothing
 * planted in the output dir can send a file elsewhere.  An fd, or -1
 * after logging; *ret_name is rel's last component. */
static int open_parent(const char *dir, const char *rel, const char **ret_name)
{
	_cleanup_free_ char *copy = strdup(rel);
	int fd, next;
	char *s, *slash;

	if (!copy)
		return -1;
	/* The output dir itself is what we were handed: followed. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		gen_log("%s: %s", dir, strerror(errno));
		return -1;
	}
	for (s = copy; (slash = strchr(s, '/')); s = slash + 1) {
		*slash = '\0';
		if (mkdirat(fd, s, 0755) < 0 && errno != EEXIST) {
			gen_log("%s/%s: %s", dir, copy, strerror(errno));
			close(fd);
			return -1;
		}
		next = openat(fd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			gen_log("%s/%s: %s", dir, copy,
				errno == ELOOP || errno == ENOTDIR ? "not a directory (a symlink?): not writing through it"
								   : strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
		fd = next;
		*slash = '/';
	}
	*ret_name = rel + (s - copy);
	return fd;
}

int gen_symlink(const char *dir, const char *rel, const char *target)
{
	_cleanup_close_ int fd = -1;
	const char *name;
	char old[PATH_MAX];
	ssize_t n;

	fd = open_parent(dir, rel, &name);
	if (fd < 0)
		return -1;
	if (symlinkat(target, fd, name) == 0)
		return 0;
	if (errno == EEXIST) {
		n = readlinkat(fd, name, old, sizeof(old) - 1);
		if (n > 0 && (size_t)n == strlen(target) && memcmp(old, target, (size_t)n) == 0)
			return 0;
		gen_log("%s/%s: already exists and is not a link to %s", dir, rel, target);
		return -1;
	}
	gen_log("%s/%s: %s", dir, rel, strerror(errno));
	return -1;
}

int gen_file(const char *dir, const char *rel, const char *text)
{
	_cleanup_free_ char *all = NULL;
	_cleanup_close_ int dfd = -1, fd = -1;
	const char *name;
	size_t len;

	if (asprintf(&all, "# Automatically generated by " GEN_NAME "\n\n%s", text) < 0)
		return -1;
	dfd = open_parent(dir, rel, &name);
	if (dfd < 0)
		return -1;
	len = strlen(all);
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno == EEXIST) {
		char buf[4096];
		ssize_t n;

		fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
		if (n >= 0 && (size_t)n == len && memcmp(buf, all, len) == 0)
			return 0;
		gen_log("%s/%s: already exists with other contents (a duplicate entry?)", dir, rel);
		return -1;
	}
	if (fd < 0 || write(fd, all, len) != (ssize_t)len || close(TAKE_FD(fd)) < 0) {
		gen_log("%s/%s: %s", dir, rel, strerror(errno));
		return -1;
	}
	return 0;
}
