/* SPDX-License-Identifier: MIT */
/* units.h - the systemd unit templates of units/ (embedded at build time
 * by embed.py), filled in and installed by ssh-tpm-agent
 * --install-user-units and ssh-tpm-hostkeys --install-system-units.  The
 * same templates are what meson installs. */
#pragma once

enum unit_scope {
	UNIT_SCOPE_SYSTEM,
	UNIT_SCOPE_USER,
};

struct unit_template {
	enum unit_scope scope;
	const char *name; /* "ssh-tpm-agent.socket" */
	const char *text; /* with @bindir@ */
};

/* Every template; the last entry's name is NULL. */
extern const struct unit_template unit_templates[];

/* The directory of the running program (/proc/self/exe, resolved): the
 * programs are installed side by side, so the units name them there. */
int self_bindir(char **ret);
/* u's text with each @bindir@ replaced by bindir. */
int unit_render(const struct unit_template *u, const char *bindir, char **ret);
/* Install the units of scope into dir (created if missing), naming the
 * programs in bindir.  Prints "Installed PATH" (or "Unchanged PATH") on
 * stdout per unit; a failure is one line on stderr naming the path.
 * Refuses before writing anything when a program a unit runs is missing
 * from bindir.  0 or a negative TA_ERR_*. */
int units_install(enum unit_scope scope, const char *dir, const char *bindir);
