/* SPDX-License-Identifier: MIT */
/* listen.c - standalone/Accept=no listener: accept, fork a handler per
 * connection, reap children, clean up the socket on SIGTERM/SIGINT. */
#include "listen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ask.h"
#include "cache.h"
#include "cleanup.h"
#include "err.h"
#include "log.h"
#include "sysutil.h"

/* How long an agent waits for another one starting on the same path. */
#define LISTEN_LOCK_TIMEOUT_MS (10 * 1000)

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return TA_ERR_SYSTEM;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

/* The lock that makes agents starting on one path take turns, so none
 * removes a socket another has just made live between its probe and its
 * unlink.  It is a file of our own in our private runtime directory, named
 * after the socket's directory (device, inode) and name: nobody else can
 * hold it, and the wait for it is bounded. */
static int listen_lock(const struct stat *dir_st, const char *name, int *ret_fd)
{
	_cleanup_free_ char *rdir = NULL, *path = NULL;
	_cleanup_close_ int fd = -1;
	uint32_t h = 2166136261u; /* FNV-1a of the socket's name */
	int r;

	for (const char *c = name; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	*ret_fd = -1;
	r = runtime_dir(&rdir);
	if (r < 0) {
		/* Only agents starting at the same moment race without it:
		 * not a reason to refuse to start. */
		log_warning("no private directory for the start-up lock (see above): starting without it");
		return 0;
	}
	if (asprintf(&path, "%s/listen-%jx-%jx-%08x.lock", rdir,
		     (uintmax_t)dir_st->st_dev, (uintmax_t)dir_st->st_ino, h) < 0)
		return TA_ERR_NOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0)
		return TA_ERR_SYSTEM;
	r = flock_bounded(fd, LISTEN_LOCK_TIMEOUT_MS, -1);
	if (r == TA_ERR_TIMEOUT)
		log_error("another ssh-tpm-agent has been starting on this socket for %u s (lock %s)",
			  LISTEN_LOCK_TIMEOUT_MS / 1000, path);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int create_socket(const char *path, bool own_dir, int *ret_fd, struct listen_path *ret_lp)
{
	_cleanup_free_ char *copy = NULL, *base = NULL;
	const char *dir;
	struct sockaddr_un sa;
	struct stat st, dst;
	_cleanup_close_ int fd = -1, lock = -1;
	mode_t old;
	int r;

	if (!*path) {
		/* bind() would make an abstract socket any local user can reach. */
		log_error("the socket path is empty");
		errno = EINVAL;
		return TA_ERR_INVALID_ARGUMENT;
	}
	r = fill_addr(path, &sa);
	if (r < 0)
		return r;
	copy = strdup(path);
	base = strdup(path);
	if (!copy || !base)
		return TA_ERR_NOMEM;
	dir = dirname(copy); /* may be a static "." */
	/* Whoever may change the socket's directory -- or any directory or
	 * symlink on the way to it -- may replace our socket with theirs:
	 * each must be ours or root's, and not writable by others unless
	 * sticky (like /tmp, where only we can remove our socket). */
	r = path_check_chain(dir);
	if (r == TA_ERR_UNSAFE_PATH)
		log_error("%s: refusing a socket that another user could redirect (see above)", path);
	if (r < 0)
		return r;
	if (stat(dir, &dst) < 0)
		return TA_ERR_SYSTEM;
	/* A directory made for this socket alone, just now: no other agent
	 * can be starting there (and a lock named after it would be left
	 * behind, one per COMMAND). */
	r = own_dir ? 0 : listen_lock(&dst, basename(base), &lock);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return TA_ERR_SYSTEM;
	if (lstat(path, &st) == 0) {
		_cleanup_close_ int probe = -1;

		if (!S_ISSOCK(st.st_mode)) {
			log_error("%s exists and is not a socket: not replacing it", path);
			return TA_ERR_UNSAFE_PATH;
		}
		/* Not ours: another user's program (an impostor, perhaps).
		 * Neither talk to it nor remove it; say so. */
		if (st.st_uid != geteuid()) {
			log_error("%s belongs to uid %u, not to us (uid %u): refusing to use or replace it",
				  path, (unsigned)st.st_uid, (unsigned)geteuid());
			return TA_ERR_UNSAFE_PATH;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe < 0)
			return TA_ERR_SYSTEM;
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			log_error("%s: an agent is already listening there", path);
			errno = EADDRINUSE;
			return TA_ERR_UNSAFE_PATH;
		}
		if (errno != ECONNREFUSED)
			return TA_ERR_SYSTEM;
		log_info("%s: replacing stale socket", path);
		if (unlink(path) < 0)
			return TA_ERR_SYSTEM;
	}
	/* Created 0600 from the start: no window where others can connect. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return TA_ERR_SYSTEM;
	if (listen(fd, SOMAXCONN) < 0 || lstat(path, &st) < 0) {
		int saved = errno;

		unlink(path);
		errno = saved;
		return TA_ERR_SYSTEM;
	}
	ret_lp->path = strdup(path);
	if (!ret_lp->path) {
		unlink(path);
		return TA_ERR_NOMEM;
	}
	ret_lp->dev = st.st_dev;
	ret_lp->ino = st.st_ino;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

void listen_path_remove(struct listen_path *lp)
{
	struct stat st;

	if (!lp || !lp->path)
		return;
	/* Only the socket we made: not whatever the name leads to now. */
	if (lstat(lp->path, &st) == 0 && st.st_dev == lp->dev && st.st_ino == lp->ino)
		unlink(lp->path);
	if (lp->dir)
		(void)rmdir(lp->dir); /* only when empty: nothing else goes */
	free(lp->path);
	lp->path = NULL;
	free(lp->dir);
	lp->dir = NULL;
}

int listen_create(const char *path, bool own_dir, int *ret_fd, struct listen_path *ret_lp)
{
	int r;

	*ret_lp = (struct listen_path){ 0 };
	r = create_socket(path, own_dir, ret_fd, ret_lp);

	/* The other failures were explained where they were found. */
	if (r == TA_ERR_SYSTEM || r == TA_ERR_NOMEM)
		log_error_r(r, "%s", path);
	return r;
}

/* SIGUSR1, as OpenSSH 10's agent: every added identity and every cached
 * secret (passphrases, the owner password) is dropped; key-dir keys stay
 * (they are files). */
static void forget_all(void)
{
	static const enum cache_kind kinds[] = { CACHE_IDENTITY, CACHE_PASSPHRASE,
						 CACHE_OWNER_PASSWORD };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (cache_flush(kinds[i]) < 0)
			log_warning("SIGUSR1: cannot drop every %s record", cache_kind_name(kinds[i]));
	log_info("SIGUSR1: added identities and cached secrets dropped");
}

/* How often, at most, the listener says it is at its cap. */
#define LISTEN_FULL_WARN_MS (60 * 1000)

/* Reap every handler that ended; *n counts those still alive.  A handler
 * killed by a signal (a crash, the OOM killer, a kill by hand) ended
 * without a word of its own: say so. */
static void reap_children(unsigned *n)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (*n > 0)
			(*n)--;
		if (WIFSIGNALED(status))
			log_warning("handler pid %d was killed by signal %d (%s)", (int)pid,
				    WTERMSIG(status), strsignal(WTERMSIG(status)));
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			log_debug("handler pid %d exited with status %d", (int)pid,
				  WEXITSTATUS(status));
	}
}

int listen_loop(int fd, struct listen_path *lp, const struct handler_config *cfg)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	sigset_t mask, old;
	_cleanup_close_ int sfd = -1;
	unsigned children = 0, max = cfg->max_connections;
	long long warned = 0;
	bool full = false;
	int r = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, &old) < 0)
		return TA_ERR_SYSTEM;
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return TA_ERR_SYSTEM;
	if (lp)
		log_info("listening on %s", lp->path);

	pfd[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		/* At the cap, connections wait in the socket's backlog (not
		 * refused, not accepted to be closed) until a handler ends:
		 * the listening socket is left out of the poll until then. */
		if (max && children >= max && !full &&
		    (!warned || monotonic_ms() - warned >= LISTEN_FULL_WARN_MS)) {
			log_warning("%u handlers running, the most at once (SSH_TPM_AGENT_MAX_CONNECTIONS): new connections wait until one ends",
				    children);
			warned = monotonic_ms();
		}
		full = max && children >= max;
		pfd[0].events = full ? 0 : POLLIN;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = TA_ERR_SYSTEM;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			bool stop = false;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGUSR1)
					forget_all();
				else if (si.ssi_signo != SIGCHLD)
					stop = true;
			}
			reap_children(&children);
			if (stop) {
				log_info("terminating");
				break;
			}
		}
		if (pfd[0].revents & (POLLERR | POLLNVAL | POLLHUP)) {
			log_error("listening socket failed (poll events 0x%x)",
				  (unsigned)pfd[0].revents);
			r = TA_ERR_SYSTEM;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
			pid_t pid;

			if (cfd < 0) {
				if (errno == EMFILE || errno == ENFILE ||
				    errno == ENOBUFS || errno == ENOMEM) {
					/* Out of resources: back off, do not spin. */
					log_error("accept: %s", strerror(errno));
					poll(NULL, 0, 100);
				} else if (errno != EINTR && errno != EAGAIN &&
					   errno != ECONNABORTED) {
					log_error("accept: %s", strerror(errno));
				}
				continue;
			}
			pid = fork();
			if (pid < 0) {
				log_error("fork: %s", strerror(errno));
				close(cfd);
				continue;
			}
			if (pid == 0) {
				/* The mask the listener was started with, less
				 * what it blocked for itself -- whoever started
				 * it may have blocked those too (run_command
				 * does, until this loop takes them): a handler,
				 * and the askpass it runs, must be stoppable. */
				sigprocmask(SIG_SETMASK, &old, NULL);
				sigprocmask(SIG_UNBLOCK, &mask, NULL);
				close(fd);
				close(sfd);
				_exit(handler_run_connection(cfg, cfd, cfd));
			}
			children++;
			close(cfd);
		}
	}
	listen_path_remove(lp);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
