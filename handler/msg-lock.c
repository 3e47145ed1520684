/* SPDX-License-Identifier: MIT */
/* msg-lock.c - LOCK and UNLOCK (ssh-add -x / -X), for every handler of the
 * user: the lock is a cache record in the kernel keyring holding a salt,
 * a slow hash of the password (PBKDF2-HMAC-SHA256) and the number of
 * failed unlocks.  While it exists every request but UNLOCK fails and
 * listing answers nothing.  A wrong unlock waits longer after each failure
 * (100 ms per failure, at most 10 s), counted across handlers, and
 * unlock attempts take turns (a lock file), so running many at once buys
 * an attacker nothing. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "agent.h"
#include "cache.h"
#include "cleanup.h"
#include "err.h"
#include "handler.h"
#include "log.h"
#include "sysutil.h"

#define LOCK_ID "agent"
#define LOCK_VERSION 1
#define LOCK_SALT 16
#define LOCK_HASH 32
#define LOCK_ITERATIONS 100000
#define LOCK_TURN_TIMEOUT_MS (60 * 1000)

struct lock_record {
	uint32_t version;
	uint32_t failures;
	uint8_t salt[LOCK_SALT];
	uint8_t hash[LOCK_HASH];
};

static int lock_read(struct handler_conn *c, struct lock_record *ret)
{
	struct cache *cache;
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	if ((r = handler_conn_state(c, &cache)) < 0)
		return r;
	r = cache_get(cache, CACHE_LOCK, LOCK_ID, &data, &len);
	if (r < 0)
		return r;
	if (len != sizeof(*ret)) {
		erase_and_free(data, len);
		return TA_ERR_FORMAT;
	}
	memcpy(ret, data, sizeof(*ret));
	erase_and_free(data, len);
	return ret->version == LOCK_VERSION ? 0 : TA_ERR_FORMAT;
}

static int lock_write(struct handler_conn *c, const struct lock_record *l)
{
	struct cache *cache;
	int r;

	if ((r = handler_conn_state(c, &cache)) < 0)
		return r;
	return cache_put(cache, CACHE_LOCK, LOCK_ID, "ssh-tpm-agent: lock", l, sizeof(*l), 0);
}

bool handler_locked(struct handler_conn *c)
{
	struct lock_record l;
	int r = lock_read(c, &l);

	OPENSSL_cleanse(&l, sizeof(l));
	/* A lock record we cannot read is still a lock. */
	return r != TA_ERR_KEY_NOT_FOUND;
}

static int pw_hash(const uint8_t *pw, size_t len, const uint8_t salt[LOCK_SALT],
		   uint8_t out[LOCK_HASH])
{
	return PKCS5_PBKDF2_HMAC((const char *)pw, (int)len, salt, LOCK_SALT, LOCK_ITERATIONS,
				 EVP_sha256(), LOCK_HASH, out) == 1
		       ? 0
		       : TA_ERR_LIBCRYPTO;
}

/* LOCK and UNLOCK of the user's handlers take turns (a lock file in the
 * runtime dir): one lock at a time, and no lock that no unlock could
 * undo. */
static int unlock_turn(struct handler_conn *c)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	int fd, r;

	if ((r = runtime_dir(&dir)) < 0)
		return r;
	if (asprintf(&path, "%s/unlock.lock", dir) < 0)
		return TA_ERR_NOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return TA_ERR_SYSTEM;
	r = flock_bounded(fd, LOCK_TURN_TIMEOUT_MS, c->fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd; /* the turn lasts until it is closed */
}

/* LOCK and UNLOCK: string password, nothing after. */
static int get_password(struct buf *req, const uint8_t **ret, size_t *ret_len)
{
	int r = buf_get_string_direct(req, ret, ret_len);

	if (r < 0)
		return r;
	return buf_len(req) != 0 ? TA_ERR_TRAILING : 0;
}

int handler_lock(struct handler_conn *c, struct buf *req, struct buf *resp)
{
	struct lock_record l = { .version = LOCK_VERSION };
	const uint8_t *pw;
	size_t len;
	int r, turn;

	if ((r = get_password(req, &pw, &len)) < 0)
		return r;
	if (len == 0) {
		log_info("LOCK with an empty password: refused, as OpenSSH does");
		return TA_ERR_INVALID_ARGUMENT;
	}
	turn = unlock_turn(c);
	if (turn < 0) {
		log_error_r(turn, "LOCK: no turn to take (the runtime dir?): not locked");
		return turn;
	}
	if (handler_locked(c)) {
		log_info("LOCK: already locked");
		close(turn);
		return TA_ERR_INVALID_ARGUMENT;
	}
	if (RAND_bytes(l.salt, sizeof(l.salt)) != 1) {
		close(turn);
		return TA_ERR_LIBCRYPTO;
	}
	r = pw_hash(pw, len, l.salt, l.hash);
	if (r >= 0)
		r = lock_write(c, &l);
	OPENSSL_cleanse(&l, sizeof(l));
	close(turn);
	if (r == TA_ERR_UNSUPPORTED)
		log_error("no kernel keyring to keep the lock in: not locked");
	if (r < 0)
		return r;
	log_info("agent locked by pid %d", (int)c->peer.pid);
	return buf_put_u8(resp, SSH_AGENT_SUCCESS);
}

int handler_unlock(struct handler_conn *c, struct buf *req, struct buf *resp)
{
	struct lock_record l;
	uint8_t hash[LOCK_HASH];
	const uint8_t *pw;
	size_t len;
	int r, turn;

	if ((r = get_password(req, &pw, &len)) < 0)
		return r;
	turn = unlock_turn(c);
	if (turn < 0)
		return turn;
	r = lock_read(c, &l);
	if (r == TA_ERR_KEY_NOT_FOUND) {
		log_info("UNLOCK: not locked");
		r = TA_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if (r < 0)
		goto out;
	if (l.failures > 0) {
		unsigned ms = l.failures > 100 ? 10000 : l.failures * 100;
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	r = len ? pw_hash(pw, len, l.salt, hash) : TA_ERR_INVALID_ARGUMENT;
	if (r >= 0 && CRYPTO_memcmp(hash, l.hash, sizeof(hash)) == 0) {
		struct cache *cache;

		r = handler_conn_state(c, &cache);
		if (r >= 0)
			r = cache_drop(cache, CACHE_LOCK, LOCK_ID);
		if (r >= 0)
			log_info("agent unlocked by pid %d", (int)c->peer.pid);
		goto out;
	}
	l.failures++;
	log_info("UNLOCK: wrong password (%u failures in a row)", l.failures);
	if (lock_write(c, &l) < 0)
		log_warning("cannot count the failed unlock");
	r = TA_ERR_INVALID_ARGUMENT;
out:
	OPENSSL_cleanse(&l, sizeof(l));
	OPENSSL_cleanse(hash, sizeof(hash));
	close(turn);
	if (r < 0)
		return r;
	return buf_put_u8(resp, SSH_AGENT_SUCCESS);
}
