/* listen.c - standalone/Accept=no listener: accept, fork a handler per
 * connection, reap children, clean up the socket on SIGTERM/SIGINT. */
#include "listen.h"

#include <errno.h>
#include <fcntl.h>
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
#include "err.h"
#include "log.h"

int handler_run_connection(struct handler_ctx *ctx, int in_fd, int out_fd)
{
	int r;

	r = handler_check_peer(ctx, in_fd);
	if (r < 0)
		return 1;
	r = handler_serve(ctx, in_fd, out_fd);
	ask_free_secret(ctx->owner_pw);
	ctx->owner_pw = NULL;
	if (r < 0) {
		log_debug_r(r, "connection from pid %d closed", (int)ctx->peer_pid);
		return 1;
	}
	return 0;
}

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

int listen_create(const char *path, int *ret_fd)
{
	_cleanup_free_ char *dir = strdup(path);
	struct sockaddr_un sa;
	struct stat st;
	_cleanup_close_ int fd = -1, dfd = -1;
	mode_t old;
	int r;

	r = fill_addr(path, &sa);
	if (r < 0)
		return r;
	if (!dir)
		return TA_ERR_NOMEM;
	/* Agents starting at the same time take turns (a lock on the
	 * directory), so none can remove a socket another has just made
	 * live between its probe and its unlink. */
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return TA_ERR_SYSTEM;
	while (flock(dfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return TA_ERR_SYSTEM;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return TA_ERR_SYSTEM;
	if (lstat(path, &st) == 0) {
		_cleanup_close_ int probe = -1;

		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			log_error("%s exists and is not a socket: not replacing it", path);
			return TA_ERR_SYSTEM;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe < 0)
			return TA_ERR_SYSTEM;
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			errno = EADDRINUSE;
			log_error("%s: an agent is already listening there", path);
			return TA_ERR_SYSTEM;
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
	if (listen(fd, SOMAXCONN) < 0) {
		int saved = errno;

		unlink(path);
		errno = saved;
		return TA_ERR_SYSTEM;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static void reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int listen_loop(int fd, const char *path, const struct handler_ctx *tmpl)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	sigset_t mask, old;
	_cleanup_close_ int sfd = -1;
	int r = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &old) < 0)
		return TA_ERR_SYSTEM;
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return TA_ERR_SYSTEM;
	if (path)
		log_info("listening on %s", path);

	pfd[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = TA_ERR_SYSTEM;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			bool stop = false;

			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				if (si.ssi_signo != SIGCHLD)
					stop = true;
			reap_children();
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
				struct handler_ctx ctx = *tmpl;

				sigprocmask(SIG_SETMASK, &old, NULL);
				close(fd);
				close(sfd);
				_exit(handler_run_connection(&ctx, cfd, cfd));
			}
			close(cfd);
		}
	}
	if (path)
		unlink(path);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
