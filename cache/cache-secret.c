/* SPDX-License-Identifier: MIT */
/* cache-secret.c - passphrases in the Secret Service (GNOME Keyring,
 * KeePassXC, ...) through libsecret, loaded with dlopen() on first use so
 * that handlers not using it do not pay for glib.
 *
 * Schema "org.ssh_tpm_agent.Passphrase", one attribute:
 *   fingerprint  the key's "SHA256:..." fingerprint (lookup key)
 * Label: "ssh-tpm-agent: passphrase for <comment> (<fingerprint>)".
 * Collection: "session" (kept in memory by the Secret Service, gone at
 * logout), never the on-disk default/login keyring.
 * Secret: "<expires> <passphrase>", expires in unix seconds.  libsecret's
 * simple API looks up by exact attribute match only, so the lifetime
 * travels inside the secret; an expired entry is removed when found. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libsecret/secret.h>

#include "cache-internal.h"
#include "cleanup.h"
#include "err.h"
#include "log.h"

static const SecretSchema schema = {
	"org.ssh_tpm_agent.Passphrase",
	SECRET_SCHEMA_NONE,
	{
		{ "fingerprint", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 },
	},
	0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

static struct {
	void *dl;
	gboolean (*store)(const SecretSchema *, const gchar *, const gchar *,
			  const gchar *, GCancellable *, GError **, ...);
	gchar *(*lookup)(const SecretSchema *, GCancellable *, GError **, ...);
	gboolean (*clear)(const SecretSchema *, GCancellable *, GError **, ...);
	void (*free_pw)(gchar *);
	void (*error_free)(GError *);
} lib;

static int secret_load(void)
{
	if (lib.dl)
		return 0;
	lib.dl = dlopen("libsecret-1.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!lib.dl) {
		log_debug("dlopen libsecret: %s", dlerror());
		return TA_ERR_UNSUPPORTED;
	}
	*(void **)&lib.store = dlsym(lib.dl, "secret_password_store_sync");
	*(void **)&lib.lookup = dlsym(lib.dl, "secret_password_lookup_sync");
	*(void **)&lib.clear = dlsym(lib.dl, "secret_password_clear_sync");
	*(void **)&lib.free_pw = dlsym(lib.dl, "secret_password_free");
	*(void **)&lib.error_free = dlsym(lib.dl, "g_error_free");
	if (!lib.store || !lib.lookup || !lib.clear || !lib.free_pw ||
	    !lib.error_free) {
		dlclose(lib.dl);
		lib.dl = NULL;
		return TA_ERR_UNSUPPORTED;
	}
	return 0;
}

static int gerror(GError *e, const char *what)
{
	if (!e)
		return 0;
	log_debug("%s: %s", what, e->message);
	lib.error_free(e);
	return TA_ERR_UNSUPPORTED;
}

int cache_secret_probe(void)
{
	const char *bus = getenv("DBUS_SESSION_BUS_ADDRESS");
	GError *e = NULL;
	gchar *pw;
	int r;

	r = secret_load();
	if (r < 0)
		return r;
	/* Without a session bus libsecret would try to autolaunch one. */
	if (!bus || !*bus)
		return TA_ERR_UNSUPPORTED;
	pw = lib.lookup(&schema, NULL, &e, "fingerprint", "probe", NULL);
	if (pw)
		lib.free_pw(pw);
	return gerror(e, "Secret Service");
}

int cache_secret_get(enum cache_kind kind, const char *id, uint8_t **ret,
		     size_t *ret_len)
{
	GError *e = NULL;
	gchar *pw;
	char *sp, *end, *s;
	long long expires;
	int r;

	if (kind != CACHE_PASSPHRASE)
		return TA_ERR_UNSUPPORTED;
	r = secret_load();
	if (r < 0)
		return r;
	pw = lib.lookup(&schema, NULL, &e, "fingerprint", id, NULL);
	r = gerror(e, "secret lookup");
	if (r < 0)
		return r;
	if (!pw)
		return TA_ERR_KEY_NOT_FOUND;
	expires = strtoll(pw, &end, 10);
	sp = end;
	if (*sp != ' ' || expires <= (long long)time(NULL)) {
		lib.free_pw(pw);
		cache_secret_drop(kind, id);
		return TA_ERR_KEY_NOT_FOUND;
	}
	s = strdup(sp + 1);
	lib.free_pw(pw); /* wipes the copy libsecret made */
	if (!s)
		return TA_ERR_NOMEM;
	*ret = (uint8_t *)s;
	*ret_len = strlen(s);
	return 0;
}

int cache_secret_put(enum cache_kind kind, const char *id, const char *label,
		     const void *data, size_t len, unsigned lifetime)
{
	_cleanup_free_ char *full_label = NULL;
	_cleanup_secret_ char *value = NULL;
	GError *e = NULL;
	int r, n;

	if (kind != CACHE_PASSPHRASE)
		return TA_ERR_UNSUPPORTED;
	/* libsecret's simple API stores text. */
	if (memchr(data, '\0', len))
		return TA_ERR_FORMAT;
	r = secret_load();
	if (r < 0)
		return r;
	if (asprintf(&full_label, "ssh-tpm-agent: passphrase for %s (%s)",
		     label && *label ? label : "TPM key", id) < 0)
		return TA_ERR_NOMEM;
	n = asprintf(&value, "%lld %.*s", (long long)time(NULL) + lifetime,
		     (int)len, (const char *)data);
	if (n < 0) {
		value = NULL;
		return TA_ERR_NOMEM;
	}
	/* The in-memory session collection: a cached passphrase must not
	 * land in the on-disk login keyring and outlive its timeout there. */
	lib.store(&schema, SECRET_COLLECTION_SESSION, full_label, value, NULL,
		  &e, "fingerprint", id, NULL);
	return gerror(e, "secret store");
}

int cache_secret_drop(enum cache_kind kind, const char *id)
{
	GError *e = NULL;
	int r;

	if (kind != CACHE_PASSPHRASE)
		return TA_ERR_UNSUPPORTED;
	r = secret_load();
	if (r < 0)
		return r;
	lib.clear(&schema, NULL, &e, "fingerprint", id, NULL);
	return gerror(e, "secret clear");
}
