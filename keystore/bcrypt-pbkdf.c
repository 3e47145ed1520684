/* SPDX-License-Identifier: MIT */
/* bcrypt-pbkdf.c - bcrypt_pbkdf as OpenSSH uses it for its private key
 * files.  The algorithm: the password and each salt block are hashed with
 * SHA-512; a "bcrypt hash" of the two keys a Blowfish state with both (the
 * expensive EksBlowfish schedule, 64 rounds), then encrypts a fixed
 * 32-byte text 64 times; rounds of it are XORed, PBKDF2-style, and the
 * output bytes are spread over the key with a stride so that every block
 * contributes to every part of it.  Blowfish itself is written out here:
 * OpenSSL's (legacy provider) has no way to run the salted schedule. */
#include "bcrypt-pbkdf.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "cleanup.h"
#include "err.h"

#include "blowfish-init.h"

struct blowfish {
	uint32_t p[18];
	uint32_t s[4][256];
};

static uint32_t bf_f(const struct blowfish *c, uint32_t x)
{
	return ((c->s[0][x >> 24] + c->s[1][(x >> 16) & 0xff]) ^ c->s[2][(x >> 8) & 0xff]) +
	       c->s[3][x & 0xff];
}

static void bf_encipher(const struct blowfish *c, uint32_t *xl, uint32_t *xr)
{
	uint32_t l = *xl, r = *xr;

	l ^= c->p[0];
	for (int i = 1; i <= 16; i += 2) {
		r ^= bf_f(c, l) ^ c->p[i];
		l ^= bf_f(c, r) ^ c->p[i + 1];
	}
	r ^= c->p[17];
	*xl = r;
	*xr = l;
}

/* The next four bytes of data (big-endian), cycling through it. */
static uint32_t bf_word(const uint8_t *data, size_t len, size_t *pos)
{
	uint32_t w = 0;

	for (int i = 0; i < 4; i++) {
		if (*pos >= len)
			*pos = 0;
		w = (w << 8) | data[(*pos)++];
	}
	return w;
}

/* The key schedule: key XORed into P, then P and the S-boxes replaced by
 * successive encryptions, each block first XORed with the salt's next
 * eight bytes when there is a salt (EksBlowfish's expandstate; without
 * one, the plain schedule, "expand0state"). */
static void bf_expand(struct blowfish *c, const uint8_t *salt, size_t salt_len,
		      const uint8_t *key, size_t key_len)
{
	uint32_t l = 0, r = 0;
	size_t kp = 0, sp = 0;

	for (int i = 0; i < 18; i++)
		c->p[i] ^= bf_word(key, key_len, &kp);
	for (int i = 0; i < 18; i += 2) {
		if (salt) {
			l ^= bf_word(salt, salt_len, &sp);
			r ^= bf_word(salt, salt_len, &sp);
		}
		bf_encipher(c, &l, &r);
		c->p[i] = l;
		c->p[i + 1] = r;
	}
	for (int b = 0; b < 4; b++)
		for (int i = 0; i < 256; i += 2) {
			if (salt) {
				l ^= bf_word(salt, salt_len, &sp);
				r ^= bf_word(salt, salt_len, &sp);
			}
			bf_encipher(c, &l, &r);
			c->s[b][i] = l;
			c->s[b][i + 1] = r;
		}
}

#define BCRYPT_WORDS 8
#define BCRYPT_HASHSIZE (BCRYPT_WORDS * 4)

static void bcrypt_hash(const uint8_t pass[SHA512_DIGEST_LENGTH],
			const uint8_t salt[SHA512_DIGEST_LENGTH], uint8_t out[BCRYPT_HASHSIZE])
{
	static const char text[BCRYPT_HASHSIZE + 1] = "OxychromaticBlowfishSwatDynamite";
	struct blowfish c;
	uint32_t cdata[BCRYPT_WORDS];
	size_t pos = 0;
	CLEANUP_ERASE(c);
	CLEANUP_ERASE(cdata);

	_Static_assert(sizeof(blowfish_init) == sizeof(c), "Blowfish state size");
	memcpy(&c, blowfish_init, sizeof(c));
	bf_expand(&c, salt, SHA512_DIGEST_LENGTH, pass, SHA512_DIGEST_LENGTH);
	for (int i = 0; i < 64; i++) {
		bf_expand(&c, NULL, 0, salt, SHA512_DIGEST_LENGTH);
		bf_expand(&c, NULL, 0, pass, SHA512_DIGEST_LENGTH);
	}
	for (int i = 0; i < BCRYPT_WORDS; i++)
		cdata[i] = bf_word((const uint8_t *)text, BCRYPT_HASHSIZE, &pos);
	for (int n = 0; n < 64; n++)
		for (int i = 0; i < BCRYPT_WORDS; i += 2)
			bf_encipher(&c, &cdata[i], &cdata[i + 1]);
	/* Little-endian out, as OpenBSD's bcrypt_hash writes it. */
	for (int i = 0; i < BCRYPT_WORDS; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(cdata[i] >> (8 * j));
}

#define BCRYPT_MAX_SALT 1024

static bool digest512(const void *data, size_t len, uint8_t md[SHA512_DIGEST_LENGTH])
{
	return EVP_Digest(data, len, md, NULL, EVP_sha512(), NULL) == 1;
}

int bcrypt_pbkdf(const char *pass, size_t passlen, const uint8_t *salt, size_t saltlen,
		 uint8_t *key, size_t keylen, unsigned rounds)
{
	uint8_t sha2pass[SHA512_DIGEST_LENGTH], sha2salt[SHA512_DIGEST_LENGTH];
	uint8_t tmp[BCRYPT_HASHSIZE], out[BCRYPT_HASHSIZE], countsalt[BCRYPT_MAX_SALT + 4];
	size_t stride, amt, left = keylen;
	CLEANUP_ERASE(sha2pass);
	CLEANUP_ERASE(tmp);
	CLEANUP_ERASE(out);

	if (rounds < 1 || keylen == 0 || keylen > sizeof(out) * sizeof(out) || saltlen == 0 ||
	    saltlen > BCRYPT_MAX_SALT)
		return TA_ERR_INVALID_ARGUMENT;
	stride = (keylen + sizeof(out) - 1) / sizeof(out);
	amt = (keylen + stride - 1) / stride;
	if (!digest512(pass, passlen, sha2pass))
		return TA_ERR_LIBCRYPTO;
	memcpy(countsalt, salt, saltlen);

	for (uint32_t count = 1; left > 0; count++) {
		size_t i;

		countsalt[saltlen] = (uint8_t)(count >> 24);
		countsalt[saltlen + 1] = (uint8_t)(count >> 16);
		countsalt[saltlen + 2] = (uint8_t)(count >> 8);
		countsalt[saltlen + 3] = (uint8_t)count;
		if (!digest512(countsalt, saltlen + 4, sha2salt))
			return TA_ERR_LIBCRYPTO;
		bcrypt_hash(sha2pass, sha2salt, tmp);
		memcpy(out, tmp, sizeof(out));
		for (unsigned n = 1; n < rounds; n++) {
			if (!digest512(tmp, sizeof(tmp), sha2salt))
				return TA_ERR_LIBCRYPTO;
			bcrypt_hash(sha2pass, sha2salt, tmp);
			for (size_t j = 0; j < sizeof(out); j++)
				out[j] ^= tmp[j];
		}
		if (amt > left)
			amt = left;
		for (i = 0; i < amt; i++) {
			size_t dest = i * stride + (count - 1);

			if (dest >= keylen)
				break;
			key[dest] = out[i];
		}
		left -= i;
	}
	return 0;
}
