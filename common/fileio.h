/* fileio.h - atomic file replacement (temp file in the same directory,
 * fsync, rename), so readers see the old file or the new one, never half. */
#pragma once

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
