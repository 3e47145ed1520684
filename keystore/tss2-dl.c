/* SPDX-License-Identifier: MIT */
/* tss2-dl.c - dlopen() of the tpm2-tss libraries (see tss2-dl.h). */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "tss2-dl.h"

#define TSS2_DL_DEFINE(lib, name) __typeof__(name) *sym_##name;
TSS2_DL_SYMBOLS(TSS2_DL_DEFINE)
#undef TSS2_DL_DEFINE

/* By SONAME, as the dynamic linker would find them for a linked program. */
static const char *const libraries[] = {
	[TSS2_DL_ESYS] = "libtss2-esys.so.0",
	[TSS2_DL_MU] = "libtss2-mu.so.0",
	[TSS2_DL_RC] = "libtss2-rc.so.0",
	[TSS2_DL_TCTILDR] = "libtss2-tctildr.so.0",
};

static const struct {
	unsigned lib;
	const char *name;
	void *slot; /* a pointer to the sym_ function pointer */
} symbols[] = {
#define TSS2_DL_ENTRY(l, n) { l, #n, &sym_##n },
	TSS2_DL_SYMBOLS(TSS2_DL_ENTRY)
#undef TSS2_DL_ENTRY
};

static bool loaded;

void tss2_dl_preload_tcti(const char *conf)
{
	char name[64];
	size_t n;

	if (!conf)
		return;
	n = strcspn(conf, ":");
	/* Only a plain name (the loader also takes paths and full names). */
	if (n == 0 || n > 16 || strspn(conf, "abcdefghijklmnopqrstuvwxyz") < n)
		return;
	snprintf(name, sizeof(name), "libtss2-tcti-%.*s.so.0", (int)n, conf);
	(void)dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
}

bool tss2_dl_loaded(void)
{
	return loaded;
}

int tss2_dl_load(void)
{
	void *handles[sizeof(libraries) / sizeof(libraries[0])] = { 0 };

	if (loaded)
		return 0;
	for (size_t i = 0; i < sizeof(libraries) / sizeof(libraries[0]); i++) {
		/* RTLD_GLOBAL and lookups in the global scope: what the
		 * dynamic linker does for a linked library, so that an
		 * LD_PRELOAD interposer (tests/attack/fault-shim.c) still sees
		 * the calls and finds the real ones with RTLD_NEXT.  Never
		 * unloaded: the pointers stay valid for the process. */
		handles[i] = dlopen(libraries[i], RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
		if (!handles[i]) {
			log_warning("cannot load %s: %s", libraries[i], dlerror());
			return TA_ERR_TSS2_MISSING;
		}
	}
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *f = dlsym(RTLD_DEFAULT, symbols[i].name);

		if (!f)
			f = dlsym(handles[symbols[i].lib], symbols[i].name);
		if (!f) {
			log_warning("%s has no %s: %s", libraries[symbols[i].lib],
				    symbols[i].name, dlerror());
			return TA_ERR_TSS2_MISSING;
		}
		/* ISO C has no cast from an object pointer to a function
		 * pointer; POSIX guarantees they have the same size. */
		memcpy(symbols[i].slot, &f, sizeof(f));
	}
	loaded = true;
	return 0;
}
