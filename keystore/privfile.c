/* SPDX-License-Identifier: MIT */
/* privfile.c - software private key files (see privfile.h).  OpenSSH's
 * format is parsed here: its private section is the ADD_IDENTITY layout
 * softkey.c already reads; PEM and PKCS#8 go to OpenSSL's decoders.  All
 * plaintext is wiped when freed. */
#include "privfile.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bcrypt-pbkdf.h"
#include "buf.h"
#include "err.h"
#include "log.h"
#include "softkey.h"

#define OPENSSH_LABEL "OPENSSH PRIVATE KEY"
#define OPENSSH_MAGIC "openssh-key-v1" /* and its NUL */

void privfile_free(struct privfile *p)
{
	if (!p)
		return;
	EVP_PKEY_free(p->pkey);
	free(p->comment);
	free(p);
}

DEFINE_CLEANUP(BIO, BIO_free)

struct pem_block {
	char *name, *header;
	unsigned char *data;
	long len;
};

static void pem_block_clear(struct pem_block *b)
{
	OPENSSL_free(b->name);
	OPENSSL_free(b->header);
	if (b->data)
		OPENSSL_clear_free(b->data, (size_t)b->len);
	*b = (struct pem_block){ 0 };
}

/* The first PEM block of the text. */
static int pem_block_read(const void *data, size_t len, struct pem_block *ret)
{
	_cleanup_(BIO_freep) BIO *bio = NULL;

	if (len > INT32_MAX)
		return TA_ERR_TOO_LARGE;
	bio = BIO_new_mem_buf(data, (int)len);
	if (!bio)
		return TA_ERR_NOMEM;
	*ret = (struct pem_block){ 0 };
	if (PEM_read_bio(bio, &ret->name, &ret->header, &ret->data, &ret->len) != 1) {
		ERR_clear_error();
		pem_block_clear(ret);
		return TA_ERR_FORMAT;
	}
	return 0;
}

struct openssh_cipher {
	const char *name;
	const char *evp; /* OpenSSL's name */
	size_t key_len, iv_len, tag_len, block;
};

static const struct openssh_cipher ciphers[] = {
	{ "none", NULL, 0, 0, 0, 8 },
	{ "aes128-ctr", "AES-128-CTR", 16, 16, 0, 16 },
	{ "aes192-ctr", "AES-192-CTR", 24, 16, 0, 16 },
	{ "aes256-ctr", "AES-256-CTR", 32, 16, 0, 16 },
	{ "aes128-cbc", "AES-128-CBC", 16, 16, 0, 16 },
	{ "aes192-cbc", "AES-192-CBC", 24, 16, 0, 16 },
	{ "aes256-cbc", "AES-256-CBC", 32, 16, 0, 16 },
	{ "aes128-gcm@openssh.com", "AES-128-GCM", 16, 12, 16, 16 },
	{ "aes256-gcm@openssh.com", "AES-256-GCM", 32, 12, 16, 16 },
};

/* The outer layout, up to the private section (not yet decrypted). */
struct openssh_file {
	const struct openssh_cipher *cipher;
	const uint8_t *salt;
	size_t salt_len;
	uint32_t rounds;
	const uint8_t *pub, *enc, *tag;
	size_t pub_len, enc_len;
};

static bool bytes_are(const uint8_t *p, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(p, s, len) == 0;
}

static int openssh_outer(struct buf *b, struct openssh_file *ret)
{
	struct openssh_file f = { 0 };
	const uint8_t *cname, *kdf, *kdfopt;
	size_t cname_len, kdf_len, kdfopt_len;
	uint8_t magic[sizeof(OPENSSH_MAGIC)];
	uint32_t nkeys;
	int r;

	if ((r = buf_get(b, magic, sizeof(magic))) < 0 ||
	    memcmp(magic, OPENSSH_MAGIC, sizeof(magic)) != 0)
		return TA_ERR_FORMAT;
	if ((r = buf_get_string_direct(b, &cname, &cname_len)) < 0 ||
	    (r = buf_get_string_direct(b, &kdf, &kdf_len)) < 0 ||
	    (r = buf_get_string_direct(b, &kdfopt, &kdfopt_len)) < 0 ||
	    (r = buf_get_u32(b, &nkeys)) < 0 ||
	    (r = buf_get_string_direct(b, &f.pub, &f.pub_len)) < 0 ||
	    (r = buf_get_string_direct(b, &f.enc, &f.enc_len)) < 0)
		return TA_ERR_FORMAT;
	for (size_t i = 0; i < ELEMENTSOF(ciphers); i++)
		if (bytes_are(cname, cname_len, ciphers[i].name))
			f.cipher = &ciphers[i];
	if (!f.cipher) {
		log_debug("OpenSSH key: cipher '%.*s' is not supported", (int)(cname_len > 64 ? 64 : cname_len),
			  (const char *)cname);
		return TA_ERR_UNSUPPORTED;
	}
	if (nkeys != 1)
		return TA_ERR_FORMAT;
	if (bytes_are(kdf, kdf_len, "bcrypt")) {
		_cleanup_(buf_freep) struct buf *o = buf_from(kdfopt, kdfopt_len);

		if (!o)
			return TA_ERR_NOMEM;
		if (buf_get_string_direct(o, &f.salt, &f.salt_len) < 0 ||
		    buf_get_u32(o, &f.rounds) < 0 || buf_len(o) != 0 || f.salt_len == 0 ||
		    f.salt_len > 1024 || f.rounds == 0 || !f.cipher->evp)
			return TA_ERR_FORMAT;
		if (f.rounds > PRIVFILE_MAX_ROUNDS) {
			log_debug("OpenSSH key: %u bcrypt rounds, more than %u", f.rounds,
				  PRIVFILE_MAX_ROUNDS);
			return TA_ERR_UNSUPPORTED;
		}
	} else if (!bytes_are(kdf, kdf_len, "none") || kdfopt_len != 0 || f.cipher->evp) {
		if (!bytes_are(kdf, kdf_len, "none"))
			log_debug("OpenSSH key: KDF '%.*s' is not supported",
				  (int)(kdf_len > 64 ? 64 : kdf_len), (const char *)kdf);
		return bytes_are(kdf, kdf_len, "none") ? TA_ERR_FORMAT : TA_ERR_UNSUPPORTED;
	}
	/* The authentication tag (GCM) follows the encrypted string. */
	if (buf_len(b) != f.cipher->tag_len || f.enc_len == 0 || f.enc_len % f.cipher->block)
		return TA_ERR_FORMAT;
	f.tag = buf_ptr(b);
	*ret = f;
	return 0;
}

static int openssh_decrypt(const struct openssh_file *f, const char *pass, uint8_t *out)
{
	const struct openssh_cipher *c = f->cipher;
	uint8_t kiv[64];
	EVP_CIPHER *evp = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	int n = 0, fin = 0, r;
	CLEANUP_ERASE(kiv);

	if (!c->evp) {
		memcpy(out, f->enc, f->enc_len);
		return 0;
	}
	if (!pass)
		return TA_ERR_BAD_PASSPHRASE;
	r = bcrypt_pbkdf(pass, strlen(pass), f->salt, f->salt_len, kiv, c->key_len + c->iv_len,
			 f->rounds);
	if (r < 0)
		return r;
	r = TA_ERR_LIBCRYPTO;
	evp = EVP_CIPHER_fetch(NULL, c->evp, NULL);
	ctx = EVP_CIPHER_CTX_new();
	if (!evp || !ctx || EVP_DecryptInit_ex2(ctx, evp, NULL, NULL, NULL) != 1 ||
	    (c->tag_len && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)c->iv_len, NULL) != 1) ||
	    EVP_DecryptInit_ex2(ctx, NULL, kiv, kiv + c->key_len, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    (c->tag_len && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)c->tag_len,
					       (void *)f->tag) != 1) ||
	    EVP_DecryptUpdate(ctx, out, &n, f->enc, (int)f->enc_len) != 1)
		goto out;
	/* GCM: a wrong key shows as a tag mismatch here. */
	if (EVP_DecryptFinal_ex(ctx, out + n, &fin) != 1) {
		r = TA_ERR_BAD_PASSPHRASE;
		goto out;
	}
	r = (size_t)(n + fin) == f->enc_len ? 0 : TA_ERR_INTERNAL;
out:
	ERR_clear_error();
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(evp);
	return r;
}

/* The plaintext private section: two equal check words (a wrong
 * passphrase gives random ones), the key, its comment, padding 1, 2, 3... */
static int openssh_inner(const struct openssh_file *f, struct buf *plain, struct privfile **ret)
{
	_cleanup_(privfile_freep) struct privfile *p = NULL;
	_cleanup_(softkey_freep) struct softkey *k = NULL;
	const uint8_t *blob;
	size_t blob_len, pad;
	uint32_t c1, c2;
	int r;

	if (buf_get_u32(plain, &c1) < 0 || buf_get_u32(plain, &c2) < 0)
		return TA_ERR_FORMAT;
	if (c1 != c2)
		return f->cipher->evp ? TA_ERR_BAD_PASSPHRASE : TA_ERR_FORMAT;
	r = softkey_parse(plain, &k);
	if (r < 0)
		return r == TA_ERR_KEY_TYPE ? r : TA_ERR_FORMAT;
	softkey_blob(k, &blob, &blob_len);
	/* The public key in the clear part is the private key's. */
	if (!buf_bytes_equal(blob, blob_len, f->pub, f->pub_len))
		return TA_ERR_KEY_MISMATCH;
	p = calloc(1, sizeof(*p));
	if (!p)
		return TA_ERR_NOMEM;
	if (buf_get_cstring(plain, &p->comment, NULL) < 0)
		return TA_ERR_FORMAT;
	pad = buf_len(plain);
	if (pad >= f->cipher->block)
		return TA_ERR_FORMAT;
	for (size_t i = 0; i < pad; i++)
		if (buf_ptr(plain)[i] != (uint8_t)(i + 1))
			return TA_ERR_FORMAT;
	p->pkey = softkey_take_pkey(k);
	*ret = TAKE_PTR(p);
	return 0;
}

static int openssh_parse(const uint8_t *data, size_t len, const char *pass, struct privfile **ret)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(data, len), *plain = NULL;
	struct openssh_file f;
	uint8_t *out;
	int r;

	if (!b)
		return TA_ERR_NOMEM;
	r = openssh_outer(b, &f);
	if (r < 0)
		return r;
	/* buf_free wipes the plaintext. */
	plain = buf_new(f.enc_len);
	if (!plain)
		return TA_ERR_NOMEM;
	r = buf_reserve(plain, f.enc_len, &out);
	if (r < 0)
		return r;
	r = openssh_decrypt(&f, pass, out);
	if (r < 0)
		return r;
	return openssh_inner(&f, plain, ret);
}

/* The key type an OpenSSH public blob names. */
static void blob_type(const uint8_t *pub, size_t len, char *out, size_t out_len)
{
	_cleanup_(buf_freep) struct buf *b = buf_from(pub, len);
	const uint8_t *name;
	size_t name_len;

	out[0] = '\0';
	if (b && buf_get_string_direct(b, &name, &name_len) == 0 && name_len < out_len &&
	    !memchr(name, '\0', name_len)) {
		memcpy(out, name, name_len);
		out[name_len] = '\0';
	}
}

/* "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY", ... */
static bool pem_is_private_key(const char *name)
{
	size_t n = strlen(name);

	return strcmp(name, "PRIVATE KEY") == 0 || (n > 12 && strcmp(name + n - 12, " PRIVATE KEY") == 0);
}

static bool pem_is_encrypted(const struct pem_block *pb)
{
	return strcmp(pb->name, "ENCRYPTED PRIVATE KEY") == 0 ||
	       (pb->header && strstr(pb->header, "ENCRYPTED"));
}

int privfile_info(const void *data, size_t len, struct privfile_info *ret)
{
	struct pem_block pb;
	struct privfile_info info = { 0 };
	int r;

	r = pem_block_read(data, len, &pb);
	if (r < 0)
		return r;
	if (strcmp(pb.name, OPENSSH_LABEL) == 0) {
		_cleanup_(buf_freep) struct buf *b = buf_from(pb.data, (size_t)pb.len);
		struct openssh_file f;

		r = b ? openssh_outer(b, &f) : TA_ERR_NOMEM;
		if (r == 0 || r == TA_ERR_UNSUPPORTED) {
			info.openssh = true;
			/* An unsupported cipher is not "none" either. */
			info.encrypted = r < 0 || f.cipher->evp;
			info.unsupported = r < 0;
			if (r == 0) {
				blob_type(f.pub, f.pub_len, info.type, sizeof(info.type));
				info.rounds = f.rounds;
			}
			r = 0;
		}
	} else if (pem_is_private_key(pb.name)) {
		info.encrypted = pem_is_encrypted(&pb);
		/* "EC PRIVATE KEY", "RSA PRIVATE KEY", "DSA PRIVATE KEY". */
		if (strcmp(pb.name, "PRIVATE KEY") != 0 && strcmp(pb.name, "ENCRYPTED PRIVATE KEY") != 0)
			snprintf(info.type, sizeof(info.type), "%.*s", (int)(strlen(pb.name) - 12),
				 pb.name);
	} else {
		r = TA_ERR_FORMAT;
	}
	pem_block_clear(&pb);
	if (r < 0)
		return r;
	*ret = info;
	return 0;
}

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pass = u;
	size_t n;

	(void)rwflag;
	if (!pass)
		return -1;
	n = strlen(pass);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pass, n);
	return (int)n;
}

/* PEM and PKCS#8, by OpenSSL's decoders. */
static int pem_parse(const void *data, size_t len, bool encrypted, const char *passphrase,
		     struct privfile **ret)
{
	_cleanup_(BIO_freep) BIO *bio = NULL;
	struct privfile *p;
	EVP_PKEY *pkey;
	int r;

	bio = BIO_new_mem_buf(data, (int)len);
	if (!bio)
		return TA_ERR_NOMEM;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, (void *)passphrase);
	if (!pkey) {
		ERR_clear_error();
		/* OpenSSL does not tell a wrong passphrase from a damaged
		 * file; for an encrypted one the passphrase is the likely
		 * cause. */
		return encrypted ? TA_ERR_BAD_PASSPHRASE : TA_ERR_FORMAT;
	}
	/* The TPM would refuse a mismatch too (TPM_RC_BINDING), but would
	 * not say which file or why. */
	{
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

		r = ctx && EVP_PKEY_pairwise_check(ctx) == 1 ? 0 : TA_ERR_KEY_MISMATCH;
		EVP_PKEY_CTX_free(ctx);
		ERR_clear_error();
		if (r < 0 && (EVP_PKEY_is_a(pkey, "EC") || EVP_PKEY_is_a(pkey, "RSA"))) {
			EVP_PKEY_free(pkey);
			return r;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		EVP_PKEY_free(pkey);
		return TA_ERR_NOMEM;
	}
	p->pkey = pkey;
	*ret = p;
	return 0;
}

int privfile_parse(const void *data, size_t len, const char *passphrase, struct privfile **ret)
{
	struct pem_block pb;
	int r;

	r = pem_block_read(data, len, &pb);
	if (r < 0)
		return r;
	if (strcmp(pb.name, OPENSSH_LABEL) == 0)
		r = openssh_parse(pb.data, (size_t)pb.len, passphrase, ret);
	else if (pem_is_private_key(pb.name))
		r = pem_parse(data, len, pem_is_encrypted(&pb), passphrase, ret);
	else
		r = TA_ERR_FORMAT;
	pem_block_clear(&pb);
	return r;
}
