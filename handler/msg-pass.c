/* SPDX-License-Identifier: MIT */
/* msg-pass.c - requests we do not serve ourselves (keys of types we do
 * not hold, PKCS#11 providers, extensions and message types we do not
 * know) go to the fallback agents in order; the first answer that is not
 * a failure is the client's. */
#include "agent.h"
#include "err.h"
#include "fallback.h"
#include "handler.h"
#include "log.h"

int handler_pass_through(struct handler_conn *c, struct buf *resp)
{
	_cleanup_(buf_freep) struct buf *r1 = buf_new(AGENT_MAX_LEN);
	uint8_t type = c->request_len ? c->request[0] : 0;
	int r = TA_ERR_UNSUPPORTED;

	if (!r1)
		return TA_ERR_NOMEM;
	/* As OpenSSH's agent (without -Oallow-remote-pkcs11): no provider
	 * loaded from across a forwarding -- nor a key of a type we cannot
	 * read, whose constraints could name one (sk-provider@openssh.com). */
	if ((type == SSH_AGENTC_ADD_SMARTCARD_KEY ||
	     type == SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED || type == SSH_AGENTC_ADD_IDENTITY ||
	     type == SSH_AGENTC_ADD_ID_CONSTRAINED) &&
	    handler_is_remote(c)) {
		log_info("refusing to pass on a provider or a key we do not hold from a forwarded connection");
		return TA_ERR_INVALID_ARGUMENT;
	}
	for (size_t i = 0; i < c->cfg->n_fallbacks; i++) {
		uint8_t t;
		int k = fallback_call(c, i, c->request, c->request_len, r1, fallback_slow_ms(c));

		if (k == TA_ERR_HANGUP || k == TA_ERR_NOMEM)
			return k;
		if (k < 0)
			continue;
		t = buf_len(r1) ? buf_ptr(r1)[0] : SSH_AGENT_FAILURE;
		if (t == SSH_AGENT_FAILURE || t == SSH_AGENT_EXTENSION_FAILURE) {
			log_debug("request type %u: fallback agent %s failed it", type,
				  c->cfg->fallbacks[i]);
			r = TA_ERR_UNSUPPORTED;
			continue;
		}
		buf_reset(resp);
		log_debug("request type %u from pid %d: answered by fallback agent %s", type,
			  (int)c->peer.pid, c->cfg->fallbacks[i]);
		return buf_put(resp, buf_ptr(r1), buf_len(r1));
	}
	return r;
}
