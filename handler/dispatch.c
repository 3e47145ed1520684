/* SPDX-License-Identifier: MIT */
/* dispatch.c - request type -> function; every failure is one
 * SSH_AGENT_FAILURE reply, the reason is logged. */
#include <stddef.h>
#include <string.h>

#include "err.h"
#include "handler.h"
#include "log.h"
#include "agent.h"

struct request_type {
	uint8_t type;
	const char *name;
	int (*fn)(struct handler_conn *c, struct buf *req, struct buf *resp);
};

static const struct request_type request_types[] = {
	{ SSH_AGENTC_REQUEST_IDENTITIES, "REQUEST_IDENTITIES",
	  handler_request_identities },
	{ SSH_AGENTC_SIGN_REQUEST, "SIGN_REQUEST", handler_sign_request },
	{ SSH_AGENTC_ADD_IDENTITY, "ADD_IDENTITY", handler_add_identity },
	{ SSH_AGENTC_ADD_ID_CONSTRAINED, "ADD_ID_CONSTRAINED", handler_add_id_constrained },
	{ SSH_AGENTC_REMOVE_IDENTITY, "REMOVE_IDENTITY", handler_remove_identity },
	{ SSH_AGENTC_REMOVE_ALL_IDENTITIES, "REMOVE_ALL_IDENTITIES",
	  handler_remove_all_identities },
	{ SSH_AGENTC_LOCK, "LOCK", handler_lock },
	{ SSH_AGENTC_UNLOCK, "UNLOCK", handler_unlock },
	{ SSH_AGENTC_EXTENSION, "EXTENSION", handler_extension },
};

/* An EXTENSION request for session-bind@openssh.com (req after the type
 * byte; not consumed). */
static bool is_session_bind(const struct buf *req)
{
	static const char name[] = "session-bind@openssh.com";
	_cleanup_(buf_freep) struct buf *b = buf_from(buf_ptr(req), buf_len(req));
	const uint8_t *s;
	size_t len;

	return b && buf_len(req) > 0 && buf_get_string_direct(b, &s, &len) == 0 &&
	       len == strlen(name) && memcmp(s, name, len) == 0;
}

void handler_process_message(struct handler_conn *c, struct buf *req,
			     struct buf *resp)
{
	const struct request_type *rt = NULL;
	uint8_t type;
	int r;

	buf_reset(resp);
	c->request = buf_ptr(req);
	c->request_len = buf_len(req);
	r = buf_get_u8(req, &type);
	if (r < 0) {
		log_debug("empty request from pid %d", (int)c->peer.pid);
		goto fail;
	}
	for (size_t i = 0; i < ELEMENTSOF(request_types); i++)
		if (request_types[i].type == type)
			rt = &request_types[i];
	/* Locked (ssh-add -x), by this or another handler of the user: an
	 * empty list, session binds (as OpenSSH: new channels keep being
	 * bound), and nothing else but UNLOCK. */
	if (type != SSH_AGENTC_UNLOCK &&
	    !(type == SSH_AGENTC_EXTENSION && is_session_bind(req)) && handler_locked(c)) {
		log_debug("request type %u from pid %d: the agent is locked", type,
			  (int)c->peer.pid);
		if (type == SSH_AGENTC_REQUEST_IDENTITIES && buf_len(req) == 0 &&
		    buf_put_u8(resp, SSH_AGENT_IDENTITIES_ANSWER) == 0 &&
		    buf_put_u32(resp, 0) == 0)
			return;
		goto fail;
	}
	if (!rt && c->cfg->n_fallbacks > 0) {
		r = handler_pass_through(c, resp);
		if (r == 0)
			return;
		log_debug_r(r, "request type %u from pid %d: no fallback agent took it", type,
			    (int)c->peer.pid);
		goto fail;
	}
	if (!rt) {
		log_debug("request type %u from pid %d uid %u: not supported",
			  type, (int)c->peer.pid, (unsigned)c->peer.uid);
		goto fail;
	}
	r = rt->fn(c, req, resp);
	if (r == 0)
		return;
	log_error_r(r, "%s from pid %d uid %u", rt->name, (int)c->peer.pid,
		    (unsigned)c->peer.uid);
fail:
	buf_reset(resp);
	if (buf_put_u8(resp, SSH_AGENT_FAILURE) < 0)
		log_error("cannot build a FAILURE reply");
}
