/* SPDX-License-Identifier: MIT */
/* tpm-landlock.c - Landlock rules for the TCTI in use (tpm-landlock.h). */
#include "tpm-landlock.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "err.h"
#include "log.h"
#include "swtpm.h"

/* The directory of path (a copy; "." for a bare name). */
static char *dir_of(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);

	return copy ? strdup(dirname(copy)) : NULL;
}

static int allow_conf(const char *conf, struct landlock_rules *rules, unsigned depth)
{
	size_t n = strcspn(conf, ":");
	const char *rest = conf[n] ? conf + n + 1 : "";
	const char *p;
	int r;

	if (n == 6 && strncmp(conf, "device", n) == 0) {
		if (*rest)
			return landlock_rules_allow(rules, rest, LANDLOCK_ALLOW_DEVICE);
		r = landlock_rules_allow(rules, "/dev/tpm0", LANDLOCK_ALLOW_DEVICE);
		return r < 0 ? r : landlock_rules_allow(rules, "/dev/tpmrm0", LANDLOCK_ALLOW_DEVICE);
	}
	if ((n == 5 && strncmp(conf, "swtpm", n) == 0) || (n == 5 && strncmp(conf, "mssim", n) == 0)) {
		_cleanup_free_ char *sock = NULL, *lock = NULL;

		p = strstr(rest, "path=");
		if (!p)
			return 0; /* host and port: TCP is not restricted */
		p += 5;
		/* The lock every user of this swtpm shares (tpm.c), opened for
		 * reading; without it, tpm.c falls back to a lock of our own
		 * in the runtime directory. */
		if (asprintf(&sock, "%.*s", (int)strcspn(p, ","), p) < 0 ||
		    asprintf(&lock, "%s.lock", sock) < 0)
			return TA_ERR_NOMEM;
		/* Made now if it is ours to make: once restricted we could
		 * not, and without it stale objects are never flushed. */
		swtpm_lock_prepare(sock);
		return landlock_rules_allow(rules, lock, LANDLOCK_ALLOW_READ);
	}
	if (n == 6 && strncmp(conf, "tabrmd", n) == 0)
		return 0; /* D-Bus: a connect */
	if (n == 4 && strncmp(conf, "pcap", n) == 0 && *rest && depth < 2) {
		/* The debugging TCTI: the capture file, then the real TCTI. */
		const char *file = getenv("TCTI_PCAP_FILE");
		_cleanup_free_ char *dir = dir_of(file && *file ? file : "tpm2_log.pcap");

		if (!dir)
			return TA_ERR_NOMEM;
		r = landlock_rules_allow(rules, dir, LANDLOCK_ALLOW_WRITE);
		return r < 0 ? r : allow_conf(rest, rules, depth + 1);
	}
	if (n == 7 && strncmp(conf, "libtpms", n) == 0 && *rest) {
		/* A TPM in this process, its state in a file. */
		_cleanup_free_ char *dir = dir_of(rest);

		return dir ? landlock_rules_allow(rules, dir, LANDLOCK_ALLOW_WRITE) : TA_ERR_NOMEM;
	}
	log_warning("SSH_TPM_LANDLOCK: no rules for the TCTI '%.*s': the files it opens are denied",
		    (int)n, conf);
	return 0;
}

int tpm_landlock_allow(const char *conf, struct landlock_rules *rules)
{
	/* No TCTI configured: tpm.c tries /dev/tpmrm0, tabrmd, /dev/tpm0. */
	return allow_conf(conf ? conf : "device", rules, 0);
}
