/* SPDX-License-Identifier: MIT */
/* generator.h - the pieces of ssh-tpm-generator, each a small function of
 * its inputs (tested through the program by tests/systemd/generator.sh); ssh-tpm-generator.c runs
 * them in order. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define GEN_NAME "ssh-tpm-generator"
/* The kernel command line option and the config file that turn the
 * generator off ("ssh-tpm-agent.hostkeys=0", "HostKeys=no"). */
#define GEN_CMDLINE_KEY "ssh-tpm-agent.hostkeys"
#define GEN_CONFIG_FILE "/etc/ssh-tpm-agent/generator.conf"
#define GEN_CONFIG_KEY "HostKeys"

/* One line on stderr, "ssh-tpm-generator: ..." (a generator's stderr is
 * the kernel log).  Not our log module: it pulls in libcrypto, whose
 * loading alone would be most of the generator's run time. */
void gen_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* systemd's booleans: 1/yes/y/true/t/on and 0/no/n/false/f/off, any
 * case.  0 and *ret, or -1. */
int gen_parse_bool(const char *v, bool *ret);

/* The last GEN_CMDLINE_KEY on the kernel command line (words split at
 * white space outside double quotes, as systemd does): 1 on, 0 off, -1
 * absent.  A bare key means on; a malformed value is ignored with a
 * warning naming it. */
int gen_cmdline_hostkeys(const char *cmdline);

/* The same from the config file's text (KEY=VALUE lines, '#' and ';'
 * comments); unknown keys and bad values are warned about (with the
 * file's name and line) and ignored. */
int gen_config_hostkeys(const char *text, const char *path);

/* A TPM 2.0 with its kernel resource manager: root/sys/class/tpmrm/ has
 * an entry (systemd's own "driver" test).  Only a directory listing. */
bool gen_tpm_present(const char *root);

/* Where the system manager would load unit name from: the first of
 * systemd's unit directories (generator dirs excluded) under root that
 * has it.  *ret_path is the path as the running system sees it (without
 * root); *ret_alias is the unit name it is an alias of (a symlink to
 * another name), else NULL.  0 found, -1 absent or masked (a link to
 * /dev/null or an empty file). */
int gen_find_unit(const char *root, const char *name, char **ret_path,
		  char **ret_alias);

/* Create dir/rel/.../name as a symlink to target, making missing
 * directories (0755).  An identical link already there is fine (a second
 * run); anything else there is an error, logged with its path. */
int gen_symlink(const char *dir, const char *rel, const char *target);
/* Create dir/rel with text, exclusively; an identical file already there
 * is fine.  Every file starts with the "Automatically generated" line. */
int gen_file(const char *dir, const char *rel, const char *text);
