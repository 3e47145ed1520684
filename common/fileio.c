/* SPDX-License-Identifier: MIT */
/* fileio.c - atomic file replacement relative to one directory fd (see
 * fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "sysutil.h"

/* Temporary files not yet committed or discarded, for the signal handler.
 * Changed only with the cleanup signals blocked. */
#define MAX_PENDING 8
struct pending {
	int dirfd;
	const char *name;
};
static volatile struct pending pending[MAX_PENDING];
static const int cleanup_signals[] = { SIGINT,	SIGTERM, SIGHUP,  SIGQUIT,
				       SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2,
				       SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF };

static void signal_set(sigset_t *set, bool with_alarm)
{
	sigemptyset(set);
	for (size_t i = 0; i < ELEMENTSOF(cleanup_signals); i++)
		if (with_alarm || cleanup_signals[i] != SIGALRM)
			sigaddset(set, cleanup_signals[i]);
}

static void block_cleanup_signals(sigset_t *old)
{
	sigset_t set;

	signal_set(&set, true);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void restore_signals(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

void atomic_file_hold_signals(sigset_t *old)
{
	sigset_t set;

	/* Not SIGALRM: a watchdog (the TPM's) must still be able to fire. */
	signal_set(&set, false);
	sigprocmask(SIG_BLOCK, &set, old);
}

void atomic_file_release_signals(const sigset_t *old)
{
	restore_signals(old);
}

static bool pending_add(int dirfd, const char *name)
{
	sigset_t old;
	bool added = false;

	block_cleanup_signals(&old);
	for (size_t i = 0; i < MAX_PENDING && !added; i++)
		if (!pending[i].name) {
			pending[i].dirfd = dirfd;
			pending[i].name = name;
			added = true;
		}
	restore_signals(&old);
	return added;
}

static void pending_remove(const char *name)
{
	sigset_t old;

	block_cleanup_signals(&old);
	for (size_t i = 0; i < MAX_PENDING; i++)
		if (pending[i].name == name)
			pending[i].name = NULL;
	restore_signals(&old);
}

static void on_cleanup_signal(int signo)
{
	/* Only async-signal-safe calls: unlinkat, signal, raise. */
	for (size_t i = 0; i < MAX_PENDING; i++)
		if (pending[i].name)
			unlinkat(pending[i].dirfd, (const char *)pending[i].name, 0);
	signal(signo, SIG_DFL);
	raise(signo);
}

void atomic_file_cleanup_on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_cleanup_signal };

	signal_set(&sa.sa_mask, true);
	for (size_t i = 0; i < ELEMENTSOF(cleanup_signals); i++)
		sigaction(cleanup_signals[i], &sa, NULL);
}

int atomic_dir_open(const char *path, int *ret_dirfd)
{
	_cleanup_free_ char *copy = strdup(path);
	int fd;

	if (!copy)
		return TA_ERR_NOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return TA_ERR_SYSTEM;
	*ret_dirfd = fd;
	return 0;
}

/* ".NAME.XXXXXX" created with O_EXCL in dirfd (never through a symlink). */
static int create_temp(int dirfd, const char *name, char **ret_tmp)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	for (int attempt = 0; attempt < 100; attempt++) {
		uint8_t rnd[6];
		char suffix[7];
		char *tmp;
		int fd;

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return TA_ERR_SYSTEM;
		for (size_t i = 0; i < sizeof(rnd); i++)
			suffix[i] = chars[rnd[i] % (sizeof(chars) - 1)];
		suffix[6] = '\0';
		if (asprintf(&tmp, ".%s.%s", name, suffix) < 0)
			return TA_ERR_NOMEM;
		/* Registered before it exists: a signal never leaves it. */
		if (!pending_add(dirfd, tmp)) {
			free(tmp);
			return TA_ERR_INTERNAL;
		}
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd >= 0) {
			*ret_tmp = tmp;
			return fd;
		}
		pending_remove(tmp);
		free(tmp);
		if (errno != EEXIST)
			return TA_ERR_SYSTEM;
	}
	errno = EEXIST;
	return TA_ERR_SYSTEM;
}

int atomic_file_open_at(int dirfd, const char *name, const char *path,
			mode_t mode, struct atomic_file *ret)
{
	struct atomic_file f = ATOMIC_FILE_INIT;
	int r;

	*ret = f;
	f.dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (f.dirfd < 0)
		return TA_ERR_SYSTEM;
	f.name = strdup(name);
	f.path = strdup(path);
	if (!f.name || !f.path) {
		atomic_file_discard(&f);
		return TA_ERR_NOMEM;
	}
	r = create_temp(f.dirfd, name, &f.tmp);
	if (r < 0) {
		atomic_file_discard(&f);
		return r;
	}
	f.fd = r;
	if (fchmod(f.fd, mode) < 0) {
		atomic_file_discard(&f);
		return TA_ERR_SYSTEM;
	}
	*ret = f;
	return 0;
}

int atomic_file_open(const char *path, mode_t mode, struct atomic_file *ret)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_close_ int dirfd = -1;
	int r;

	*ret = (struct atomic_file)ATOMIC_FILE_INIT;
	if (!copy)
		return TA_ERR_NOMEM;
	r = atomic_dir_open(path, &dirfd);
	if (r < 0)
		return r;
	return atomic_file_open_at(dirfd, basename(copy), path, mode, ret);
}

int atomic_file_finish(struct atomic_file *f, const void *data, size_t len)
{
	int r = write_full(f->fd, data, len);

	if (r < 0)
		return r;
	if (fsync(f->fd) < 0)
		return TA_ERR_SYSTEM;
	if (close(TAKE_FD(f->fd)) < 0)
		return TA_ERR_SYSTEM;
	return 0;
}

int atomic_file_commit(struct atomic_file *f)
{
	if (f->fd >= 0 || !f->tmp)
		return TA_ERR_INTERNAL;
	if (renameat(f->dirfd, f->tmp, f->dirfd, f->name) < 0)
		return TA_ERR_SYSTEM;
	pending_remove(f->tmp);
	free(f->tmp);
	f->tmp = NULL;
	return 0;
}

int atomic_file_commit_pair(struct atomic_file *first, struct atomic_file *second)
{
	_cleanup_free_ char *backup = NULL;
	struct stat st;
	sigset_t old;
	bool had_old, linked = false;
	int r, saved;

	if (!first->tmp || !second->tmp)
		return TA_ERR_INTERNAL;
	if (asprintf(&backup, "%s.old", first->tmp) < 0)
		return TA_ERR_NOMEM;
	block_cleanup_signals(&old);
	had_old = fstatat(first->dirfd, first->name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (had_old && S_ISDIR(st.st_mode)) {
		restore_signals(&old);
		errno = EISDIR;
		return TA_ERR_SYSTEM;
	}
	/* The old first file is kept under a second name until the new pair
	 * is in place: a hard link, so that its own name never goes missing
	 * (even if we die here); a rename where links are not possible. */
	if (had_old) {
		linked = linkat(first->dirfd, first->name, first->dirfd, backup, 0) == 0;
		if (!linked && renameat(first->dirfd, first->name, first->dirfd, backup) < 0) {
			saved = errno;
			restore_signals(&old);
			errno = saved;
			return TA_ERR_SYSTEM; /* nothing changed */
		}
	}
	r = atomic_file_commit(first);
	if (r == 0)
		r = atomic_file_commit(second);
	saved = errno;
	if (r < 0) {
		/* Put the old file back (over the new one if that moved). */
		if (had_old)
			renameat(first->dirfd, backup, first->dirfd, first->name);
		else if (!first->tmp)
			unlinkat(first->dirfd, first->name, 0);
	} else if (had_old) {
		unlinkat(first->dirfd, backup, 0);
	}
	/* The renames themselves on disk. */
	fsync(first->dirfd);
	restore_signals(&old);
	errno = saved;
	return r;
}

void atomic_file_discard(struct atomic_file *f)
{
	int saved = errno;

	if (f->fd >= 0)
		close(TAKE_FD(f->fd));
	if (f->tmp) {
		unlinkat(f->dirfd, f->tmp, 0);
		pending_remove(f->tmp);
	}
	if (f->dirfd >= 0)
		close(TAKE_FD(f->dirfd));
	free(f->tmp);
	free(f->name);
	free(f->path);
	f->tmp = f->name = f->path = NULL;
	errno = saved;
}

int mkdir_parents(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);
	struct stat st;

	if (!p)
		return TA_ERR_NOMEM;
	for (char *s = p + 1;; s++) {
		bool end = *s == '\0';

		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0) {
			if (errno != EEXIST)
				return TA_ERR_SYSTEM;
			/* A name on the way that is no directory. */
			if (stat(p, &st) < 0)
				return TA_ERR_SYSTEM;
			if (!S_ISDIR(st.st_mode)) {
				errno = ENOTDIR;
				return TA_ERR_SYSTEM;
			}
		}
		if (end)
			return 0;
		*s = '/';
	}
}

/* True when dirfd/name is a regular file holding exactly text, with mode. */
static bool file_has(int dirfd, const char *name, const char *text, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(text), got = 0;
	struct stat st;
	char buf[4096];
	ssize_t n;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 07777) != mode || (size_t)st.st_size != len)
		return false;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (got + (size_t)n > len || memcmp(buf, text + got, (size_t)n) != 0)
			return false;
		got += (size_t)n;
	}
	return n == 0 && got == len;
}

int file_install_text(const char *dir, const char *name, const char *text,
		      mode_t mode, enum file_install *ret)
{
	struct atomic_file f = ATOMIC_FILE_INIT;
	_cleanup_close_ int dirfd = -1;
	_cleanup_free_ char *path = NULL;
	struct stat st;
	bool existed;
	int r;

	r = mkdir_parents(dir, 0755);
	if (r < 0)
		return r;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return TA_ERR_SYSTEM;
	if (file_has(dirfd, name, text, mode)) {
		*ret = FILE_INSTALL_UNCHANGED;
		return 0;
	}
	existed = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (existed && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return TA_ERR_SYSTEM;
	}
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return TA_ERR_NOMEM;
	r = atomic_file_open_at(dirfd, name, path, mode, &f);
	if (r >= 0)
		r = atomic_file_finish(&f, text, strlen(text));
	if (r >= 0)
		r = atomic_file_commit(&f);
	if (r >= 0)
		fsync(dirfd);
	atomic_file_discard(&f);
	if (r < 0)
		return r;
	*ret = existed ? FILE_INSTALL_REPLACED : FILE_INSTALL_CREATED;
	return 0;
}

int file_read_bounded(int fd, size_t max, char **ret, size_t *ret_len)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	char *data;

	if (fstat(fd, &st) < 0)
		return TA_ERR_SYSTEM;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return TA_ERR_SYSTEM;
	}
	if ((uintmax_t)st.st_size > max)
		return TA_ERR_TOO_LARGE;
	data = malloc(max + 1);
	if (!data)
		return TA_ERR_NOMEM;
	for (;;) {
		n = read(fd, data + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > max)
			break;
	}
	if (n < 0 || len > max) {
		int e = errno;

		erase_and_free(data, max + 1);
		errno = e;
		return n < 0 ? TA_ERR_SYSTEM : TA_ERR_TOO_LARGE;
	}
	data[len] = '\0';
	*ret = data;
	*ret_len = len;
	return 0;
}
