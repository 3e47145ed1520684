/* SPDX-License-Identifier: MIT */
/* cleanup.h - scope-bound cleanup helpers (GCC/Clang cleanup attribute)
 * and the one way to let go of secrets (systemd memory-util.h). */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Generates `static inline void fp(type **p)` calling f(*p) when non-NULL. */
#define DEFINE_CLEANUP(type, f)                                                \
	static inline void f##p(type **p)                                      \
	{                                                                      \
		if (*p)                                                        \
			f(*p);                                                 \
	}

/* Take ownership of a pointer: returns it and leaves NULL behind. */
#define TAKE_PTR(p)                                                            \
	__extension__({                                                        \
		__typeof__(p) _tp = (p);                                       \
		(p) = NULL;                                                    \
		_tp;                                                           \
	})

#define TAKE_FD(fd)                                                            \
	__extension__({                                                        \
		int _tf = (fd);                                                \
		(fd) = -1;                                                     \
		_tf;                                                           \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Free p, give NULL: h->name = mfree(h->name). */
static inline void *mfree(void *p)
{
	free(p);
	return NULL;
}

/* Secrets of known length: wiped, then freed (OpenSSH freezero). */
static inline void erase_and_free(void *p, size_t len)
{
	if (p) {
		explicit_bzero(p, len);
		free(p);
	}
}

/* A NUL-terminated secret (passphrase, password): wiped and freed. */
static inline void secret_free(char *s)
{
	if (s)
		erase_and_free(s, strlen(s));
}

static inline void secret_freep(char **s)
{
	secret_free(*s);
}
#define _cleanup_secret_ _cleanup_(secret_freep)

/* Wipe a stack variable when it goes out of scope:
 *   TPM2B_AUTH auth = { 0 };
 *   CLEANUP_ERASE(auth); */
struct erase_region {
	void *p;
	size_t n;
};

static inline void erase_regionp(struct erase_region *r)
{
	explicit_bzero(r->p, r->n);
}
#define CLEANUP_ERASE(var)                                                     \
	_cleanup_(erase_regionp) __attribute__((unused))                       \
	struct erase_region _erase_##var = {                                   \
		&(var), sizeof(var)                                            \
	}
