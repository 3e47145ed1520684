/* SPDX-License-Identifier: MIT */
/* added.c - identities added with ssh-add, as cache records (added.h).
 * A record: u32 version (3), u64 seq, u32 flags, string blob, string
 * comment, string destination constraints, string key -- the key last,
 * so that a listing reads past no secret it does not need.  (Version 2,
 * without the constraints, is still read.) */
#include "added.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "buf.h"
#include "cache.h"
#include "cleanup.h"
#include "dest.h"
#include "err.h"
#include "log.h"
#include "sshkey.h"

#define ADDED_VERSION 3
#define RESTRICT_DEST "restrict-destination-v00@openssh.com"

void added_clear(struct added *a)
{
	free(a->blob);
	erase_and_free(a->key, a->key_len);
	free(a->comment);
	free(a->dest);
	memset(a, 0, sizeof(*a));
}

#define MAX_LIFETIME (365U * 86400)

/* string name, then the extension's own fields. */
static int parse_extension(struct buf *req, const uint8_t **dest, size_t *dest_len)
{
	_cleanup_free_ char *name = NULL;
	struct dest_set d;
	int r;

	if ((r = buf_get_cstring(req, &name, NULL)) < 0)
		return r;
	if (strcmp(name, RESTRICT_DEST) != 0) {
		log_info("constraint '%s': not supported for this key, refused", name);
		return TA_ERR_UNSUPPORTED;
	}
	if (*dest) {
		log_info("constraint " RESTRICT_DEST " given twice");
		return TA_ERR_FORMAT;
	}
	if ((r = buf_get_string_direct(req, dest, dest_len)) < 0)
		return r;
	r = dest_parse(*dest, *dest_len, &d);
	if (r < 0) {
		log_info("constraint " RESTRICT_DEST ": %s", ta_strerror(r));
		return r;
	}
	dest_set_clear(&d);
	/* An empty list restricts nothing (as in OpenSSH's agent). */
	if (*dest_len == 0)
		*dest = NULL;
	return 0;
}

int added_parse_constraints(struct buf *req, unsigned *lifetime, uint32_t *flags,
			    const uint8_t **dest, size_t *dest_len)
{
	bool have_lifetime = false, have_confirm = false;

	*dest = NULL;
	*dest_len = 0;
	while (buf_len(req) > 0) {
		uint8_t type;
		uint32_t secs;
		int r;

		if ((r = buf_get_u8(req, &type)) < 0)
			return r;
		switch (type) {
		case SSH_AGENT_CONSTRAIN_LIFETIME:
			if (have_lifetime) {
				log_info("constraint: lifetime given twice");
				return TA_ERR_FORMAT;
			}
			have_lifetime = true;
			if ((r = buf_get_u32(req, &secs)) < 0)
				return r;
			if (secs == 0 || secs > MAX_LIFETIME) {
				log_info("constraint: lifetime %u s out of range", secs);
				return TA_ERR_INVALID_ARGUMENT;
			}
			*lifetime = secs;
			break;
		case SSH_AGENT_CONSTRAIN_CONFIRM:
			if (have_confirm) {
				log_info("constraint: confirm given twice");
				return TA_ERR_FORMAT;
			}
			have_confirm = true;
			*flags |= ADDED_CONFIRM;
			break;
		case SSH_AGENT_CONSTRAIN_EXTENSION:
			if ((r = parse_extension(req, dest, dest_len)) < 0)
				return r;
			break;
		default:
			log_info("constraint %u: not supported, refused as OpenSSH does", type);
			return TA_ERR_UNSUPPORTED;
		}
	}
	return 0;
}

static int record_id(const uint8_t *blob, size_t len, char id[65])
{
	uint8_t md[64];
	int r = ta_hash_digest(TA_HASH_SHA256, blob, len, md);

	if (r < 0)
		return r;
	for (int i = 0; i < 32; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int added_encode(struct buf *b, const struct added *a)
{
	int r;

	if ((r = buf_put_u32(b, ADDED_VERSION)) < 0 || (r = buf_put_u64(b, a->seq)) < 0 ||
	    (r = buf_put_u32(b, a->flags)) < 0 || (r = buf_put_string(b, a->blob, a->blob_len)) < 0 ||
	    (r = buf_put_cstring(b, a->comment)) < 0 ||
	    (r = buf_put_string(b, a->dest, a->dest_len)) < 0 ||
	    (r = buf_put_string(b, a->key, a->key_len)) < 0)
		return r;
	return 0;
}

int added_decode(const uint8_t *data, size_t len, bool with_key, struct added *ret)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(data, len);
	struct added a = { 0 };
	uint32_t version;
	int r;

	if (!b)
		return TA_ERR_NOMEM;
	if ((r = buf_get_u32(b, &version)) < 0)
		return r;
	if (version != ADDED_VERSION && version != 2)
		return TA_ERR_FORMAT;
	if ((r = buf_get_u64(b, &a.seq)) < 0 || (r = buf_get_u32(b, &a.flags)) < 0 ||
	    (r = buf_get_string(b, &a.blob, &a.blob_len)) < 0 ||
	    (r = buf_get_cstring(b, &a.comment, NULL)) < 0)
		goto fail;
	if (version == ADDED_VERSION && (r = buf_get_string(b, &a.dest, &a.dest_len)) < 0)
		goto fail;
	if (a.dest_len == 0)
		a.dest = mfree(a.dest);
	if ((with_key || (a.flags & ADDED_TPM)) &&
	    (r = buf_get_string(b, &a.key, &a.key_len)) < 0)
		goto fail;
	*ret = a;
	return 0;
fail:
	added_clear(&a);
	return r;
}

static int get_by_id(struct handler_conn *c, const char *id, bool with_key,
		     struct added *ret)
{
	struct cache *cache;
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = handler_conn_state(c, &cache);
	if (r < 0)
		return r;
	r = cache_get(cache, CACHE_IDENTITY, id, &data, &len);
	if (r < 0)
		return r;
	r = added_decode(data, len, with_key, ret);
	erase_and_free(data, len);
	return r;
}

int added_get(struct handler_conn *c, const uint8_t *blob, size_t blob_len,
	      struct added *ret)
{
	char id[65];
	int r;

	r = record_id(blob, blob_len, id);
	if (r < 0)
		return r;
	r = get_by_id(c, id, true, ret);
	if (r < 0)
		return r;
	/* The id is a hash: check it is this very blob. */
	if (ret->blob_len != blob_len || memcmp(ret->blob, blob, blob_len) != 0) {
		added_clear(ret);
		return TA_ERR_KEY_NOT_FOUND;
	}
	return 0;
}

int added_put(struct handler_conn *c, const uint8_t *blob, size_t blob_len,
	      const uint8_t *key, size_t key_len, const char *comment,
	      const uint8_t *dest, size_t dest_len, uint32_t flags, unsigned lifetime)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(CACHE_MAX_RECORD);
	_cleanup_free_ char *label = NULL;
	struct added old = { 0 }, rec;
	struct timespec ts;
	struct cache *cache;
	uint64_t seq;
	char id[65];
	int r;

	if (!b)
		return TA_ERR_NOMEM;
	if ((r = record_id(blob, blob_len, id)) < 0 ||
	    (r = handler_conn_state(c, &cache)) < 0)
		return r;
	/* Added again: it keeps its place, as in OpenSSH's agent -- unless
	 * its constraints hide it from this connection. */
	if (get_by_id(c, id, false, &old) == 0) {
		seq = old.seq;
		r = dest_permitted(c, old.dest, old.dest_len, NULL);
		added_clear(&old);
		if (r < 0) {
			log_info("not replacing an identity this connection may not see");
			return TA_ERR_INVALID_ARGUMENT;
		}
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		seq = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	}
	rec = (struct added){
		.seq = seq,
		.blob = (uint8_t *)blob,
		.blob_len = blob_len,
		.key = (uint8_t *)key,
		.key_len = key_len,
		.comment = (char *)comment,
		.dest = (uint8_t *)dest,
		.dest_len = dest_len,
		.flags = flags,
	};
	r = added_encode(b, &rec);
	if (r < 0)
		return r;
	if (asprintf(&label, "ssh-tpm-agent: identity %s", comment) < 0)
		return TA_ERR_NOMEM;
	/* (b's storage is wiped when it is freed.) */
	return cache_put(cache, CACHE_IDENTITY, id, label, buf_ptr(b), buf_len(b), lifetime);
}

int added_drop(struct handler_conn *c, const uint8_t *blob, size_t blob_len)
{
	struct cache *cache;
	struct added a;
	char id[65];
	int r;

	if ((r = added_get(c, blob, blob_len, &a)) < 0)
		return r;
	r = dest_permitted(c, a.dest, a.dest_len, NULL);
	added_clear(&a);
	if (r < 0)
		return r; /* not visible here: not removed, as OpenSSH */
	if ((r = record_id(blob, blob_len, id)) < 0 ||
	    (r = handler_conn_state(c, &cache)) < 0)
		return r;
	return cache_drop(cache, CACHE_IDENTITY, id);
}

static int by_seq(const void *x, const void *y)
{
	const struct added *a = x, *b = y;

	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int added_list(struct handler_conn *c, struct added **ret, size_t *ret_n)
{
	struct cache *cache;
	struct added *v = NULL;
	char **ids = NULL;
	size_t n_ids = 0, n = 0;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if ((r = handler_conn_state(c, &cache)) < 0 ||
	    (r = cache_list(cache, CACHE_IDENTITY, &ids, &n_ids)) < 0)
		return r;
	if (n_ids > 0 && !(v = calloc(n_ids, sizeof(*v)))) {
		r = TA_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_ids; i++) {
		/* Gone meanwhile (expired, removed by another handler), or
		 * not ours to read: skipped. */
		if (get_by_id(c, ids[i], false, &v[n]) == 0)
			n++;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_seq);
	*ret = v;
	*ret_n = n;
	v = NULL;
	r = 0;
out:
	for (size_t i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	free(v);
	return r;
}

int added_drop_all(struct handler_conn *c, const struct identity_list *keep)
{
	struct cache *cache;
	char **ids = NULL;
	size_t n = 0;
	int r;

	if ((r = handler_conn_state(c, &cache)) < 0 ||
	    (r = cache_list(cache, CACHE_IDENTITY, &ids, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		bool stays = false;
		int k = 0;

		for (size_t j = 0; keep && j < keep->n && !stays; j++) {
			char id[65];

			stays = record_id(keep->v[j].blob, keep->v[j].blob_len, id) == 0 &&
				strcmp(id, ids[i]) == 0;
		}
		if (!stays)
			k = cache_drop(cache, CACHE_IDENTITY, ids[i]);
		if (k < 0 && r == 0)
			r = k;
		free(ids[i]);
	}
	free(ids);
	return r;
}
