/* SPDX-License-Identifier: MIT */
/* sandbox.c - SSH_TPM_LANDLOCK for ssh-tpm-keygen, ssh-tpm-add and
 * ssh-tpm-hostkeys (sandbox.h): which directories each mode reads and
 * writes, on top of landlock_rules_allow_base. */
#include "sandbox.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "err.h"
#include "fileio.h"
#include "hostkeys.h"
#include "landlock.h"
#include "log.h"
#include "sysutil.h"
#include "tpm-landlock.h"

/* Allow what on the directory of path ("." for a bare name). */
static int allow_dir_of(struct landlock_rules *rules, const char *path, unsigned what)
{
	_cleanup_free_ char *copy = strdup(path);

	if (!copy)
		return TA_ERR_NOMEM;
	return landlock_rules_allow(rules, dirname(copy), what);
}

/* The TPM's rules.  *reported: the TCTI could not be had (a --swtpm
 * daemon that does not start), and that was said as the tool says it. */
static int allow_tpm(struct landlock_rules *rules, const struct tpm_opts *tpm, bool *reported)
{
	_cleanup_free_ char *conf = NULL;
	int r;

	r = tpm_resolve_tcti(tpm, &conf);
	if (r < 0) {
		report_tpm_error(tpm, r);
		*reported = true;
		return r;
	}
	return tpm_landlock_allow(conf, rules);
}

/* -p rewrites the real file behind NAME.tpm (a symlink stays one), in the
 * directory that file is in. */
static int allow_key_target(struct landlock_rules *rules, const char *name)
{
	_cleanup_free_ char *path = NULL, *real = NULL;
	size_t n = strlen(name);

	if (asprintf(&path, "%s%s", name, n >= 4 && strcmp(name + n - 4, ".tpm") == 0 ? "" : ".tpm") < 0)
		return TA_ERR_NOMEM;
	real = realpath(path, NULL);
	return real ? allow_dir_of(rules, real, LANDLOCK_ALLOW_WRITE) : 0;
}

/* ssh-tpm-keygen's rules; file: the key it writes (-f or the prompt's). */
static int keygen_rules(const struct keygen_args *a, const char *file, struct landlock_rules *rules,
			bool *reported)
{
	_cleanup_free_ char *hostdir = NULL;
	const char *write = file;
	int r = 0;

	if (a->print_pubkey)
		return allow_dir_of(rules, a->print_pubkey, LANDLOCK_ALLOW_READ);
	if (a->supported)
		return allow_tpm(rules, &a->tpm, reported);
	if (a->host_keys) {
		/* As keygen_host_keys makes it, before it may not. */
		if (hostkey_dir(a->file, &hostdir) < 0)
			return TA_ERR_NOMEM;
		(void)mkdir_parents(hostdir, 0755);
		r = landlock_rules_allow(rules, hostdir, LANDLOCK_ALLOW_WRITE);
		return r < 0 ? r : allow_tpm(rules, &a->tpm, reported);
	}
	if (a->import) {
		r = allow_dir_of(rules, a->import, LANDLOCK_ALLOW_READ);
		if (!write)
			write = a->import;
	}
	if (r >= 0 && a->wrap)
		r = allow_dir_of(rules, a->wrap, LANDLOCK_ALLOW_READ);
	if (r >= 0 && a->wrap_with)
		r = allow_dir_of(rules, a->wrap_with, LANDLOCK_ALLOW_READ);
	if (r >= 0 && write)
		r = allow_dir_of(rules, write, LANDLOCK_ALLOW_WRITE);
	if (r >= 0 && a->change && write)
		r = allow_key_target(rules, write);
	if (r >= 0 && !a->wrap)
		r = allow_tpm(rules, &a->tpm, reported);
	return r;
}

static int keygen_restrict(const struct keygen_args *a, const char *file)
{
	_cleanup_(landlock_rules_freep) struct landlock_rules *rules = NULL;
	bool reported = false;
	int r;

	r = landlock_rules_new(&rules);
	if (r >= 0)
		r = landlock_rules_allow_base(rules);
	if (r >= 0)
		r = keygen_rules(a, file, rules, &reported);
	if (r >= 0)
		r = landlock_rules_enforce(rules, "ssh-tpm-keygen");
	if (r < 0 && !reported)
		log_error_r(r, "SSH_TPM_LANDLOCK: cannot restrict ssh-tpm-keygen");
	return r < 0 ? -1 : 0;
}

/* Key creation and -p without -f: the file name is asked first. */
static bool names_file_later(const struct keygen_args *a)
{
	return !a->file && !a->print_pubkey && !a->supported && !a->host_keys && !a->import &&
	       !a->wrap;
}

int sandbox_keygen(const struct keygen_args *a)
{
	if (!landlock_wanted() || names_file_later(a))
		return 0;
	return keygen_restrict(a, a->file);
}

int sandbox_keygen_file(const struct keygen_args *a, const char *name)
{
	if (!landlock_wanted())
		return 0;
	return keygen_restrict(a, name);
}

int sandbox_add(const struct tpm_opts *tpm, char *const *paths, size_t n)
{
	_cleanup_(landlock_rules_freep) struct landlock_rules *rules = NULL;
	_cleanup_free_ char *ssh = NULL;
	bool reported = false;
	int r;

	if (!landlock_wanted())
		return 0;
	r = landlock_rules_new(&rules);
	if (r >= 0)
		r = landlock_rules_allow_base(rules);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = allow_dir_of(rules, paths[i], LANDLOCK_ALLOW_READ);
	if (r >= 0 && n == 0) {
		if (asprintf(&ssh, "%s/.ssh", home_dir()) < 0)
			r = TA_ERR_NOMEM;
		else
			r = landlock_rules_allow(rules, ssh, LANDLOCK_ALLOW_READ);
	}
	/* The agent's socket: a connect, no rule. */
	if (r >= 0)
		r = allow_tpm(rules, tpm, &reported);
	if (r >= 0)
		r = landlock_rules_enforce(rules, "ssh-tpm-add");
	if (r < 0 && !reported)
		log_error_r(r, "SSH_TPM_LANDLOCK: cannot restrict ssh-tpm-add");
	return r < 0 ? -1 : 0;
}

int sandbox_hostkeys(const char *prefix)
{
	_cleanup_(landlock_rules_freep) struct landlock_rules *rules = NULL;
	_cleanup_free_ char *dir = NULL;
	int r;

	if (!landlock_wanted())
		return 0;
	if (hostkey_dir(prefix, &dir) < 0)
		return -1;
	r = landlock_rules_new(&rules);
	if (r >= 0)
		r = landlock_rules_allow_base(rules);
	if (r >= 0)
		r = landlock_rules_allow(rules, dir, LANDLOCK_ALLOW_READ);
	if (r >= 0)
		r = landlock_rules_enforce(rules, "ssh-tpm-hostkeys");
	if (r < 0) {
		log_error_r(r, "SSH_TPM_LANDLOCK: cannot restrict ssh-tpm-hostkeys");
		return -1;
	}
	return 0;
}
