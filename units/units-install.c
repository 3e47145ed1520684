/* SPDX-License-Identifier: MIT */
/* units-install.c - fill in the embedded unit templates and install them
 * (see units.h). */
#include "units.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "fileio.h"
#include "log.h"

int self_bindir(char **ret)
{
	char *p = realpath("/proc/self/exe", NULL), *slash;

	if (!p)
		return TA_ERR_SYSTEM;
	slash = strrchr(p, '/');
	if (slash == p)
		slash[1] = '\0';
	else
		*slash = '\0';
	*ret = p;
	return 0;
}

/* bindir as a unit file takes it as ExecStart='s program: '%' (the
 * specifiers' sign) doubled ('$' is not expanded in the program's path);
 * NULL for what would need quoting. */
static char *escape_bindir(const char *bindir)
{
	char *out = malloc(2 * strlen(bindir) + 1), *o = out;

	if (!out)
		return NULL;
	for (const char *p = bindir; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("\"'\\;", *p)) {
			free(out);
			errno = EINVAL;
			return NULL;
		}
		if (*p == '%')
			*o++ = *p;
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

int unit_render(const struct unit_template *u, const char *bindir, char **ret)
{
	static const char key[] = "@bindir@";
	_cleanup_free_ char *esc = escape_bindir(bindir);
	size_t klen = sizeof(key) - 1, blen, n = 0;
	const char *s, *hit;
	char *out, *o;

	if (!esc)
		return errno == EINVAL ? TA_ERR_INVALID_ARGUMENT : TA_ERR_NOMEM;
	blen = strlen(esc);
	for (s = u->text; (hit = strstr(s, key)); s = hit + klen)
		n++;
	out = malloc(strlen(u->text) + n * blen + 1);
	if (!out)
		return TA_ERR_NOMEM;
	o = out;
	for (s = u->text; (hit = strstr(s, key)); s = hit + klen) {
		memcpy(o, s, (size_t)(hit - s));
		o += hit - s;
		memcpy(o, esc, blen);
		o += blen;
	}
	strcpy(o, s);
	*ret = out;
	return 0;
}

/* Every ExecStart= program of the template (named in bindir) exists and
 * is executable; else one line naming the unit and the program, and -1. */
static int check_programs(const struct unit_template *u, const char *bindir)
{
	for (const char *l = u->text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char prog[PATH_MAX];
		size_t n;

		if (strncmp(l, "ExecStart=@bindir@/", 19) != 0)
			continue;
		l += 19;
		n = strcspn(l, " \t\n");
		if (n == 0 || snprintf(prog, sizeof(prog), "%s/%.*s", bindir, (int)n, l) >= (int)sizeof(prog))
			continue;
		if (access(prog, X_OK) < 0) {
			log_error("%s would run %s: %s (install the programs together, e.g. with meson install, and run the installed one)",
				  u->name, prog, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The Go ssh-tpm-agent's units have our names but are Accept=no with
 * Service=: say so when we replace one, and point at its service. */
static void check_foreign(const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL, *svc = NULL;
	char buf[8192];
	ssize_t n;
	int fd;

	if (strcmp(name, "ssh-tpm-agent.socket") != 0 ||
	    asprintf(&path, "%s/%s", dir, name) < 0)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (strstr(buf, "\nAccept=yes") && !strstr(buf, "\nService="))
		return;
	log_warning("%s is another ssh-tpm-agent's socket unit (Accept=no): replacing it", path);
	if (asprintf(&svc, "%s/ssh-tpm-agent.service", dir) >= 0 &&
	    access(svc, F_OK) == 0)
		log_warning("%s belongs to that other agent and is not used by these units: disable and remove it (systemctl%s disable ssh-tpm-agent.service)",
			    svc, strstr(dir, "/systemd/user") ? " --user" : "");
}

int units_install(enum unit_scope scope, const char *dir, const char *bindir)
{
	char *texts[16] = { NULL };
	size_t n = 0;
	int r = 0;

	for (const struct unit_template *u = unit_templates; u->name; u++) {
		if (u->scope != scope)
			continue;
		if (n == sizeof(texts) / sizeof(texts[0])) {
			r = TA_ERR_INTERNAL;
			goto out;
		}
		r = unit_render(u, bindir, &texts[n++]);
		if (r == TA_ERR_INVALID_ARGUMENT) {
			log_error("%s: a unit's ExecStart= cannot name programs there (white space, quotes, backslashes or ';' in the path): install them elsewhere",
				  bindir);
			goto out;
		}
		if (r < 0)
			goto out;
		if (check_programs(u, bindir) < 0) {
			r = TA_ERR_INVALID_ARGUMENT;
			goto out;
		}
	}
	n = 0;
	for (const struct unit_template *u = unit_templates; u->name; u++) {
		_cleanup_free_ char *path = NULL;
		enum file_install how;

		if (u->scope != scope)
			continue;
		if (asprintf(&path, "%s/%s", dir, u->name) < 0) {
			r = TA_ERR_NOMEM;
			goto out;
		}
		check_foreign(dir, u->name);
		r = file_install_text(dir, u->name, texts[n++], 0644, &how);
		if (r < 0) {
			log_error_r(r, "cannot install %s", path);
			goto out;
		}
		printf("%s %s\n", how == FILE_INSTALL_UNCHANGED ? "Unchanged" : "Installed",
		       path);
	}
out:
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		free(texts[i]);
	return r;
}
