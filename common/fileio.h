/* SPDX-License-Identifier: MIT */
/* fileio.h - atomic file replacement (temporary file in the same
 * directory, fsync, rename), so readers see the old file or the new one,
 * never half.  Everything happens relative to a directory opened once:
 * swapping a directory on the path (or a symlink in it) afterwards cannot
 * send the new file anywhere else. */
#pragma once

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

struct atomic_file {
	int dirfd;  /* the directory, opened once */
	char *name; /* final name in it */
	char *tmp;  /* temporary name in it */
	char *path; /* the final path, for messages */
	int fd;
};

#define ATOMIC_FILE_INIT { .dirfd = -1, .fd = -1 }

/* Open path's directory (following symlinks once, now) for files in it. */
int atomic_dir_open(const char *path, int *ret_dirfd);
/* Create the temporary file for dir/name with the given mode (umask not
 * applied); dirfd is duplicated.  path names it in messages. */
int atomic_file_open_at(int dirfd, const char *name, const char *path,
			mode_t mode, struct atomic_file *ret);
/* The same in path's own directory. */
int atomic_file_open(const char *path, mode_t mode, struct atomic_file *ret);
/* Write everything, fsync and close. */
int atomic_file_finish(struct atomic_file *f, const void *data, size_t len);
/* Rename the finished temporary file over the final name. */
int atomic_file_commit(struct atomic_file *f);
/* Commit two finished files of one directory together (a key and its
 * .pub): an existing first file is moved aside and put back if either
 * rename fails, so the old pair survives or the new pair is complete.
 * Only the two names are ever moved; a directory in their place is
 * refused (EISDIR).  The cleanup signals wait until it is done. */
int atomic_file_commit_pair(struct atomic_file *first, struct atomic_file *second);
/* Close and remove the temporary file (no-op after commit); frees names. */
void atomic_file_discard(struct atomic_file *f);

/* Have the deadly catchable signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT,
 * SIGPIPE, SIGALRM, ...) remove the temporary files of atomic files not
 * yet committed or discarded, then end the program as the signal would
 * have.  For programs that write files (ssh-tpm-keygen). */
void atomic_file_cleanup_on_signals(void);
/* Hold those signals over work that must not be cut in half (they are
 * delivered at the release). */
void atomic_file_hold_signals(sigset_t *old);
void atomic_file_release_signals(const sigset_t *old);

/* mkdir -p: path and its missing parents, with mode (umask applied). */
int mkdir_parents(const char *path, mode_t mode);
/* All of a regular file (fd), at most max bytes, into a buffer of max + 1
 * bytes (NUL-terminated; wipe it with erase_and_free(p, max + 1) if it
 * held a secret).  TA_ERR_TOO_LARGE beyond max; TA_ERR_SYSTEM (EISDIR,
 * EINVAL) for what is not a regular file. */
int file_read_bounded(int fd, size_t max, char **ret, size_t *ret_len);

enum file_install {
	FILE_INSTALL_CREATED,
	FILE_INSTALL_REPLACED,
	FILE_INSTALL_UNCHANGED,
};
/* Install text as dir/name with mode, creating dir (and its parents,
 * 0755) if needed.  A file that already holds exactly text with that mode
 * is left alone (not even its time changes); anything else in its place
 * but a directory is replaced atomically -- readers see the old file or
 * the new one.  TA_ERR_SYSTEM with errno on failure. */
int file_install_text(const char *dir, const char *name, const char *text,
		      mode_t mode, enum file_install *ret);
