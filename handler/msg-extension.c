/* SPDX-License-Identifier: MIT */
/* msg-extension.c - SSH_AGENTC_EXTENSION.  "tpm-add-key", the Go
 * ssh-tpm-agent's extension that ssh-tpm-add speaks (either tool with
 * either agent): u8 17|25, string "TPMKEY", string TSS2 key (DER; PEM
 * taken too), string certificate (empty for none), then constraints.  The
 * key file's contents travel, so the agent never opens a path a client
 * names.  Any other extension gets FAILURE, as OpenSSH's agent gives. */
#include <string.h>

#include "added.h"
#include "agent.h"
#include "err.h"
#include "handler.h"
#include "keyfile.h"
#include "log.h"
#include "pubkey.h"
#include "softkey.h"
#include "sshkey.h"

#define TPM_ADD_KEY "tpm-add-key"

static int tpm_add_key(struct handler_conn *c, struct buf *req)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *kf = NULL;
	_cleanup_(sshkey_freep) struct sshkey *key = NULL, *certified = NULL;
	_cleanup_(buf_freep) struct buf *blob = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	_cleanup_free_ char *fp = NULL;
	const uint8_t *tag, *kbytes, *cert;
	size_t tag_len, k_len, cert_len, der_len = 0;
	unsigned lifetime = 0;
	uint32_t flags = ADDED_TPM;
	uint8_t type;
	int r;

	if ((r = buf_get_u8(req, &type)) < 0 || (r = buf_get_string_direct(req, &tag, &tag_len)) < 0 ||
	    (r = buf_get_string_direct(req, &kbytes, &k_len)) < 0 ||
	    (r = buf_get_string_direct(req, &cert, &cert_len)) < 0)
		return r;
	if ((type != SSH_AGENTC_ADD_IDENTITY && type != SSH_AGENTC_ADD_ID_CONSTRAINED) ||
	    tag_len != 6 || memcmp(tag, "TPMKEY", 6) != 0) {
		log_info(TPM_ADD_KEY ": not a TPM key message (type %u)", type);
		return TA_ERR_FORMAT;
	}
	if ((r = added_parse_constraints(req, &lifetime, &flags)) < 0)
		return r;
	r = k_len > 10 && memcmp(kbytes, "-----BEGIN", 10) == 0 ? keyfile_parse(kbytes, k_len, &kf)
								 : keyfile_parse_der(kbytes, k_len, &kf);
	if (r >= 0)
		r = tpm_public_to_sshkey(&kf->pub, &key);
	if (r < 0) {
		log_info(TPM_ADD_KEY ": the key: %s", ta_strerror(r));
		return r;
	}
	if ((r = sshkey_fingerprint(key, &fp)) < 0)
		return r;
	if (kf->description && strlen(kf->description) > ADDED_MAX_COMMENT) {
		log_info(TPM_ADD_KEY ": a description of %zu bytes (at most %d)",
			 strlen(kf->description), ADDED_MAX_COMMENT);
		return TA_ERR_TOO_LARGE;
	}
	if (cert_len) {
		/* A certificate of this very key, or nothing. */
		r = softkey_cert_check(cert, cert_len);
		if (r >= 0)
			r = sshkey_cert_public_key(cert, cert_len, &certified);
		if (r < 0 || !sshkey_equal(certified, key)) {
			log_info(TPM_ADD_KEY ": the certificate is not one of %s", fp);
			return r < 0 ? r : TA_ERR_INVALID_ARGUMENT;
		}
	}
	blob = buf_new(SSHKEY_MAX_BLOB);
	if (!blob)
		return TA_ERR_NOMEM;
	if (!cert_len && (r = sshkey_to_blob(key, blob)) < 0)
		return r;
	if (cert_len && (r = buf_put(blob, cert, cert_len)) < 0)
		return r;
	/* Kept in our own encoding, description and all. */
	if ((r = keyfile_to_der(kf, true, &der, &der_len)) < 0)
		return r;
	r = added_put(c, buf_ptr(blob), buf_len(blob), der, der_len,
		      kf->description ? kf->description : "", flags, lifetime);
	if (r < 0)
		return r;
	log_debug(TPM_ADD_KEY " from pid %d uid %u: %s%s (%s), lifetime %u s%s", (int)c->peer.pid,
		  (unsigned)c->peer.uid, fp, cert_len ? " certificate" : "",
		  kf->description ? kf->description : "", lifetime,
		  flags & ADDED_CONFIRM ? ", confirm" : "");
	return 0;
}

int handler_extension(struct handler_conn *c, struct buf *req, struct buf *resp)
{
	_cleanup_free_ char *name = NULL;
	int r;

	if ((r = buf_get_cstring(req, &name, NULL)) < 0)
		return r;
	if (strcmp(name, TPM_ADD_KEY) != 0) {
		log_debug("extension '%s': not supported", name);
		return TA_ERR_UNSUPPORTED;
	}
	r = tpm_add_key(c, req);
	return r < 0 ? r : buf_put_u8(resp, SSH_AGENT_SUCCESS);
}
