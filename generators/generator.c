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

/* mkdir -p with mode; 0 or -1 with errno.  The directory itself first:
 * its parents are looked at only when they are missing (a generator's
 * output dir exists; most of what it makes is one level below). */
static int mkdir_p(char *path, mode_t mode)
{
	struct stat st;
	char *slash;
	int r;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno == EEXIST) {
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
		return -1;
	}
	slash = strrchr(path, '/');
	if (errno != ENOENT || !slash || slash == path)
		return -1;
	*slash = '\0';
	r = mkdir_p(path, mode);
	*slash = '/';
	if (r < 0)
		return -1;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
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

int gen_cmdline_hostkeys(const char *cmdline)
{
	const size_t klen = strlen(GEN_CMDLINE_KEY);
	int result = -1;
	const char *p = cmdline;

	while (*p) {
		char word[4096];
		size_t n = 0;
		bool quoted = false, b;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
			if (*p == '"')
				quoted = !quoted;
			else if (n < sizeof(word) - 1)
				word[n++] = *p;
		}
		word[n] = '\0';
		if (strncmp(word, GEN_CMDLINE_KEY, klen) != 0)
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

		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), l);
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

int gen_find_unit(const char *root, const char *name, char **ret_path,
		  char **ret_alias)
{
	for (size_t i = 0; i < sizeof(unit_dirs) / sizeof(unit_dirs[0]); i++) {
		_cleanup_free_ char *path = NULL;
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
			base = strrchr(target, '/');
			base = base ? base + 1 : target;
			if (strcmp(base, name) != 0) {
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

/* dir/rel's parent directories, made (0755) as needed. */
static int make_parents(const char *dir, const char *rel, char **ret_path)
{
	_cleanup_free_ char *path = NULL, *parent = NULL;
	char *slash;

	if (asprintf(&path, "%s/%s", dir, rel) < 0 || !(parent = strdup(path)))
		return -1;
	slash = strrchr(parent, '/');
	*slash = '\0';
	if (mkdir_p(parent, 0755) < 0) {
		gen_log("%s: %s", parent, strerror(errno));
		return -1;
	}
	*ret_path = TAKE_PTR(path);
	return 0;
}

int gen_symlink(const char *dir, const char *rel, const char *target)
{
	_cleanup_free_ char *path = NULL;
	char old[PATH_MAX];
	ssize_t n;

	if (make_parents(dir, rel, &path) < 0)
		return -1;
	if (symlink(target, path) == 0)
		return 0;
	if (errno == EEXIST) {
		n = readlink(path, old, sizeof(old) - 1);
		if (n > 0 && (size_t)n == strlen(target) && memcmp(old, target, (size_t)n) == 0)
			return 0;
		gen_log("%s: already exists and is not a link to %s", path, target);
		return -1;
	}
	gen_log("%s: %s", path, strerror(errno));
	return -1;
}

int gen_file(const char *dir, const char *rel, const char *text)
{
	_cleanup_free_ char *path = NULL, *all = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;

	if (make_parents(dir, rel, &path) < 0 ||
	    asprintf(&all, "# Automatically generated by " GEN_NAME "\n\n%s", text) < 0)
		return -1;
	len = strlen(all);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno == EEXIST) {
		char buf[4096];
		ssize_t n;

		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
		if (n >= 0 && (size_t)n == len && memcmp(buf, all, len) == 0)
			return 0;
		gen_log("%s: already exists with other contents (a duplicate entry?)", path);
		return -1;
	}
	if (fd < 0 || write(fd, all, len) != (ssize_t)len || close(TAKE_FD(fd)) < 0) {
		gen_log("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
