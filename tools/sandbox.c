/* SPDX-License-Identifier: MIT */
/* sandbox.c - SSH_TPM_LANDLOCK for ssh-tpm-keygen, ssh-tpm-add and
 * ssh-tpm-hostkeys (sandbox.h): which directories each mode reads and
 * writes, on top of landlock_rules_allow_base. */
#include "sandbox.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static int enforce(struct landlock_rules *rules, const char *who, int r)
{
	if (r >= 0)
		r = landlock_rules_enforce(rules, who);
	if (r < 0) {
		log_error_r(r, "SSH_TPM_LANDLOCK: cannot restrict %s", who);
		return -1;
	}
	return 0;
}

static int keygen_rules(const struct keygen_args *a, struct landlock_rules *rules)
{
	_cleanup_free_ char *ssh = NULL, *hostdir = NULL;
	const char *write = a->file;
	bool tpm = !a->print_pubkey && !a->wrap;
	int r = 0;

	if (a->print_pubkey)
		return allow_dir_of(rules, a->print_pubkey, LANDLOCK_ALLOW_READ);
	if (a->supported)
		return tpm_landlock_allow(&a->tpm, rules);
	if (a->host_keys) {
		/* As keygen_host_keys makes it, before it may not. */
		if (hostkey_dir(a->file, &hostdir) < 0)
			return TA_ERR_NOMEM;
		(void)mkdir_parents(hostdir, 0755);
		r = landlock_rules_allow(rules, hostdir, LANDLOCK_ALLOW_WRITE);
		return r < 0 ? r : tpm_landlock_allow(&a->tpm, rules);
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
	if (r < 0)
		return r;
	if (write) {
		r = allow_dir_of(rules, write, LANDLOCK_ALLOW_WRITE);
	} else {
		/* The default key (and the prompt's default): ~/.ssh, made
		 * as ssh-keygen makes it for the default path. */
		if (asprintf(&ssh, "%s/.ssh", home_dir()) < 0)
			return TA_ERR_NOMEM;
		if (!a->change && mkdir(ssh, 0700) < 0 && errno != EEXIST)
			log_debug("%s: %s", ssh, strerror(errno));
		r = landlock_rules_allow(rules, ssh, LANDLOCK_ALLOW_WRITE);
	}
	if (r >= 0 && tpm)
		r = tpm_landlock_allow(&a->tpm, rules);
	return r;
}

int sandbox_keygen(const struct keygen_args *a)
{
	_cleanup_(landlock_rules_freep) struct landlock_rules *rules = NULL;
	int r;

	if (!landlock_wanted())
		return 0;
	r = landlock_rules_new(&rules);
	if (r >= 0)
		r = landlock_rules_allow_base(rules);
	if (r >= 0)
		r = keygen_rules(a, rules);
	return enforce(rules, "ssh-tpm-keygen", r);
}

int sandbox_add(const struct tpm_opts *tpm, char *const *paths, size_t n)
{
	_cleanup_(landlock_rules_freep) struct landlock_rules *rules = NULL;
	_cleanup_free_ char *ssh = NULL;
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
		r = tpm_landlock_allow(tpm, rules);
	return enforce(rules, "ssh-tpm-add", r);
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
	return enforce(rules, "ssh-tpm-hostkeys", r);
}
