/* SPDX-License-Identifier: MIT */
/* fallback.h - fallback agents (-A SOCKET): other ssh-agents whose keys
 * this agent offers after its own, as the manual's proxy example does.
 * Each handler connects to them when it first needs them, so a fallback
 * that restarted is found again; one that cannot be reached (or is run by
 * another user) is skipped with a debug line, and never fails a request.
 * The connection's session bindings are passed on to them. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "handler.h"
#include "keydir.h"

/* Waits for a fallback's answer: listing and binding are quick; a
 * signature may wait for the fallback's own confirm or PIN prompt. */
#define FALLBACK_QUICK_MS 5000

/* Agents that are each other's fallbacks (or their own) would call each
 * other without end: each of our connections to a fallback says first how
 * deep it is (FALLBACK_HOPS, u32), and an agent this deep calls no
 * fallbacks. */
#define FALLBACK_HOPS "fallback-hops@ssh-tpm-agent"
#define FALLBACK_MAX_HOPS 3

/* Send one request (type byte first) to fallback i, read its reply into
 * resp (reset first).  Connects when needed, once more when a kept
 * connection turns out closed.  TA_ERR_UNSUPPORTED: fallback i is not
 * reachable in this connection. */
int fallback_call(struct handler_conn *c, size_t i, const uint8_t *req, size_t len,
		  struct buf *resp, unsigned timeout_ms);
/* The timeout for a request that may prompt at the fallback. */
unsigned fallback_slow_ms(const struct handler_conn *c);

/* Every fallback's identities, in the fallbacks' order, leaving out those
 * in ours and those an earlier fallback listed.  Unreachable fallbacks
 * add nothing. */
int fallback_identities(struct handler_conn *c, const struct identity_list *ours,
			struct identity_list **ret);
/* Keep which fallback listed which blob (n identities, copied), for the
 * signatures that follow on this connection. */
int fallback_remember(struct handler_conn *c, const struct identity *v, size_t n);
/* The first fallback that lists blob (as this connection last saw it, else
 * asked now): its number, or TA_ERR_KEY_NOT_FOUND. */
int fallback_find(struct handler_conn *c, const uint8_t *blob, size_t len, size_t *ret_i);

/* A session-bind request (whole, type byte first): passed on to every
 * fallback connected now (those connected later get every one when they
 * connect).  Their answers do not matter: ours is the one the client
 * gets. */
void fallback_bind(struct handler_conn *c, const uint8_t *msg, size_t len);

void fallback_close_all(struct handler_conn *c);
