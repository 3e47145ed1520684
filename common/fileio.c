/* fileio.c - atomic file replacement (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"

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
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;

		free(tmp);
		errno = saved;
		return TA_ERR_SYSTEM;
	}
	if (fchmod(fd, mode) < 0) {
		int saved = errno;

		close(fd);
		unlink(tmp);
		free(tmp);
		errno = saved;
		return TA_ERR_SYSTEM;
	}
	ret->path = strdup(path);
	if (!ret->path) {
		close(fd);
		unlink(tmp);
		free(tmp);
		return TA_ERR_NOMEM;
	}
	ret->tmp = tmp;
	ret->fd = fd;
	return 0;
}

int atomic_file_finish(struct atomic_file *f, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(f->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return TA_ERR_SYSTEM;
		p += n;
		len -= (size_t)n;
	}
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
	free(f->tmp);
	f->tmp = NULL;
	return 0;
}

void atomic_file_discard(struct atomic_file *f)
{
	int saved = errno;

	if (f->fd >= 0)
		close(TAKE_FD(f->fd));
	if (f->tmp)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	f->tmp = f->path = NULL;
	errno = saved;
}
