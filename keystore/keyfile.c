/* SPDX-License-Identifier: MIT */
/* keyfile.c - TSS2 PRIVATE KEY <-> struct tpm_keyfile, through OpenSSL's
 * ASN.1 templates (the full TPMKey of draft-bottomley-tpm2-keys) and
 * tss2-mu for the TPM2B_PUBLIC/PRIVATE blobs.
 *
 * On writing [4] description: tpm2-openssl 1.1 (Debian 12) and
 * tpm2-tss-engine parse only the short form (type, [0] emptyAuth, parent,
 * pubkey, privkey), and a file carrying [4] fails to load there.  The SSH
 * comment already lives in the .pub file next to the key, so by default we
 * write the short form: our keys stay usable by every TSS2-aware tool.  We
 * still read [4] (keys made by the Go ssh-tpm-agent carry one) and use it
 * as the comment when there is no .pub file. */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/safestack.h>

#include "err.h"
#include "fileio.h"
#include "keyfile-internal.h"
#include "tpm-mu.h"

#define PEM_LABEL "TSS2 PRIVATE KEY"
#define OID_LOADABLE "2.23.133.10.1.3"
#define OID_IMPORTABLE "2.23.133.10.1.4"
#define OID_SEALED "2.23.133.10.1.5"
#define OID_LOADABLE_OLD "2.23.133.10.2"

typedef struct {
	ASN1_INTEGER *command_code;
	ASN1_OCTET_STRING *command_policy;
} TAKEY_POLICY;

typedef struct {
	ASN1_UTF8STRING *name;
	STACK_OF(TAKEY_POLICY) *policy;
} TAKEY_AUTHPOLICY;

DEFINE_STACK_OF(TAKEY_POLICY)
DEFINE_STACK_OF(TAKEY_AUTHPOLICY)

typedef struct {
	ASN1_OBJECT *type;
	ASN1_BOOLEAN empty_auth;
	STACK_OF(TAKEY_POLICY) *policy;
	ASN1_OCTET_STRING *secret;
	STACK_OF(TAKEY_AUTHPOLICY) *auth_policy;
	ASN1_UTF8STRING *description;
	ASN1_BOOLEAN rsa_parent;
	ASN1_INTEGER *parent;
	ASN1_OCTET_STRING *pubkey;
	ASN1_OCTET_STRING *privkey;
} TAKEY;

ASN1_SEQUENCE(TAKEY_POLICY) = {
	ASN1_EXP(TAKEY_POLICY, command_code, ASN1_INTEGER, 0),
	ASN1_EXP(TAKEY_POLICY, command_policy, ASN1_OCTET_STRING, 1),
} static_ASN1_SEQUENCE_END(TAKEY_POLICY)

ASN1_SEQUENCE(TAKEY_AUTHPOLICY) = {
	ASN1_EXP_OPT(TAKEY_AUTHPOLICY, name, ASN1_UTF8STRING, 0),
	ASN1_EXP_SEQUENCE_OF(TAKEY_AUTHPOLICY, policy, TAKEY_POLICY, 1),
} static_ASN1_SEQUENCE_END(TAKEY_AUTHPOLICY)

ASN1_SEQUENCE(TAKEY) = {
	ASN1_SIMPLE(TAKEY, type, ASN1_OBJECT),
	ASN1_EXP_OPT(TAKEY, empty_auth, ASN1_BOOLEAN, 0),
	ASN1_EXP_SEQUENCE_OF_OPT(TAKEY, policy, TAKEY_POLICY, 1),
	ASN1_EXP_OPT(TAKEY, secret, ASN1_OCTET_STRING, 2),
	ASN1_EXP_SEQUENCE_OF_OPT(TAKEY, auth_policy, TAKEY_AUTHPOLICY, 3),
	ASN1_EXP_OPT(TAKEY, description, ASN1_UTF8STRING, 4),
	ASN1_EXP_OPT(TAKEY, rsa_parent, ASN1_BOOLEAN, 5),
	ASN1_SIMPLE(TAKEY, parent, ASN1_INTEGER),
	ASN1_SIMPLE(TAKEY, pubkey, ASN1_OCTET_STRING),
	ASN1_SIMPLE(TAKEY, privkey, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(TAKEY)

IMPLEMENT_STATIC_ASN1_ALLOC_FUNCTIONS(TAKEY_POLICY)
IMPLEMENT_STATIC_ASN1_ALLOC_FUNCTIONS(TAKEY)
IMPLEMENT_STATIC_ASN1_ENCODE_FUNCTIONS(TAKEY)

DEFINE_CLEANUP(TAKEY, TAKEY_free)
DEFINE_CLEANUP(BIO, BIO_free_all)


void keyfile_free(struct tpm_keyfile *k)
{
	if (!k)
		return;
	free(k->description);
	free(k->ctx);
	free(k->policy);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

bool keyfile_policy_next(const struct tpm_keyfile *k, size_t *pos, struct tpm_policy_step *ret)
{
	const uint8_t *p;
	size_t left, len;

	if (!k->policy || *pos > k->policy_len)
		return false;
	p = k->policy + *pos;
	left = k->policy_len - *pos;
	if (left < 6)
		return false;
	len = (size_t)p[4] << 8 | p[5];
	if (len > left - 6)
		return false;
	*ret = (struct tpm_policy_step){ .cc = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
					       (uint32_t)p[2] << 8 | p[3],
					 .body = p + 6,
					 .len = len };
	*pos += 6 + len;
	return true;
}

int keyfile_policy_add(struct tpm_keyfile *k, uint32_t cc, const void *body, size_t len)
{
	uint8_t *n, *p;

	if (len > UINT16_MAX || k->n_policy >= KEYFILE_MAX_POLICY)
		return TA_ERR_KEYFILE_POLICY;
	n = realloc(k->policy, k->policy_len + 6 + len);
	if (!n)
		return TA_ERR_NOMEM;
	k->policy = n;
	p = n + k->policy_len;
	p[0] = (uint8_t)(cc >> 24);
	p[1] = (uint8_t)(cc >> 16);
	p[2] = (uint8_t)(cc >> 8);
	p[3] = (uint8_t)cc;
	p[4] = (uint8_t)(len >> 8);
	p[5] = (uint8_t)len;
	if (len)
		memcpy(p + 6, body, len);
	k->policy_len += 6 + len;
	k->n_policy++;
	return 0;
}

int keyfile_dup(const struct tpm_keyfile *k, struct tpm_keyfile **ret)
{
	struct tpm_keyfile *n = malloc(sizeof(*n));

	if (!n)
		return TA_ERR_NOMEM;
	*n = *k;
	n->description = NULL;
	n->ctx = NULL;
	n->policy = NULL;
	if (k->policy) {
		n->policy = malloc(k->policy_len);
		if (!n->policy) {
			keyfile_free(n);
			return TA_ERR_NOMEM;
		}
		memcpy(n->policy, k->policy, k->policy_len);
	}
	if (k->ctx) {
		n->ctx = malloc(k->ctx_len);
		if (!n->ctx) {
			keyfile_free(n);
			return TA_ERR_NOMEM;
		}
		memcpy(n->ctx, k->ctx, k->ctx_len);
	}
	if (k->description) {
		n->description = strdup(k->description);
		if (!n->description) {
			keyfile_free(n);
			return TA_ERR_NOMEM;
		}
	}
	*ret = n;
	return 0;
}

static bool parent_is_valid(uint32_t h)
{
	switch (h) {
	case TA_RH_OWNER:
	case TA_RH_NULL:
	case TA_RH_ENDORSEMENT:
	case TA_RH_PLATFORM:
		return true;
	default:
		return (h >> 24) == 0x81;
	}
}

/* The OIDs' DER contents (2.23 is 0x67, 133 is 0x81 0x05): compared as
 * bytes, because OBJ_txt2obj's first call builds OpenSSL's table of every
 * object name (0.4 ms of a handler's start). */
static const uint8_t der_loadable[] = { 0x67, 0x81, 0x05, 0x0a, 0x01, 0x03 };
static const uint8_t der_importable[] = { 0x67, 0x81, 0x05, 0x0a, 0x01, 0x04 };
static const uint8_t der_sealed[] = { 0x67, 0x81, 0x05, 0x0a, 0x01, 0x05 };
static const uint8_t der_loadable_old[] = { 0x67, 0x81, 0x05, 0x0a, 0x02 };
#define OID_IS(o, der) oid_is((o), (der), sizeof(der))

static bool oid_is(const struct der_span *o, const uint8_t *der, size_t len)
{
	return o->present && o->len == len && memcmp(o->p, der, len) == 0;
}

/* An OCTET STRING that is one TPM2B, to its last byte. */
static int get_tpm2b_exact(const struct der_span *o, uint8_t *dst, size_t cap, uint16_t *ret_size)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(o->p, o->len);
	int r;

	*ret_size = 0;
	if (!b)
		return TA_ERR_NOMEM;
	r = mu_get_tpm2b(b, dst, cap, ret_size);
	if (r == 0 && buf_len(b) != 0) {
		*ret_size = 0;
		r = TA_ERR_TRAILING;
	}
	return r;
}

/* A non-negative INTEGER's value, if it fits in 64 bits. */
static bool der_uint64(const struct der_span *i, uint64_t *ret)
{
	const uint8_t *p = i->p;
	size_t n = i->len;

	if (n == 0 || (p[0] & 0x80))
		return false;
	if (p[0] == 0 && n > 1) {
		p++;
		n--;
	}
	if (n > 8)
		return false;
	*ret = 0;
	for (size_t k = 0; k < n; k++)
		*ret = *ret << 8 | p[k];
	return true;
}

static int keyfile_from_view(const struct takey_view *a, unsigned flags, struct tpm_keyfile **ret)
{
	_cleanup_(keyfile_freep) struct tpm_keyfile *k = NULL;
	bool importable = OID_IS(&a->type, der_importable);
	uint64_t parent;

	if (importable && !(flags & KEYFILE_IMPORTABLE_OK))
		return TA_ERR_KEYFILE_IMPORTABLE;
	if (OID_IS(&a->type, der_sealed))
		return TA_ERR_KEYFILE_SEALED;
	if (!importable && !OID_IS(&a->type, der_loadable) && !OID_IS(&a->type, der_loadable_old))
		return TA_ERR_KEYFILE_OID;
	/* [2] secret: present exactly in importable keys (the draft's MUST). */
	if (a->secret.present != importable)
		return TA_ERR_KEYFILE_SECRET;

	k = calloc(1, sizeof(*k));
	if (!k)
		return TA_ERR_NOMEM;
	/* Policies are read (a listing and --print-pubkey need only the
	 * public area); what of them we can run is the signer's question. */
	for (size_t i = 0; i < a->n_policy; i++) {
		uint64_t cc;
		int r;

		if (!der_uint64(&a->policy_cc[i], &cc) || cc > UINT32_MAX)
			return TA_ERR_KEYFILE_POLICY;
		r = keyfile_policy_add(k, (uint32_t)cc, a->policy_body[i].p, a->policy_body[i].len);
		if (r < 0)
			return r;
	}
	k->auth_policy = a->auth_policy;
	k->importable = importable;
	if (importable) {
		/* The whole TPM2B_ENCRYPTED_SECRET, its size prefix included. */
		if (get_tpm2b_exact(&a->secret, k->secret.secret, sizeof(k->secret.secret),
				    &k->secret.size) < 0 ||
		    k->secret.size == 0)
			return TA_ERR_KEYFILE_SECRET;
	}
	/* Absent (-1) or FALSE (0) both mean "authorization needed". */
	k->empty_auth = a->empty_auth > 0;
	k->rsa_parent = a->rsa_parent > 0;

	if (!der_uint64(&a->parent, &parent) || parent > UINT32_MAX)
		return TA_ERR_KEYFILE_PARENT;
	k->parent = parent == 0 ? TA_RH_OWNER : (uint32_t)parent;
	if (!parent_is_valid(k->parent))
		return TA_ERR_KEYFILE_PARENT;
	if (k->rsa_parent && (k->parent >> 24) != 0x40)
		return TA_ERR_KEYFILE_PARENT;

	if (a->description.present) {
		if (memchr(a->description.p, '\0', a->description.len))
			return TA_ERR_KEYFILE_DER;
		k->description = strndup((const char *)a->description.p, a->description.len);
		if (!k->description)
			return TA_ERR_NOMEM;
	}

	/* The size field must match the TPMT_PUBLIC it prefixes (tss2-mu
	 * does not check that; the TPM would refuse the key). */
	if (mu_public_from_bytes(a->pubkey.p, a->pubkey.len, &k->pub) < 0 ||
	    k->pub.size == 0)
		return TA_ERR_KEYFILE_PUBLIC;
	if (get_tpm2b_exact(&a->privkey, k->priv.buffer, sizeof(k->priv.buffer), &k->priv.size) < 0 ||
	    k->priv.size == 0)
		return TA_ERR_KEYFILE_PRIVATE;

	*ret = TAKE_PTR(k);
	return 0;
}

int keyfile_parse_der(const void *der, size_t len, struct tpm_keyfile **ret)
{
	return keyfile_parse_der_flags(der, len, 0, ret);
}

int keyfile_parse_der_flags(const void *der, size_t len, unsigned flags, struct tpm_keyfile **ret)
{
	struct takey_view v;
	int r;

	*ret = NULL;
	if (len > KEYFILE_MAX_SIZE)
		return TA_ERR_TOO_LARGE;
	r = keyfile_der_read(der, len, &v);
	if (r < 0)
		return r;
	return keyfile_from_view(&v, flags, ret);
}

/* An ASN1_STRING as a span. */
static struct der_span span_of(const ASN1_STRING *s)
{
	return s ? (struct der_span){ .p = ASN1_STRING_get0_data(s),
				      .len = (size_t)ASN1_STRING_length(s),
				      .present = true }
		 : (struct der_span){ 0 };
}

/* An INTEGER's contents octets (its DER, tag and length aside), as the
 * DER reader gives them, in a new buffer *owned. */
static int integer_span(const ASN1_INTEGER *i, uint8_t **owned, struct der_span *ret)
{
	unsigned char *enc = NULL;
	size_t hdr;
	int n;

	n = i2d_ASN1_INTEGER(i, &enc);
	if (n < 2) {
		OPENSSL_free(enc);
		return TA_ERR_NOMEM;
	}
	hdr = enc[1] < 0x80 ? 2 : 2 + (size_t)(enc[1] & 0x7f);
	*owned = malloc((size_t)n);
	if (!*owned || hdr > (size_t)n) {
		OPENSSL_free(enc);
		return TA_ERR_NOMEM;
	}
	memcpy(*owned, enc + hdr, (size_t)n - hdr);
	*ret = (struct der_span){ .p = *owned, .len = (size_t)n - hdr, .present = true };
	OPENSSL_free(enc);
	return 0;
}

int keyfile_parse_der_reference(const void *der, size_t len, unsigned flags,
				struct tpm_keyfile **ret)
{
	_cleanup_(TAKEY_freep) TAKEY *a = NULL;
	_cleanup_free_ uint8_t *parent = NULL;
	uint8_t *cc[KEYFILE_MAX_POLICY] = { 0 };
	const unsigned char *p = der;
	struct takey_view v = { 0 };
	int r, n;

	*ret = NULL;
	a = d2i_TAKEY(NULL, &p, (long)len);
	if (!a) {
		ERR_clear_error();
		return TA_ERR_KEYFILE_DER;
	}
	if (p != (const unsigned char *)der + len)
		return TA_ERR_TRAILING;
	v.type = (struct der_span){ .p = OBJ_get0_data(a->type), .len = OBJ_length(a->type),
				    .present = true };
	v.empty_auth = a->empty_auth;
	v.policy = a->policy != NULL;
	n = a->policy ? sk_TAKEY_POLICY_num(a->policy) : 0;
	if (n > KEYFILE_MAX_POLICY)
		return TA_ERR_KEYFILE_POLICY;
	r = 0;
	for (int i = 0; i < n && r == 0; i++) {
		const TAKEY_POLICY *step = sk_TAKEY_POLICY_value(a->policy, i);

		r = integer_span(step->command_code, &cc[i], &v.policy_cc[i]);
		v.policy_body[i] = span_of(step->command_policy);
		v.n_policy++;
	}
	v.secret = span_of(a->secret);
	v.auth_policy = a->auth_policy != NULL;
	v.description = span_of(a->description);
	v.rsa_parent = a->rsa_parent;
	if (r == 0)
		r = integer_span(a->parent, &parent, &v.parent);
	v.pubkey = span_of(a->pubkey);
	v.privkey = span_of(a->privkey);
	if (r == 0)
		r = keyfile_from_view(&v, flags, ret);
	for (int i = 0; i < n; i++)
		free(cc[i]);
	return r;
}

int keyfile_parse(const void *pem, size_t len, struct tpm_keyfile **ret)
{
	return keyfile_parse_flags(pem, len, 0, ret);
}

int keyfile_parse_flags(const void *pem, size_t len, unsigned flags, struct tpm_keyfile **ret)
{
	_cleanup_free_ uint8_t *der = NULL;
	char label[64];
	size_t der_len = 0;
	int r;

	*ret = NULL;
	if (len > KEYFILE_MAX_SIZE)
		return TA_ERR_TOO_LARGE;
	r = keyfile_pem_read(pem, len, label, sizeof(label), &der, &der_len);
	if (r < 0)
		return r;
	if (strcmp(label, PEM_LABEL) != 0)
		return TA_ERR_KEYFILE_LABEL;
	return keyfile_parse_der_flags(der, der_len, flags, ret);
}

int keyfile_read_fd(int fd, struct tpm_keyfile **ret)
{
	return keyfile_read_fd_flags(fd, 0, ret);
}

int keyfile_read_fd_flags(int fd, unsigned flags, struct tpm_keyfile **ret)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	*ret = NULL;
	r = file_read_bounded(fd, KEYFILE_MAX_SIZE, &data, &len);
	if (r < 0)
		return r;
	return keyfile_parse_flags(data, len, flags, ret);
}

int keyfile_open(const char *path)
{
	/* O_NONBLOCK: a FIFO in the key dir must not block the open. */
	return open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

int keyfile_read(const char *path, struct tpm_keyfile **ret)
{
	_cleanup_close_ int fd = -1;

	*ret = NULL;
	fd = keyfile_open(path);
	if (fd < 0)
		return TA_ERR_SYSTEM;
	return keyfile_read_fd(fd, ret);
}

static int set_octets(ASN1_OCTET_STRING **dst, const uint8_t *p, size_t len)
{
	*dst = ASN1_OCTET_STRING_new();
	if (!*dst || !ASN1_OCTET_STRING_set(*dst, p, (int)len))
		return TA_ERR_LIBCRYPTO;
	return 0;
}

/* size bytes of src (at most cap) as a TPM2B into out (2 + cap bytes). */
static int put_tpm2b(const uint8_t *src, uint16_t size, size_t cap, uint8_t *out, size_t *ret_len)
{
	_cleanup_(buf_freep) struct buf *b = buf_new(2 + cap);
	int r;

	if (!b)
		return TA_ERR_NOMEM;
	if (size > cap)
		return TA_ERR_INVALID_ARGUMENT;
	r = mu_put_tpm2b(b, src, size);
	if (r < 0)
		return r;
	memcpy(out, buf_ptr(b), buf_len(b));
	*ret_len = buf_len(b);
	return 0;
}

int keyfile_to_der(const struct tpm_keyfile *k, bool with_description,
		   uint8_t **ret_der, size_t *ret_len)
{
	_cleanup_(TAKEY_freep) TAKEY *a = NULL;
	unsigned char *der = NULL;
	uint8_t pub[sizeof(TPM2B_PUBLIC)], priv[sizeof(TPM2B_PRIVATE)];
	size_t pub_len = 0, priv_len = 0;
	uint8_t *out;
	int der_len, r;

	if (mu_public_to_bytes(&k->pub, pub, sizeof(pub), &pub_len) < 0 ||
	    put_tpm2b(k->priv.buffer, k->priv.size, sizeof(k->priv.buffer), priv, &priv_len) < 0)
		return TA_ERR_INVALID_ARGUMENT;
	if (!parent_is_valid(k->parent))
		return TA_ERR_KEYFILE_PARENT;
	if (k->hierarchy)
		return TA_ERR_INVALID_ARGUMENT; /* no file: re-derived */
	/* [3] is read, not kept: a rewrite would lose the signed policies. */
	if (k->auth_policy)
		return TA_ERR_KEYFILE_AUTHPOLICY;

	a = TAKEY_new();
	if (!a)
		return TA_ERR_NOMEM;
	a->type = OBJ_txt2obj(k->importable ? OID_IMPORTABLE : OID_LOADABLE, 1);
	if (!a->type)
		return TA_ERR_LIBCRYPTO;
	if (k->importable) {
		uint8_t sec[sizeof(TPM2B_ENCRYPTED_SECRET)];
		size_t sec_len = 0;

		if (put_tpm2b(k->secret.secret, k->secret.size, sizeof(k->secret.secret), sec,
			      &sec_len) < 0 ||
		    k->secret.size == 0)
			return TA_ERR_INVALID_ARGUMENT;
		r = set_octets(&a->secret, sec, sec_len);
		if (r < 0)
			return r;
	}
	/* The draft says writers SHOULD omit emptyAuth when it is FALSE, but
	 * tpm2-openssl 1.1 reads an absent emptyAuth as TRUE (its ASN1_BOOLEAN
	 * is -1, which it tests as non-zero), never asks for the passphrase and
	 * fails the HMAC check.  It writes an explicit FALSE itself, and every
	 * reader must accept all three states, so we write FALSE too. */
	a->empty_auth = k->empty_auth ? 0xff : 0;
	a->rsa_parent = k->rsa_parent ? 0xff : -1;
	if (with_description && k->description) {
		a->description = ASN1_UTF8STRING_new();
		if (!a->description ||
		    !ASN1_STRING_set(a->description, k->description, -1))
			return TA_ERR_LIBCRYPTO;
	}
	if (k->policy) {
		struct tpm_policy_step st;
		size_t pos = 0;

		a->policy = sk_TAKEY_POLICY_new_null();
		if (!a->policy)
			return TA_ERR_NOMEM;
		while (keyfile_policy_next(k, &pos, &st)) {
			TAKEY_POLICY *step = TAKEY_POLICY_new();

			if (!step || sk_TAKEY_POLICY_push(a->policy, step) <= 0) {
				TAKEY_POLICY_free(step);
				return TA_ERR_NOMEM;
			}
			if (!ASN1_INTEGER_set_uint64(step->command_code, st.cc) ||
			    !ASN1_OCTET_STRING_set(step->command_policy, st.body, (int)st.len))
				return TA_ERR_LIBCRYPTO;
		}
	}
	if (!ASN1_INTEGER_set_uint64(a->parent, k->parent))
		return TA_ERR_LIBCRYPTO;
	ASN1_OCTET_STRING_free(a->pubkey);
	ASN1_OCTET_STRING_free(a->privkey);
	a->pubkey = a->privkey = NULL;
	if ((r = set_octets(&a->pubkey, pub, pub_len)) != 0 ||
	    (r = set_octets(&a->privkey, priv, priv_len)) != 0)
		return r;

	der_len = i2d_TAKEY(a, &der);
	if (der_len <= 0)
		return TA_ERR_LIBCRYPTO;
	out = malloc((size_t)der_len);
	if (!out) {
		OPENSSL_free(der);
		return TA_ERR_NOMEM;
	}
	memcpy(out, der, (size_t)der_len);
	OPENSSL_free(der);
	*ret_der = out;
	*ret_len = (size_t)der_len;
	return 0;
}

int keyfile_to_pem(const struct tpm_keyfile *k, bool with_description,
		   char **ret_pem, size_t *ret_len)
{
	_cleanup_(BIO_free_allp) BIO *bio = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	size_t der_len = 0;
	const char *mem;
	long mem_len;
	char *out;
	int r;

	r = keyfile_to_der(k, with_description, &der, &der_len);
	if (r < 0)
		return r;
	bio = BIO_new(BIO_s_mem());
	if (!bio)
		return TA_ERR_NOMEM;
	if (!PEM_write_bio(bio, PEM_LABEL, "", der, (long)der_len))
		return TA_ERR_LIBCRYPTO;
	mem_len = BIO_get_mem_data(bio, &mem);
	if (mem_len <= 0)
		return TA_ERR_LIBCRYPTO;
	out = malloc((size_t)mem_len + 1);
	if (!out)
		return TA_ERR_NOMEM;
	memcpy(out, mem, (size_t)mem_len);
	out[mem_len] = '\0';
	*ret_pem = out;
	*ret_len = (size_t)mem_len;
	return 0;
}
