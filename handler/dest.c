/* SPDX-License-Identifier: MIT */
/* dest.c - destination constraints against session bindings (dest.h).
 * The rules are OpenSSH's agent's (ssh-agent.c: identity_permitted,
 * permitted_by_dest_constraints, match_key_hop, parse_userauth_request);
 * PROTOCOL.agent describes the wire format. */
#include "dest.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "softkey.h"

#define CERT_SUFFIX "-cert-v01@openssh.com"

/* Without recursion: trying every split for every '*' in turn takes
 * time exponential in the number of stars ("*a*a*a*a*a*a*b" against 100
 * a's: a minute), and both sides come from the client.  Only the last '*'
 * seen ever needs to take more: what the ones before it took, a later
 * piece cannot give back (the classic greedy glob match).  At most
 * strlen(s) restarts, each of at most strlen(p) steps. */
bool dest_match_pattern(const char *s, const char *p)
{
	const char *star = NULL, *taken = NULL;

	for (;;) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (*p == '\0')
				return true;
			star = p;  /* the pattern after the last '*' */
			taken = s; /* where what that '*' takes ends, so far */
			continue;
		}
		if (*s == '\0')
			return *p == '\0';
		if (*p != '\0' && (*p == '?' || *p == *s)) {
			s++;
			p++;
			continue;
		}
		if (!star)
			return false;
		/* The last '*' takes one more character. */
		p = star;
		s = ++taken;
	}
}

static void hop_clear(struct dest_hop *h)
{
	free(h->user);
	free(h->hostname);
	free(h->keys);
	memset(h, 0, sizeof(*h));
}

void dest_set_clear(struct dest_set *d)
{
	for (size_t i = 0; i < d->n; i++) {
		hop_clear(&d->v[i].from);
		hop_clear(&d->v[i].to);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* string user, string hostname, string extensions, then (string key,
 * u8 is_ca) to the end. */
static int parse_hop(struct buf *b, struct dest_hop *h)
{
	const uint8_t *ext;
	size_t user_len, ext_len;
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = buf_get_cstring(b, &h->user, &user_len)) < 0 ||
	    (r = buf_get_cstring(b, &h->hostname, NULL)) < 0 ||
	    (r = buf_get_string_direct(b, &ext, &ext_len)) < 0)
		return r;
	if (ext_len != 0) {
		log_debug("destination constraint: a hop with extensions (%zu bytes)", ext_len);
		return TA_ERR_UNSUPPORTED;
	}
	if (!*h->hostname)
		h->hostname = mfree(h->hostname);
	if (!*h->user)
		h->user = mfree(h->user);
	else if (user_len > DEST_MAX_USER)
		return TA_ERR_FORMAT;
	while (buf_len(b) > 0) {
		struct dest_key k = { 0 };
		struct dest_key *grown;
		uint8_t ca;

		if ((r = buf_get_string_direct(b, &k.blob, &k.len)) < 0 ||
		    (r = buf_get_u8(b, &ca)) < 0)
			return r;
		/* Well formed as a client reads keys (unknown types pass). */
		if ((r = softkey_pubkey_check(k.blob, k.len)) < 0)
			return r;
		k.ca = ca != 0;
		grown = realloc(h->keys, (h->nkeys + 1) * sizeof(*grown));
		if (!grown)
			return TA_ERR_NOMEM;
		h->keys = grown;
		h->keys[h->nkeys++] = k;
	}
	return 0;
}

/* string (string from-hop, string to-hop, string extensions). */
static int parse_one(struct buf *m, struct dest_constraint *dc)
{
	_cleanup_(buf_freep) struct buf *b = NULL, *from = NULL, *to = NULL;
	const uint8_t *ext;
	size_t ext_len;
	int r;

	memset(dc, 0, sizeof(*dc));
	if ((r = buf_froms(m, &b)) < 0 || (r = buf_froms(b, &from)) < 0 ||
	    (r = buf_froms(b, &to)) < 0 || (r = buf_get_string_direct(b, &ext, &ext_len)) < 0)
		return r;
	if ((r = parse_hop(from, &dc->from)) < 0 || (r = parse_hop(to, &dc->to)) < 0)
		return r;
	if (ext_len != 0 || buf_len(b) != 0) {
		log_debug("destination constraint: extensions or trailing bytes");
		return TA_ERR_UNSUPPORTED;
	}
	if ((dc->from.hostname == NULL) != (dc->from.nkeys == 0) || dc->from.user) {
		log_debug("destination constraint: an inconsistent \"from\"");
		return TA_ERR_FORMAT;
	}
	if (!dc->to.hostname || dc->to.nkeys == 0) {
		log_debug("destination constraint: an incomplete \"to\"");
		return TA_ERR_FORMAT;
	}
	return 0;
}

int dest_parse(const uint8_t *raw, size_t len, struct dest_set *ret)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(raw, len);
	struct dest_set d = { 0 };
	int r = 0;

	if (!b)
		return TA_ERR_NOMEM;
	while (buf_len(b) > 0) {
		struct dest_constraint *grown;

		if (d.n >= DEST_MAX_CONSTRAINTS) {
			log_debug("more than %d destination constraints", DEST_MAX_CONSTRAINTS);
			r = TA_ERR_TOO_LARGE;
			break;
		}
		grown = realloc(d.v, (d.n + 1) * sizeof(*grown));
		if (!grown) {
			r = TA_ERR_NOMEM;
			break;
		}
		d.v = grown;
		r = parse_one(b, &d.v[d.n++]);
		if (r < 0)
			break;
	}
	if (r < 0) {
		dest_set_clear(&d);
		return r;
	}
	*ret = d;
	return 0;
}

static bool is_cert_blob(const uint8_t *blob, size_t len)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(blob, len);
	const uint8_t *name;
	size_t n, sl = strlen(CERT_SUFFIX);

	return b && buf_get_string_direct(b, &name, &n) == 0 && n > sl &&
	       memcmp(name + n - sl, CERT_SUFFIX, sl) == 0;
}

/* The CA algorithms OpenSSH accepts for certificates
 * (SSH_ALLOWED_CA_SIGALGS): no SHA-1 ssh-rsa. */
static bool ca_alg_allowed(const uint8_t *alg, size_t len)
{
	static const char *const ok[] = {
		"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
		"rsa-sha2-512", "rsa-sha2-256",
	};

	for (size_t i = 0; i < ELEMENTSOF(ok); i++)
		if (buf_bytes_equal(alg, len, (const uint8_t *)ok[i], strlen(ok[i])))
			return true;
	return false;
}

/* A host certificate, valid now, for hostname (its principals are
 * patterns), with no critical options, signed with an allowed
 * algorithm. */
static bool host_cert_ok(const struct softkey_cert *ci, const char *hostname)
{
	_cleanup_(buf_freep) struct buf *p = buf_from(ci->principals, ci->principals_len);
	time_t now = time(NULL);
	size_t n = 0;

	if (ci->type != SOFTKEY_CERT_HOST || now < 0 || (uint64_t)now < ci->valid_after ||
	    (uint64_t)now >= ci->valid_before || ci->critical_len != 0 ||
	    !ca_alg_allowed(ci->sig_alg, ci->sig_alg_len) || !p)
		return false;
	while (buf_len(p) > 0) {
		_cleanup_free_ char *name = NULL;

		if (buf_get_cstring(p, &name, NULL) < 0)
			return false;
		n++;
		if (hostname && dest_match_pattern(hostname, name))
			return true;
	}
	return n > 0 && !hostname;
}

/* The (bound) key matches one of the hop's keys: a plain key itself, a
 * certificate through its CA. */
static bool match_key_hop(const uint8_t *key, size_t key_len, const struct dest_hop *h)
{
	bool cert = is_cert_blob(key, key_len);
	struct softkey_cert ci;

	if (cert && softkey_cert_parse(key, key_len, &ci) < 0)
		return false;
	for (size_t i = 0; i < h->nkeys; i++) {
		const struct dest_key *k = &h->keys[i];

		if (!cert) {
			if (!k->ca && buf_bytes_equal(key, key_len, k->blob, k->len))
				return true;
			continue;
		}
		if (!k->ca || !buf_bytes_equal(ci.ca, ci.ca_len, k->blob, k->len))
			continue;
		if (host_cert_ok(&ci, h->hostname ? h->hostname : "(ORIGIN)"))
			return true;
		log_debug("destination constraint: the host certificate is not valid for %s",
			  h->hostname ? h->hostname : "(ORIGIN)");
	}
	return false;
}

/* from: the previous hop's host key (NULL: this is the first hop);
 * to: this hop's (NULL: any next hop). */
static bool permitted_by(const struct dest_set *d, const struct handler_binding *from,
			 const struct handler_binding *to, const char *user)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct dest_constraint *dc = &d->v[i];

		if (!from) {
			if (dc->from.hostname || dc->from.nkeys)
				continue;
		} else if (!match_key_hop(from->hostkey, from->hostkey_len, &dc->from)) {
			continue;
		}
		if (to && !match_key_hop(to->hostkey, to->hostkey_len, &dc->to))
			continue;
		if (dc->to.user && user && !dest_match_pattern(user, dc->to.user))
			continue;
		return true;
	}
	return false;
}

static int permitted(const struct handler_conn *c, const struct dest_set *d, const char *user)
{
	const struct handler_binding *from = NULL, *last;

	if (c->bind_failed && c->n_bindings == 0) {
		log_debug("destination-constrained key: a session bind failed on this connection");
		return TA_ERR_KEY_NOT_FOUND;
	}
	if (c->n_bindings == 0)
		return 0; /* local use */
	for (size_t i = 0; i < c->n_bindings; i++) {
		const struct handler_binding *b = &c->bindings[i];
		const char *test_user = NULL;

		if (i == c->n_bindings - 1) {
			/* The user is known at the last hop only, and a
			 * signature is never for a forwarding hop. */
			test_user = user;
			if (b->forwarded && user) {
				log_debug("destination-constrained key: a signature on a forwarding hop");
				return TA_ERR_KEY_NOT_FOUND;
			}
		} else if (!b->forwarded) {
			log_debug("destination-constrained key: forwarded through an authentication bind");
			return TA_ERR_KEY_NOT_FOUND;
		}
		if (!permitted_by(d, from, b, test_user)) {
			log_debug("destination-constrained key: not permitted for hop %zu", i);
			return TA_ERR_KEY_NOT_FOUND;
		}
		from = b;
	}
	/* Listing through a forwarding: only keys usable beyond it. */
	last = &c->bindings[c->n_bindings - 1];
	if (last->forwarded && !user && !permitted_by(d, last, NULL, NULL)) {
		log_debug("destination-constrained key: permitted at the host, not beyond it");
		return TA_ERR_KEY_NOT_FOUND;
	}
	return 0;
}

int dest_permitted(const struct handler_conn *c, const uint8_t *raw, size_t raw_len,
		   const char *user)
{
	struct dest_set d;
	int r;

	if (raw_len == 0)
		return 0;
	r = dest_parse(raw, raw_len, &d);
	if (r < 0)
		return TA_ERR_KEY_NOT_FOUND; /* checked when added: never */
	r = permitted(c, &d, user);
	dest_set_clear(&d);
	return r;
}

enum alg_family { ALG_NONE, ALG_ED25519, ALG_ECDSA, ALG_RSA };

/* sshkey_type_from_name, to the granularity that matters: the family,
 * and whether it names a certificate. */
static enum alg_family alg_family(const uint8_t *name, size_t len, bool *cert)
{
	static const struct {
		const char *name;
		enum alg_family f;
	} algs[] = {
		{ "ssh-ed25519", ALG_ED25519 },	    { "ecdsa-sha2-nistp256", ALG_ECDSA },
		{ "ecdsa-sha2-nistp384", ALG_ECDSA }, { "ecdsa-sha2-nistp521", ALG_ECDSA },
		{ "ssh-rsa", ALG_RSA },		    { "rsa-sha2-256", ALG_RSA },
		{ "rsa-sha2-512", ALG_RSA },
	};
	size_t sl = strlen(CERT_SUFFIX);

	*cert = len > sl && memcmp(name + len - sl, CERT_SUFFIX, sl) == 0;
	if (*cert)
		len -= sl;
	for (size_t i = 0; i < ELEMENTSOF(algs); i++)
		if (buf_bytes_equal(name, len, (const uint8_t *)algs[i].name, strlen(algs[i].name)))
			return algs[i].f;
	return ALG_NONE;
}

/* string session id, u8 50, string user, string "ssh-connection",
 * string method, bool TRUE, string algorithm, string key[, string host
 * key for publickey-hostbound-v00@openssh.com], nothing after. */
static int parse_userauth(const uint8_t *data, size_t len, const uint8_t *blob, size_t blob_len,
			  char **ret_user, const uint8_t **sid, size_t *sid_len,
			  const uint8_t **hostkey, size_t *hostkey_len)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(data, len), *kb = buf_from(blob, blob_len);
	_cleanup_free_ char *user = NULL, *service = NULL, *method = NULL;
	const uint8_t *alg, *key, *kname;
	size_t alg_len, key_len, kname_len;
	uint8_t t, sig_follows;
	bool alg_cert, key_cert;
	int r;

	*hostkey = NULL;
	*hostkey_len = 0;
	if (!b || !kb)
		return TA_ERR_NOMEM;
	if ((r = buf_get_string_direct(b, sid, sid_len)) < 0 || (r = buf_get_u8(b, &t)) < 0 ||
	    (r = buf_get_cstring(b, &user, NULL)) < 0 || (r = buf_get_cstring(b, &service, NULL)) < 0 ||
	    (r = buf_get_cstring(b, &method, NULL)) < 0 || (r = buf_get_u8(b, &sig_follows)) < 0 ||
	    (r = buf_get_string_direct(b, &alg, &alg_len)) < 0 ||
	    (r = buf_get_string_direct(b, &key, &key_len)) < 0 ||
	    (r = buf_get_string_direct(kb, &kname, &kname_len)) < 0)
		return r;
	if (*sid_len == 0 || t != 50 /* SSH2_MSG_USERAUTH_REQUEST */ || sig_follows != 1 ||
	    strcmp(service, "ssh-connection") != 0 || !buf_bytes_equal(key, key_len, blob, blob_len) ||
	    alg_family(alg, alg_len, &alg_cert) == ALG_NONE ||
	    alg_family(alg, alg_len, &alg_cert) != alg_family(kname, kname_len, &key_cert) ||
	    alg_cert != key_cert)
		return TA_ERR_FORMAT;
	if (strcmp(method, "publickey-hostbound-v00@openssh.com") == 0) {
		if ((r = buf_get_string_direct(b, hostkey, hostkey_len)) < 0)
			return r;
	} else if (strcmp(method, "publickey") != 0) {
		return TA_ERR_FORMAT;
	}
	if (buf_len(b) != 0)
		return TA_ERR_FORMAT;
	*ret_user = TAKE_PTR(user);
	return 0;
}

char *dest_login_user(const uint8_t *data, size_t len, const uint8_t *blob, size_t blob_len)
{
	const uint8_t *sid, *hostkey;
	size_t sid_len, hostkey_len;
	char *user = NULL;

	if (parse_userauth(data, len, blob, blob_len, &user, &sid, &sid_len, &hostkey,
			   &hostkey_len) < 0)
		return NULL;
	return user;
}

int dest_check_sign(const struct handler_conn *c, const uint8_t *raw, size_t raw_len,
		    const uint8_t *blob, size_t blob_len, const uint8_t *data, size_t data_len,
		    char **ret_user)
{
	_cleanup_free_ char *user = NULL;
	const struct handler_binding *last;
	const uint8_t *sid, *hostkey;
	size_t sid_len, hostkey_len;
	int r;

	*ret_user = NULL;
	if (c->n_bindings == 0) {
		log_info("refusing a destination-constrained key on a connection with no session bound");
		return TA_ERR_KEY_NOT_FOUND;
	}
	if (parse_userauth(data, data_len, blob, blob_len, &user, &sid, &sid_len, &hostkey,
			   &hostkey_len) < 0) {
		log_info("refusing a destination-constrained key to sign anything but a login");
		return TA_ERR_KEY_NOT_FOUND;
	}
	r = dest_permitted(c, raw, raw_len, user);
	if (r < 0) {
		log_info("a destination-constrained key is not permitted for user %s at this destination",
			 user);
		return r;
	}
	last = &c->bindings[c->n_bindings - 1];
	if (!buf_bytes_equal(sid, sid_len, last->sid, last->sid_len)) {
		log_info("refusing a destination-constrained key: the login is not for the last bound session");
		return TA_ERR_KEY_NOT_FOUND;
	}
	if (c->n_bindings > 1 && !hostkey) {
		log_info("refusing a destination-constrained key: a forwarded login names no host key");
		return TA_ERR_KEY_NOT_FOUND;
	}
	if (hostkey && !buf_bytes_equal(hostkey, hostkey_len, last->hostkey, last->hostkey_len)) {
		log_info("refusing a destination-constrained key: the login's host key is not the bound one");
		return TA_ERR_KEY_NOT_FOUND;
	}
	*ret_user = TAKE_PTR(user);
	return 0;
}
