/* SPDX-License-Identifier: MIT */
/* landlock.h - SSH_TPM_LANDLOCK: a process restricts itself (and every
 * child it starts: the askpass program) to the files it needs, with the
 * Landlock ABI the running kernel offers (landlock(7)).  A rule set is
 * built path by path, then enforced once; it cannot be lifted. */
#pragma once

#include <stdbool.h>

#include "cleanup.h"

/* What a rule grants, beneath a directory or on one file (a file gets
 * only the rights that apply to files). */
enum landlock_allow {
	LANDLOCK_ALLOW_READ = 1u << 0,   /* open files for reading, list directories */
	LANDLOCK_ALLOW_WRITE = 1u << 1,  /* read, and write, truncate, create, remove,
					  * rename (files, directories, sockets, FIFOs,
					  * symlinks) */
	LANDLOCK_ALLOW_EXEC = 1u << 2,   /* execute, and read */
	LANDLOCK_ALLOW_DEVICE = 1u << 3, /* open a device for reading and writing, and
					  * its ioctls (terminal settings) */
	LANDLOCK_ALLOW_REMOVE = 1u << 4, /* unlink files, nothing else */
};

/* True when $SSH_TPM_LANDLOCK is set to a non-empty value. */
bool landlock_wanted(void);

/* The Landlock ABI of the running kernel (1, 2, ...), or 0 with errno set
 * when there is none: ENOSYS (not built in), EOPNOTSUPP (not enabled at
 * boot: lsm=), EPERM (a seccomp filter refuses the call). */
int landlock_abi(void);

struct landlock_rules;

/* A rule set handling every file-system right the kernel's ABI knows (and,
 * from ABI 4, binding TCP ports: nothing of ours listens on TCP; connect is
 * not handled, a swtpm or mssim TCTI may use TCP).  Without Landlock the
 * set is empty and enforcing it does nothing (with a warning). */
int landlock_rules_new(struct landlock_rules **ret);
void landlock_rules_free(struct landlock_rules *rules);
DEFINE_CLEANUP(struct landlock_rules, landlock_rules_free)

/* Allow what (enum landlock_allow) beneath path (symlinks followed).  A
 * path that does not exist, or cannot be reached, is skipped (debug log):
 * nothing there can then be opened. */
int landlock_rules_allow(struct landlock_rules *rules, const char *path, unsigned what);

/* Allow executing program as execvp(3) finds it (PATH, else /bin:/usr/bin)
 * and what its exec needs: the ELF interpreter (the dynamic loader) or, for
 * a script, its #! interpreter (through "env NAME" too), recursively.  The
 * libraries they map need only reading (landlock_rules_allow_base). */
int landlock_rules_allow_program(struct landlock_rules *rules, const char *program);

/* What every program of ours needs: the libraries and the dynamic
 * loader's files, a few files of /etc (users, name service, time zone,
 * machine id), /proc/self, /dev/null, /dev/urandom, /dev/tty, the runtime
 * directory (created; read and write), and the askpass program
 * (ask_askpass_program) with its X11 authority file. */
int landlock_rules_allow_base(struct landlock_rules *rules);

/* Restrict this process to the rules, for good (no_new_privs is set
 * first, as Landlock requires).  who names the program in the debug log. */
int landlock_rules_enforce(struct landlock_rules *rules, const char *who);
