/* SPDX-License-Identifier: MIT */
/* audit.c - one line per signature: which key, for whom (pid, uid,
 * executable, systemd unit), for which SSH login when the data is one
 * (user, and the host key of the session bound to the connection), and
 * how it ended.  Never the signed data, never a secret.
 *
 * Under the journal (JOURNAL_STREAM naming our stderr, systemd.exec(5),
 * or an agent gone to the background where the journal runs: log.c's
 * log_to_background) the line goes through sd_journal_sendv with its
 * fields as journal fields, so `journalctl SSH_TPM_KEY_FP=SHA256:...` lists a key's uses;
 * libsystemd is dlopen()ed then only (a handler elsewhere never maps
 * it).  Otherwise it is one plain stderr line at info level. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "handler.h"
#include "log.h"
#include "sysutil.h"

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected to
 * stdout/stderr; ours only if stderr is still that very stream. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &tail) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* The systemd unit of a pid: the last .service or .scope component of
 * its cgroup (the unified line "0::", else the name=systemd one); NULL
 * when there is none (not under systemd). */
static char *peer_unit(pid_t pid)
{
	char path[64], buf[2048], *unit = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = pid > 0 ? fopen(path, "re") : NULL;
	if (!f)
		return NULL;
	while (fgets(buf, sizeof(buf), f)) {
		char *cg = NULL, *p, *last = NULL;

		buf[strcspn(buf, "\n")] = '\0';
		if (strncmp(buf, "0::", 3) == 0)
			cg = buf + 3;
		else if ((p = strstr(buf, ":name=systemd:")) != NULL)
			cg = p + strlen(":name=systemd:");
		if (!cg)
			continue;
		for (p = strtok(cg, "/"); p; p = strtok(NULL, "/")) {
			size_t n = strlen(p);

			if ((n > 8 && strcmp(p + n - 8, ".service") == 0) ||
			    (n > 6 && strcmp(p + n - 6, ".scope") == 0))
				last = p;
		}
		if (last) {
			free(unit);
			unit = strdup(last);
			if (cg == buf + 3)
				break; /* the unified hierarchy's answer is final */
		}
	}
	fclose(f);
	if (unit)
		text_sanitize(unit);
	return unit;
}

/* One journal field into *slot (NULL when out of memory). */
static bool field(char **slot, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool field(char **slot, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(slot, fmt, ap);
	va_end(ap);
	if (k < 0)
		*slot = NULL;
	return k >= 0;
}

#define AUDIT_FIELDS 14

void handler_audit_sign(struct handler_conn *c, const struct handler_audit *a, int result)
{
	_cleanup_free_ char *unit = peer_unit(c->peer.pid), *comment = NULL, *msg = NULL,
			    *user = NULL, *exe = NULL;
	char *fields[AUDIT_FIELDS] = { 0 };
	struct iovec iov[AUDIT_FIELDS];
	const char *res = result < 0 ? ta_strerror(result) : "ok";
	bool journal;
	size_t n = 0;
	bool ok;
	int k;

	comment = strdup(a->comment ? a->comment : "");
	user = a->ssh_user ? strdup(a->ssh_user) : NULL;
	/* The peer names its own executable: a path with a line break or
	 * an escape sequence in it goes to the journal as it does to
	 * stderr, one line of plain text. */
	exe = strdup(handler_peer_exe(c));
	if (!comment || (a->ssh_user && !user) || !exe)
		return;
	text_sanitize(exe);
	text_sanitize(comment);
	if (user)
		text_sanitize(user);
	k = asprintf(&msg, "audit: %s %s (%s) for pid %d uid %u exe %s unit %s%s%s%s%s: %s",
		     result < 0 ? "refused to sign with" : "signed with", a->key_fp, comment,
		     (int)c->peer.pid, (unsigned)c->peer.uid, exe, unit ? unit : "-",
		     user ? " ssh login of " : "", user ? user : "",
		     a->hostkey_fp ? " to host key " : "", a->hostkey_fp ? a->hostkey_fp : "", res);
	if (k < 0) {
		msg = NULL;
		return;
	}
	journal = stderr_is_journal() || log_to_journal();
	if (!journal) {
		log_info("%s", msg);
		return;
	}
	ok = field(&fields[n++], "MESSAGE=ssh-tpm-agent: %s", msg) &&
	     field(&fields[n++], "PRIORITY=%d", result < 0 ? 5 : 6) &&
	     field(&fields[n++], "SYSLOG_IDENTIFIER=ssh-tpm-agent") &&
	     field(&fields[n++], "SSH_TPM_KEY_FP=%s", a->key_fp) &&
	     field(&fields[n++], "SSH_TPM_KEY_COMMENT=%s", comment) &&
	     field(&fields[n++], "SSH_TPM_PEER_PID=%d", (int)c->peer.pid) &&
	     field(&fields[n++], "SSH_TPM_PEER_UID=%u", (unsigned)c->peer.uid) &&
	     field(&fields[n++], "SSH_TPM_PEER_EXE=%s", exe) &&
	     field(&fields[n++], "SSH_TPM_PEER_UNIT=%s", unit ? unit : "") &&
	     field(&fields[n++], "SSH_TPM_RESULT=%s", res) &&
	     (!user || field(&fields[n++], "SSH_TPM_SSH_USER=%s", user)) &&
	     (!a->hostkey_fp || field(&fields[n++], "SSH_TPM_SSH_HOSTKEY_FP=%s", a->hostkey_fp));
	for (size_t i = 0; i < n; i++) {
		iov[i].iov_base = fields[i];
		iov[i].iov_len = fields[i] ? strlen(fields[i]) : 0;
	}
	if (!ok || log_journal_sendv(iov, (int)n) < 0)
		log_info("%s", msg); /* the journal refused it: stderr or syslog has it */
	for (size_t i = 0; i < n; i++)
		free(fields[i]);
}
