/* SPDX-License-Identifier: MIT */
/* swtpm.c - start (once) and find the per-user swtpm daemon that backs
 * --swtpm / $SSH_TPM_AGENT_SWTPM.  It is for trying the product without a
 * TPM: the "TPM" is a file under /var/tmp and protects nothing. */
#include "swtpm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "log.h"
#include "sysutil.h"

/* Starting swtpm takes well under a second; wait at most this long for
 * another process that is starting it. */
#define SWTPM_START_TIMEOUT_MS (30 * 1000)

int swtpm_daemon_dir(char **ret)
{
	const char *v = getenv("SSH_TPM_AGENT_SWTPM_DIR");
	char *d;
	int n;

	if (v && *v)
		d = strdup(v);
	else if (geteuid() == 0)
		d = strdup("/var/tmp/ssh-tpm-agent");
	else {
		n = asprintf(&d, "/var/tmp/ssh-tpm-agent-%u", (unsigned)geteuid());
		if (n < 0)
			d = NULL;
	}
	if (!d)
		return TA_ERR_NOMEM;
	*ret = d;
	return 0;
}

static int sock_alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

static int spawn_swtpm(const char *dir, const char *sock)
{
	_cleanup_free_ char *state = NULL, *server = NULL, *ctrl = NULL,
			    *pid = NULL, *log = NULL;
	pid_t child;
	int status;

	if (asprintf(&state, "dir=%s", dir) < 0 ||
	    asprintf(&server, "type=unixio,path=%s", sock) < 0 ||
	    asprintf(&ctrl, "type=unixio,path=%s.ctrl", sock) < 0 ||
	    asprintf(&pid, "file=%s/swtpm.pid", dir) < 0 ||
	    asprintf(&log, "file=%s/swtpm.log", dir) < 0)
		return TA_ERR_NOMEM;
	child = fork();
	if (child < 0)
		return TA_ERR_SYSTEM;
	if (child == 0) {
		if (stdio_to_null(STDIO_ALL) < 0)
			_exit(127);
		setsid();
		execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate",
		       state, "--server", server, "--ctrl", ctrl, "--flags",
		       "not-need-init,startup-clear", "--pid", pid, "--log",
		       log, "--daemon", (char *)NULL);
		_exit(127);
	}
	/* With --daemon, swtpm's first process exits once it is set up. */
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return TA_ERR_SYSTEM;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_debug("swtpm exited with status %d", status);
		return WIFEXITED(status) && WEXITSTATUS(status) == 127
			       ? (errno = ENOENT, TA_ERR_SYSTEM)
			       : TA_ERR_TPM_UNREACHABLE;
	}
	return 0;
}

void swtpm_lock_prepare(const char *sock)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;
	int fd;

	if (lstat(sock, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    (st.st_uid != geteuid() && geteuid() != 0) || asprintf(&path, "%s.lock", sock) < 0)
		return;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
		  st.st_mode & 0666);
	if (fd < 0)
		return;
	/* Root makes it the socket owner's, as tpm.c does. */
	if (fchmod(fd, st.st_mode & 0666) < 0 ||
	    (st.st_uid != geteuid() && fchown(fd, st.st_uid, st.st_gid) < 0))
		log_debug("%s: %s", path, strerror(errno));
	close(fd);
}

int swtpm_daemon_tcti(char **ret)
{
	_cleanup_free_ char *dir = NULL, *sock = NULL, *lock = NULL;
	_cleanup_close_ int lfd = -1;
	char *tcti;
	int r;

	*ret = NULL;
	r = swtpm_daemon_dir(&dir);
	if (r < 0)
		return r;
	/* Ours and private: one squatted by another user in the world-
	 * writable /var/tmp is refused (private_dir_ensure says why). */
	r = private_dir_ensure(dir, false);
	if (r == TA_ERR_UNSAFE_PATH)
		log_error("cannot use the swtpm state directory %s: set SSH_TPM_AGENT_SWTPM_DIR to a directory of your own",
			  dir);
	if (r < 0)
		return r;
	if (asprintf(&sock, "%s/sock", dir) < 0 ||
	    asprintf(&lock, "%s/lock", dir) < 0)
		return TA_ERR_NOMEM;

	if (!sock_alive(sock)) {
		lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (lfd < 0)
			return TA_ERR_SYSTEM;
		r = flock_bounded(lfd, SWTPM_START_TIMEOUT_MS, -1);
		if (r < 0)
			return r;
		/* Someone may have started it while we waited. */
		if (!sock_alive(sock)) {
			_cleanup_free_ char *ctrl = NULL;

			if (asprintf(&ctrl, "%s.ctrl", sock) < 0)
				return TA_ERR_NOMEM;
			unlink(sock);
			unlink(ctrl);
			log_info("starting swtpm in %s (a software TPM: keys are NOT protected by hardware)",
				 dir);
			r = spawn_swtpm(dir, sock);
			if (r < 0)
				return r;
			for (int i = 0; i < 500 && !sock_alive(sock); i++) {
				struct timespec ts = { 0, 10 * 1000 * 1000 };

				nanosleep(&ts, NULL);
			}
			if (!sock_alive(sock))
				return TA_ERR_TPM_UNREACHABLE;
		}
	}
	swtpm_lock_prepare(sock);
	if (asprintf(&tcti, "swtpm:path=%s", sock) < 0)
		return TA_ERR_NOMEM;
	*ret = tcti;
	return 0;
}
