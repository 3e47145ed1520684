/* SPDX-License-Identifier: MIT */
/* dest.h - destination constraints (ssh-add -h, the
 * restrict-destination-v00@openssh.com key constraint) and the checks
 * OpenSSH's agent makes with them against a connection's session
 * bindings (session-bind@openssh.com).  An added identity keeps its
 * constraints as the bytes ssh-add sent; they are parsed again for each
 * check. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handler.h"

#define DEST_MAX_CONSTRAINTS 1024 /* as OpenSSH's agent */
#define DEST_MAX_USER 256

struct dest_key {
	const uint8_t *blob; /* into the constraint's bytes */
	size_t len;
	bool ca;
};

struct dest_hop {
	char *user;     /* NULL: any user */
	char *hostname; /* NULL: the origin (from) */
	struct dest_key *keys;
	size_t nkeys;
};

struct dest_constraint {
	struct dest_hop from, to;
};

struct dest_set {
	struct dest_constraint *v;
	size_t n;
};

/* Parse the constraint's bytes (the payload of restrict-destination-
 * v00@openssh.com: a sequence of strings, one per constraint) and check
 * them as OpenSSH's agent does.  The set points into raw, which must
 * outlive it. */
int dest_parse(const uint8_t *raw, size_t len, struct dest_set *ret);
void dest_set_clear(struct dest_set *d);

/* May this identity (its constraints' bytes; none: always) be used on
 * this connection?  user is NULL for listing, the target user for a
 * signature.  0 or TA_ERR_KEY_NOT_FOUND (not permitted; the reason is
 * logged at debug). */
int dest_permitted(const struct handler_conn *c, const uint8_t *raw, size_t raw_len,
		   const char *user);

/* A SIGN_REQUEST for a constrained identity (blob): only a publickey
 * userauth request for this very key, on this connection's last bound
 * session, to a permitted destination.  ret_user: the target user (for
 * the confirm prompt); free it. */
int dest_check_sign(const struct handler_conn *c, const uint8_t *raw, size_t raw_len,
		    const uint8_t *blob, size_t blob_len, const uint8_t *data, size_t data_len,
		    char **ret_user);

/* OpenSSH's match_pattern: '*' and '?' wildcards, case matters. */
bool dest_match_pattern(const char *s, const char *pattern);
