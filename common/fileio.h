/* fileio.h - atomic file replacement (temp file in the same directory,
 * fsync, rename), so readers see the old file or the new one, never half. */
#pragma once

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

struct atomic_file {
	char *path; /* final name */
	char *tmp;  /* temporary name in the same directory */
	int fd;
};

/* Create the temporary file with the given mode (umask not applied). */
int atomic_file_open(const char *path, mode_t mode, struct atomic_file *ret);
/* Write everything, fsync and close. */
int atomic_file_finish(struct atomic_file *f, const void *data, size_t len);
/* Rename the finished temporary file over the final name. */
int atomic_file_commit(struct atomic_file *f);
/* Close and remove the temporary file (no-op after commit); frees names. */
void atomic_file_discard(struct atomic_file *f);

/* Have SIGINT, SIGTERM and SIGHUP remove the temporary files of atomic
 * files not yet committed or discarded, then end the program as the
 * signal would have.  For programs that write files (ssh-tpm-keygen). */
void atomic_file_cleanup_on_signals(void);
/* Hold those signals over a sequence of renames that must not be cut in
 * half (they are delivered at the release). */
void atomic_file_hold_signals(sigset_t *old);
void atomic_file_release_signals(const sigset_t *old);
