/* fileio.c - atomic file replacement (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "sysutil.h"

/* Temporary files not yet committed or discarded, for the signal handler.
 * Changed only with the cleanup signals blocked. */
#define MAX_PENDING 8
static char *volatile pending[MAX_PENDING];
static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void block_cleanup_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < ELEMENTSOF(cleanup_signals); i++)
		sigaddset(&set, cleanup_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void restore_signals(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

void atomic_file_hold_signals(sigset_t *old)
{
	block_cleanup_signals(old);
}

void atomic_file_release_signals(const sigset_t *old)
{
	restore_signals(old);
}

static bool pending_add(char *tmp)
{
	sigset_t old;
	bool added = false;

	block_cleanup_signals(&old);
	for (size_t i = 0; i < MAX_PENDING && !added; i++)
		if (!pending[i]) {
			pending[i] = tmp;
			added = true;
		}
	restore_signals(&old);
	return added;
}

static void pending_remove(const char *tmp)
{
	sigset_t old;

	block_cleanup_signals(&old);
	for (size_t i = 0; i < MAX_PENDING; i++)
		if (pending[i] == tmp)
			pending[i] = NULL;
	restore_signals(&old);
}

static void on_cleanup_signal(int signo)
{
	/* Only async-signal-safe calls: unlink, signal, raise. */
	for (size_t i = 0; i < MAX_PENDING; i++)
		if (pending[i])
			unlink(pending[i]);
	signal(signo, SIG_DFL);
	raise(signo);
}

void atomic_file_cleanup_on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_cleanup_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(cleanup_signals); i++)
		sigaddset(&sa.sa_mask, cleanup_signals[i]);
	for (size_t i = 0; i < ELEMENTSOF(cleanup_signals); i++)
		sigaction(cleanup_signals[i], &sa, NULL);
}

int atomic_file_open(const char *path, mode_t mode, struct atomic_file *ret)
{
	_cleanup_free_ char *d1 = strdup(path), *d2 = strdup(path);
	char *tmp;
	int fd;

	ret->path = ret->tmp = NULL;
	ret->fd = -1;
	if (!d1 || !d2)
		return TA_ERR_NOMEM;
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dirname(d1), basename(d2)) < 0)
		return TA_ERR_NOMEM;
	/* Registered before it exists, so a signal never leaves it behind. */
	if (!pending_add(tmp)) {
		free(tmp);
		return TA_ERR_INTERNAL;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;

		pending_remove(tmp);
		free(tmp);
		errno = saved;
		return TA_ERR_SYSTEM;
	}
	if (fchmod(fd, mode) < 0) {
		int saved = errno;

		close(fd);
		unlink(tmp);
		pending_remove(tmp);
		free(tmp);
		errno = saved;
		return TA_ERR_SYSTEM;
	}
	ret->path = strdup(path);
	if (!ret->path) {
		close(fd);
		unlink(tmp);
		pending_remove(tmp);
		free(tmp);
		return TA_ERR_NOMEM;
	}
	ret->tmp = tmp;
	ret->fd = fd;
	return 0;
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
	if (rename(f->tmp, f->path) < 0)
		return TA_ERR_SYSTEM;
	pending_remove(f->tmp);
	free(f->tmp);
	f->tmp = NULL;
	return 0;
}

void atomic_file_discard(struct atomic_file *f)
{
	int saved = errno;

	if (f->fd >= 0)
		close(TAKE_FD(f->fd));
	if (f->tmp) {
		unlink(f->tmp);
		pending_remove(f->tmp);
	}
	free(f->tmp);
	free(f->path);
	f->tmp = f->path = NULL;
	errno = saved;
}
