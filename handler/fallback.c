/* SPDX-License-Identifier: MIT */
/* fallback.c - fallback agents (fallback.h): connections opened when
 * first needed, bounded waits, the peer's uid checked, the connection's
 * session bindings replayed to each fallback as it connects. */
#include "fallback.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "err.h"
#include "log.h"
#include "softkey.h"
#include "sysutil.h"

unsigned fallback_slow_ms(const struct handler_conn *c)
{
	return c->cfg->prompt_timeout * 1000u + FALLBACK_QUICK_MS;
}

static struct handler_fallback *slot(struct handler_conn *c, size_t i)
{
	if (!c->fallbacks) {
		c->fallbacks = calloc(c->cfg->n_fallbacks, sizeof(*c->fallbacks));
		if (!c->fallbacks)
			return NULL;
		for (size_t k = 0; k < c->cfg->n_fallbacks; k++)
			c->fallbacks[k].fd = -1;
	}
	return &c->fallbacks[i];
}

void fallback_close_all(struct handler_conn *c)
{
	if (!c->fallbacks)
		return;
	for (size_t i = 0; i < c->cfg->n_fallbacks; i++)
		if (c->fallbacks[i].fd >= 0)
			close(c->fallbacks[i].fd);
	c->fallbacks = mfree(c->fallbacks);
}

/* Wait until fd is ready for events, or the deadline, or our client hung
 * up (nobody to answer). */
static int wait_fd(struct handler_conn *c, int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = events }, { .fd = c->fd } };
		long long left = deadline - monotonic_ms();
		int n;

		if (left <= 0)
			return TA_ERR_TIMEOUT;
		n = poll(p, c->fd >= 0 ? 2 : 1, (int)(left > 1000 ? 1000 : left));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return TA_ERR_SYSTEM;
		if (c->fd >= 0 && (p[1].revents & (POLLHUP | POLLERR)))
			return TA_ERR_HANGUP;
		if (p[0].revents)
			return 0;
	}
}

static int send_all(struct handler_conn *c, int fd, const uint8_t *p, size_t len,
		    long long deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			r = wait_fd(c, fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return errno == EPIPE || errno == ECONNRESET ? TA_ERR_EOF : TA_ERR_SYSTEM;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Exactly len bytes; TA_ERR_EOF when the fallback closed before any. */
static int recv_all(struct handler_conn *c, int fd, uint8_t *p, size_t len, long long deadline)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, p + got, len - got, 0);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			r = wait_fd(c, fd, POLLIN, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (n < 0 && errno != ECONNRESET)
			return TA_ERR_SYSTEM;
		if (n <= 0)
			return got == 0 ? TA_ERR_EOF : TA_ERR_INCOMPLETE;
		got += (size_t)n;
	}
	return 0;
}

/* One request, one reply, on an open connection. */
static int exchange(struct handler_conn *c, int fd, const uint8_t *req, size_t len,
		    struct buf *resp, long long deadline)
{
	_cleanup_(buf_freep) struct buf *hdr = buf_new(4);
	uint8_t raw[4], *body;
	uint32_t n;
	int r;

	buf_reset(resp);
	if (!hdr)
		return TA_ERR_NOMEM;
	if (len == 0 || len > AGENT_MAX_LEN)
		return TA_ERR_TOO_LARGE;
	if ((r = buf_put_u32(hdr, (uint32_t)len)) < 0 ||
	    (r = send_all(c, fd, buf_ptr(hdr), 4, deadline)) < 0 ||
	    (r = send_all(c, fd, req, len, deadline)) < 0 ||
	    (r = recv_all(c, fd, raw, sizeof(raw), deadline)) < 0)
		return r;
	buf_reset(hdr);
	if ((r = buf_put(hdr, raw, sizeof(raw))) < 0 || (r = buf_get_u32(hdr, &n)) < 0)
		return r;
	if (n == 0 || n > buf_max(resp) || n > AGENT_MAX_LEN)
		return TA_ERR_TOO_LARGE;
	if ((r = buf_reserve(resp, n, &body)) < 0)
		return r;
	r = recv_all(c, fd, body, n, deadline);
	if (r < 0) {
		buf_reset(resp);
		return r == TA_ERR_EOF ? TA_ERR_INCOMPLETE : r;
	}
	return 0;
}

/* Pass one session-bind request on; a fallback that does not take it
 * (gpg-agent, an older agent) is told nothing more about it. */
static int send_bind(struct handler_conn *c, size_t i, int fd, const uint8_t *msg, size_t len)
{
	_cleanup_(buf_freep) struct buf *resp = buf_new(AGENT_MAX_LEN);
	uint8_t t = 0;
	int r;

	if (!resp)
		return TA_ERR_NOMEM;
	r = exchange(c, fd, msg, len, resp, monotonic_ms() + FALLBACK_QUICK_MS);
	if (r < 0)
		return r;
	(void)buf_get_u8(resp, &t);
	if (t != SSH_AGENT_SUCCESS)
		log_debug("fallback agent %s did not take the session binding (reply %u)",
			  c->cfg->fallbacks[i], t);
	return 0;
}

/* How deep we are, to a fallback that is an ssh-tpm-agent (others fail
 * the unknown extension, which is fine). */
static int send_hops(struct handler_conn *c, int fd)
{
	_cleanup_(buf_freep) struct buf *m = buf_new(64), *resp = buf_new(AGENT_MAX_LEN);
	int r;

	if (!m || !resp)
		return TA_ERR_NOMEM;
	if ((r = buf_put_u8(m, SSH_AGENTC_EXTENSION)) < 0 ||
	    (r = buf_put_cstring(m, FALLBACK_HOPS)) < 0 || (r = buf_put_u32(m, c->hops + 1)) < 0)
		return r;
	return exchange(c, fd, buf_ptr(m), buf_len(m), resp, monotonic_ms() + FALLBACK_QUICK_MS);
}

/* The socket our client reached us on, as a fallback: a loop of one. */
static bool is_own_socket(const struct handler_conn *c, const char *path)
{
	struct sockaddr_un own = { 0 };
	socklen_t len = sizeof(own);
	size_t off = offsetof(struct sockaddr_un, sun_path);
	struct stat a, b;

	if (c->fd < 0 || getsockname(c->fd, (struct sockaddr *)&own, &len) < 0 ||
	    own.sun_family != AF_UNIX || len <= off + 1 || own.sun_path[0] == '\0')
		return false;
	own.sun_path[len - off < sizeof(own.sun_path) ? len - off : sizeof(own.sun_path) - 1] = '\0';
	return stat(own.sun_path, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int connect_fallback(struct handler_conn *c, size_t i, int *ret_fd)
{
	const char *path = c->cfg->fallbacks[i];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return TA_ERR_INVALID_ARGUMENT;
	for (size_t k = 0; k < i; k++) {
		struct stat a, b;

		if (stat(c->cfg->fallbacks[k], &a) == 0 && stat(path, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			log_debug("fallback agent %s is %s again: skipped", path, c->cfg->fallbacks[k]);
			return TA_ERR_UNSUPPORTED;
		}
	}
	if (is_own_socket(c, path)) {
		log_debug("fallback agent %s is this agent's own socket: skipped", path);
		return TA_ERR_UNSUPPORTED;
	}
	if (c->hops + 1 >= FALLBACK_MAX_HOPS) {
		log_debug("fallback agent %s: %u agents deep already (fallbacks in a loop?): skipped",
			  path, c->hops + 1);
		return TA_ERR_UNSUPPORTED;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return TA_ERR_SYSTEM;
	/* A full backlog (EAGAIN) counts as unreachable: no waiting. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_debug("fallback agent %s: %s: skipped", path, strerror(errno));
		close(fd);
		return TA_ERR_UNSUPPORTED;
	}
	/* Only the user's own agents (or root's): another user's would be
	 * handed our clients' requests, and the keys ssh-add sends. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
	    (cred.uid != geteuid() && cred.uid != 0)) {
		log_debug("fallback agent %s is run by uid %u, not by uid %u: skipped", path,
			  (unsigned)cred.uid, (unsigned)geteuid());
		close(fd);
		return TA_ERR_UNSUPPORTED;
	}
	r = send_hops(c, fd);
	if (r < 0) {
		log_debug_r(r, "fallback agent %s", path);
		close(fd);
		return TA_ERR_UNSUPPORTED;
	}
	if (c->bind_requests_lost) {
		log_debug("fallback agent %s: more session binds than we keep to pass on: skipped", path);
		close(fd);
		return TA_ERR_UNSUPPORTED;
	}
	for (size_t k = 0; k < c->n_bind_requests; k++) {
		r = send_bind(c, i, fd, c->bind_requests[k].msg, c->bind_requests[k].len);
		if (r < 0) {
			log_debug_r(r, "fallback agent %s: passing on a session binding", path);
			close(fd);
			return TA_ERR_UNSUPPORTED;
		}
	}
	*ret_fd = fd;
	return 0;
}

int fallback_call(struct handler_conn *c, size_t i, const uint8_t *req, size_t len,
		  struct buf *resp, unsigned timeout_ms)
{
	struct handler_fallback *f;
	long long deadline = monotonic_ms() + timeout_ms;
	bool fresh = false;
	int r;

	if (i >= c->cfg->n_fallbacks)
		return TA_ERR_INVALID_ARGUMENT;
	f = slot(c, i);
	if (!f)
		return TA_ERR_NOMEM;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (f->dead)
			return TA_ERR_UNSUPPORTED;
		if (f->fd < 0) {
			r = connect_fallback(c, i, &f->fd);
			if (r < 0) {
				f->dead = true;
				return r;
			}
			fresh = true;
		}
		r = exchange(c, f->fd, req, len, resp, deadline);
		if (r == 0)
			return 0;
		close(f->fd);
		f->fd = -1;
		if (r == TA_ERR_HANGUP)
			return r;
		/* A kept connection the fallback closed (it restarted):
		 * once more on a new one. */
		if (r == TA_ERR_EOF && !fresh)
			continue;
		log_debug_r(r, "fallback agent %s: skipped", c->cfg->fallbacks[i]);
		f->dead = true;
		return TA_ERR_UNSUPPORTED;
	}
	return TA_ERR_UNSUPPORTED;
}

/* Fallback i's identities, appended to l (not those for which skip says
 * so). */
static int list_one(struct handler_conn *c, size_t i, struct identity_list *l,
		    const struct identity_list *ours)
{
	_cleanup_(buf_freep) struct buf *resp = buf_new(AGENT_MAX_LEN);
	const uint8_t req[1] = { SSH_AGENTC_REQUEST_IDENTITIES };
	uint8_t t;
	uint32_t n;
	int r;

	if (!resp)
		return TA_ERR_NOMEM;
	r = fallback_call(c, i, req, sizeof(req), resp, FALLBACK_QUICK_MS);
	if (r < 0)
		return r;
	if ((r = buf_get_u8(resp, &t)) < 0 || (r = buf_get_u32(resp, &n)) < 0 ||
	    t != SSH_AGENT_IDENTITIES_ANSWER) {
		log_debug("fallback agent %s: no identity list (reply %u)", c->cfg->fallbacks[i],
			  t);
		return 0;
	}
	/* Each entry takes 8 bytes at least: n cannot exceed what came. */
	if (n > buf_len(resp) / 8) {
		log_debug("fallback agent %s: a list of %u identities in %zu bytes",
			  c->cfg->fallbacks[i], n, buf_len(resp));
		return 0;
	}
	for (uint32_t k = 0; k < n && l->n < AGENT_MAX_IDENTITIES; k++) {
		_cleanup_(identity_clear) struct identity id = { .fallback = (unsigned)i + 1 };
		struct identity *grown;

		if (buf_get_string(resp, &id.blob, &id.blob_len) < 0 ||
		    buf_get_cstring(resp, &id.comment, NULL) < 0 || id.blob_len == 0) {
			log_debug("fallback agent %s: a malformed identity list", c->cfg->fallbacks[i]);
			return 0;
		}
		/* One broken key would make ssh-add refuse the whole list,
		 * ours too. */
		if (softkey_pubkey_check(id.blob, id.blob_len) < 0) {
			log_debug("fallback agent %s: a malformed key in its list: left out",
				  c->cfg->fallbacks[i]);
			continue;
		}
		if ((ours && identity_list_find(ours, id.blob, id.blob_len)) ||
		    identity_list_find(l, id.blob, id.blob_len))
			continue;
		grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
		if (!grown)
			return TA_ERR_NOMEM;
		l->v = grown;
		l->v[l->n++] = id;
		memset(&id, 0, sizeof(id));
	}
	return 0;
}

int fallback_identities(struct handler_conn *c, const struct identity_list *ours,
			struct identity_list **ret)
{
	_cleanup_(identity_list_freep) struct identity_list *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return TA_ERR_NOMEM;
	for (size_t i = 0; i < c->cfg->n_fallbacks; i++) {
		r = list_one(c, i, l, ours);
		if (r == TA_ERR_NOMEM || r == TA_ERR_HANGUP)
			return r;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

int fallback_remember(struct handler_conn *c, const struct identity *v, size_t n)
{
	_cleanup_(identity_list_freep) struct identity_list *l = calloc(1, sizeof(*l));

	identity_list_free(TAKE_PTR(c->fallback_seen));
	if (!l || !(l->v = calloc(n ? n : 1, sizeof(*l->v))))
		return TA_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		struct identity *d = &l->v[l->n];

		if (!(d->blob = malloc(v[i].blob_len)))
			return TA_ERR_NOMEM;
		memcpy(d->blob, v[i].blob, v[i].blob_len);
		d->blob_len = v[i].blob_len;
		d->fallback = v[i].fallback;
		l->n++;
	}
	c->fallback_seen = TAKE_PTR(l);
	return 0;
}

int fallback_find(struct handler_conn *c, const uint8_t *blob, size_t len, size_t *ret_i)
{
	const struct identity *seen =
		c->fallback_seen ? identity_list_find(c->fallback_seen, blob, len) : NULL;

	if (seen && seen->fallback > 0 && seen->fallback <= c->cfg->n_fallbacks) {
		*ret_i = seen->fallback - 1;
		return 0;
	}
	for (size_t i = 0; i < c->cfg->n_fallbacks; i++) {
		_cleanup_(identity_list_freep) struct identity_list *l = calloc(1, sizeof(*l));
		int r;

		if (!l)
			return TA_ERR_NOMEM;
		r = list_one(c, i, l, NULL);
		if (r == TA_ERR_NOMEM || r == TA_ERR_HANGUP)
			return r;
		if (identity_list_find(l, blob, len)) {
			*ret_i = i;
			return 0;
		}
	}
	return TA_ERR_KEY_NOT_FOUND;
}

void fallback_bind(struct handler_conn *c, const uint8_t *msg, size_t len)
{
	if (!c->fallbacks)
		return;
	for (size_t i = 0; i < c->cfg->n_fallbacks; i++) {
		struct handler_fallback *f = &c->fallbacks[i];
		int r;

		if (f->fd < 0)
			continue;
		r = send_bind(c, i, f->fd, msg, len);
		if (r < 0) {
			/* Reconnected later, with every binding. */
			log_debug_r(r, "fallback agent %s: passing on a session binding",
				    c->cfg->fallbacks[i]);
			close(f->fd);
			f->fd = -1;
		}
	}
}
