/* cleanup.h - scope-bound cleanup helpers (GCC/Clang cleanup attribute). */
#pragma once

#include <errno.h>
#include <stdlib.h>
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
