/* SPDX-License-Identifier: MIT */
/* tpm.c - the TPM context: TCTI choice, the lock for TPMs without a
 * resource manager, ESYS open/close, and the one mapping of TPM return
 * codes to enum ta_err.  Key operations are in tpm-key.c. */
#include "tpm-internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "err.h"
#include "log.h"
#include "cli.h"
#include "swtpm.h"
#include "tpm-cli.h"
#include "sysutil.h"

/* The longest wait for another process's turn with a TPM that has no
 * resource manager (an RSA key creation on a slow TPM takes a while). */
#define TPM_LOCK_TIMEOUT_MS (120 * 1000)

void tpm_esys_freep(void *p)
{
	sym_Esys_Free(*(void **)p);
}


int tpm_rc(TSS2_RC rc, const char *what, unsigned flags)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
	TSS2_RC code;
	int r = TA_ERR_TPM;

	if (rc == TSS2_RC_SUCCESS)
		return 0;
	log_debug("%s: 0x%x %s", what, rc, tss2_dl_loaded() ? sym_Tss2_RC_Decode(rc) : "");

	if (layer == TSS2_TCTI_RC_LAYER)
		return TA_ERR_TPM_UNREACHABLE;
	if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER &&
	    layer != TSS2_RESMGR_RC_LAYER) {
		/* ESYS/SYS layer: communication problems are "unreachable". */
		switch (rc & 0xffff) {
		case TSS2_BASE_RC_IO_ERROR:
		case TSS2_BASE_RC_NO_CONNECTION:
		case TSS2_BASE_RC_TRY_AGAIN:
			return TA_ERR_TPM_UNREACHABLE;
		case TSS2_BASE_RC_MEMORY:
			return TA_ERR_NOMEM;
		default:
			return flags & TPM_RC_CONNECT ? TA_ERR_TPM_UNREACHABLE : TA_ERR_TPM;
		}
	}
	rc &= ~TSS2_RC_LAYER_MASK;
	if (rc & TPM2_RC_FMT1) {
		/* Drop the parameter/handle/session number bits. */
		code = rc & (TPM2_RC_FMT1 | 0x3f);
		switch (code) {
		case TPM2_RC_AUTH_FAIL:
		case TPM2_RC_BAD_AUTH:
			/* A hierarchy's auth, not a key's: say which password. */
			return flags & TPM_RC_OWNER ? TA_ERR_TPM_OWNER_AUTH : TA_ERR_TPM_AUTH;
		case TPM2_RC_INTEGRITY:
		case TPM2_RC_SIZE:
		case TPM2_RC_VALUE:
		case TPM2_RC_ECC_POINT:
		case TPM2_RC_KEY:
			/* TPM2_Import's duplicate (3) or inSymSeed (4) that the
			 * parent cannot open; objectPublic (2) is another story. */
			if ((flags & TPM_RC_IMPORT) && (rc & TPM2_RC_P) &&
			    ((rc & TPM2_RC_N_MASK) == TPM2_RC_3 || (rc & TPM2_RC_N_MASK) == TPM2_RC_4))
				return TA_ERR_TPM_IMPORT_PARENT;
			if (code != TPM2_RC_INTEGRITY)
				return flags & TPM_RC_PARAMS ? TA_ERR_TPM_UNSUPPORTED_ALG : TA_ERR_TPM;
			/* The private blob was not made under this parent:
			 * another TPM, or this one was cleared since. */
			return TA_ERR_TPM_FOREIGN_KEY;
		case TPM2_RC_POLICY_FAIL:
			return TA_ERR_POLICY_FAILED;
		case TPM2_RC_CURVE:
		case TPM2_RC_KEY_SIZE:
		case TPM2_RC_ASYMMETRIC:
		case TPM2_RC_SCHEME:
		case TPM2_RC_HASH:
			return TA_ERR_TPM_UNSUPPORTED_ALG;
		default:
			/* TestParms answers _VALUE and friends (format-one
			 * errors of the TPM itself) for parameters it lacks. */
			return flags & TPM_RC_PARAMS ? TA_ERR_TPM_UNSUPPORTED_ALG : TA_ERR_TPM;
		}
	}
	code = rc & (TPM2_RC_VER1 | TPM2_RC_WARN | 0x7f);
	switch (code) {
	case TPM2_RC_AUTH_UNAVAILABLE:
		/* userWithAuth clear and no policy session: the key needs a
		 * policy its file does not carry. */
		r = TA_ERR_POLICY_FAILED;
		break;
	case TPM2_RC_LOCKOUT:
		r = TA_ERR_TPM_LOCKOUT;
		break;
	case TPM2_RC_OBJECT_MEMORY:
	case TPM2_RC_SESSION_MEMORY:
		/* Sessions too are left by processes that died. */
		r = TA_ERR_TPM_OBJECT_MEMORY;
		break;
	case TPM2_RC_FAILURE:
		/* libtpms answers an RSA seed it cannot decrypt (OAEP) with
		 * this, for that one command. */
		if (flags & TPM_RC_IMPORT)
			r = TA_ERR_TPM_IMPORT_PARENT;
		break;
	default:
		break;
	}
	return r;
}

int tpm_resolve_tcti(const struct tpm_opts *opts, char **ret)
{
	const char *v;

	*ret = NULL;
	if (opts && opts->tcti && *opts->tcti)
		v = opts->tcti;
	else if (opts && opts->swtpm)
		return swtpm_daemon_tcti(ret);
	else if ((v = getenv("SSH_TPM_AGENT_TCTI")) && *v)
		;
	else if ((v = getenv("SSH_TPM_AGENT_SWTPM")) && *v)
		return swtpm_daemon_tcti(ret);
	else if ((v = getenv("TPM2TOOLS_TCTI")) && *v)
		;
	else
		return 0;
	*ret = strdup(v);
	return *ret ? 0 : TA_ERR_NOMEM;
}

/* A D-Bus system bus we could reach: $DBUS_SYSTEM_BUS_ADDRESS's socket
 * (unix:path=...), else the standard one. */
static bool system_bus_present(void)
{
	const char *addr = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	_cleanup_free_ char *path = NULL;

	if (!addr || !*addr)
		return access("/run/dbus/system_bus_socket", F_OK) == 0;
	if (strncmp(addr, "unix:path=", 10) != 0)
		return true; /* another transport: let tabrmd try */
	path = strndup(addr + 10, strcspn(addr + 10, ",;"));
	return path && access(path, F_OK) == 0;
}

/* tabrmd's glib code prints CRITICAL lines on stderr when it fails (no
 * daemon, no bus): a user should see our one clear error instead, so its
 * stderr goes to /dev/null for the attempt (kept for -d). */
static TSS2_RC tcti_try_quietly(const char *conf, TSS2_TCTI_CONTEXT **ret)
{
	sigset_t all, old;
	int saved = -1, nul;
	TSS2_RC rc;

	/* glib starts threads (gdbus) that would inherit our mask: let them
	 * take no signal, so that a held signal never lands in one -- but
	 * SIGALRM: the watchdog must fire if tabrmd's bus never answers. */
	sigfillset(&all);
	sigdelset(&all, SIGALRM);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (log_get_max() < LOG_LEVEL_DEBUG) {
		fflush(stderr);
		saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
		nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (saved >= 0 && nul >= 0)
			dup2(nul, STDERR_FILENO);
		if (nul >= 0)
			close(nul);
	}
	rc = sym_Tss2_TctiLdr_Initialize(conf, ret);
	if (saved >= 0) {
		fflush(stderr);
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* No TCTI configured: the TPMs tpm2-tss's loader would try, in order --
 * but the kernel's resource manager first (as systemd does), and tabrmd
 * only where it can be, on a D-Bus system bus.  The first that opens is
 * used (and named in messages). */
static TSS2_RC tcti_initialize(struct tpm *t)
{
	static const char *const chain[] = { "device:/dev/tpmrm0", "tabrmd", "device:/dev/tpm0" };
	TSS2_RC rc = TSS2_TCTI_RC_IO_ERROR;

	if (t->tcti_conf)
		return strncmp(t->tcti_conf, "tabrmd", 6) == 0
			       ? tcti_try_quietly(t->tcti_conf, &t->tcti)
			       : sym_Tss2_TctiLdr_Initialize(t->tcti_conf, &t->tcti);
	for (size_t i = 0; i < ELEMENTSOF(chain); i++) {
		bool device = strncmp(chain[i], "device:", 7) == 0;

		if (device ? access(chain[i] + 7, F_OK) < 0 : !system_bus_present())
			continue;
		rc = device ? sym_Tss2_TctiLdr_Initialize(chain[i], &t->tcti)
			    : tcti_try_quietly(chain[i], &t->tcti);
		if (rc == TSS2_RC_SUCCESS) {
			t->tcti_conf = strdup(chain[i]);
			return t->tcti_conf ? rc : TSS2_TCTI_RC_MEMORY;
		}
		t->tcti = NULL;
		log_debug("TCTI %s: %s", chain[i], sym_Tss2_RC_Decode(rc));
	}
	return rc;
}

int tpm_describe_tcti(const struct tpm_opts *opts, char **ret)
{
	_cleanup_free_ char *dir = NULL;
	const char *v;
	int r;

	*ret = NULL;
	if (!(opts && opts->tcti && *opts->tcti) &&
	    ((opts && opts->swtpm) ||
	     (!((v = getenv("SSH_TPM_AGENT_TCTI")) && *v) &&
	      (v = getenv("SSH_TPM_AGENT_SWTPM")) && *v))) {
		r = swtpm_daemon_dir(&dir);
		if (r < 0)
			return r;
		return asprintf(ret, "swtpm:path=%s/sock", dir) < 0 ? TA_ERR_NOMEM : 0;
	}
	return tpm_resolve_tcti(opts, ret);
}

int tpm_set_auth(TPM2B_AUTH *dst, const char *pw, size_t max)
{
	size_t len = pw ? strlen(pw) : 0;

	if (len > max || len > sizeof(dst->buffer))
		return TA_ERR_AUTH_TOO_LONG;
	dst->size = (UINT16)len;
	if (len)
		memcpy(dst->buffer, pw, len);
	return 0;
}

/* A TPM without a resource manager (swtpm, /dev/tpm0) holds only a few
 * objects and is shared by every handler process: serialise its users with
 * a lock file per TPM.  The kernel's /dev/tpmrm0 and tabrmd do that job
 * themselves, so they are not locked. */
static bool tcti_has_resource_manager(const char *conf)
{
	const char *colon;
	size_t name_len;

	if (!conf)
		return access("/dev/tpmrm0", F_OK) == 0;
	colon = strchr(conf, ':');
	name_len = colon ? (size_t)(colon - conf) : strlen(conf);
	if (name_len == 6 && strncmp(conf, "tabrmd", 6) == 0)
		return true;
	/* "device:/dev/tpmrmN" (or the bare device TCTI with its default). */
	if (name_len == 6 && strncmp(conf, "device", 6) == 0)
		return !colon || strncmp(colon + 1, "/dev/tpmrm", 10) == 0;
	return false;
}

/* For "swtpm:path=SOCK": SOCK (NULL when not applicable). */
static char *swtpm_socket_path(const char *conf)
{
	const char *p = strstr(conf, "path=");

	if (strncmp(conf, "swtpm:", 6) != 0 || !p)
		return NULL;
	p += 5;
	return strndup(p, strcspn(p, ","));
}

/* SOCK.lock, shared by every user of that swtpm: a lock file that only
 * those who may use the swtpm can open (its mode is the socket's), owned
 * by the socket's owner (or root) -- never one another user planted
 * next to it.  -1 when there is no such file and we may not make it. */
static int swtpm_shared_lock(const char *conf, char **ret_path)
{
	_cleanup_free_ char *sock = swtpm_socket_path(conf), *path = NULL;
	_cleanup_close_ int fd = -1;
	struct stat sst, lst;

	*ret_path = NULL;
	if (!sock || lstat(sock, &sst) < 0 || !S_ISSOCK(sst.st_mode))
		return -1;
	if (asprintf(&path, "%s.lock", sock) < 0)
		return -1;
	/* flock needs only a descriptor: read access is enough. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT &&
	    (geteuid() == sst.st_uid || geteuid() == 0)) {
		fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
			  sst.st_mode & 0666);
		if (fd >= 0 && (fchmod(fd, sst.st_mode & 0666) < 0 ||
				(geteuid() != sst.st_uid &&
				 fchown(fd, sst.st_uid, sst.st_gid) < 0)))
			close(TAKE_FD(fd));
	}
	if (fd < 0) {
		log_debug("%s: %s; using a per-user lock", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &lst) < 0 || !S_ISREG(lst.st_mode) ||
	    (lst.st_uid != sst.st_uid && lst.st_uid != 0) ||
	    (lst.st_mode & 0777 & ~(sst.st_mode & 0666))) {
		log_warning("%s is not the swtpm's lock (owner uid %u, mode %04o; the socket's owner is uid %u): ignoring it",
			    path, (unsigned)lst.st_uid, (unsigned)(lst.st_mode & 07777),
			    (unsigned)sst.st_uid);
		return -1;
	}
	*ret_path = TAKE_PTR(path);
	return TAKE_FD(fd);
}

static int tpm_lock(struct tpm *t)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	const char *conf = t->tcti_conf ? t->tcti_conf : "default";
	uint8_t md[64];
	int r;

	t->lock_fd = -1;
	t->lock_exclusive = false;
	if (tcti_has_resource_manager(t->tcti_conf))
		return 0;
	t->lock_fd = swtpm_shared_lock(conf, &path);
	if (t->lock_fd >= 0) {
		t->lock_exclusive = true;
		goto lock;
	}
	/* Our own lock, per TCTI string.  Users of a swtpm who cannot share
	 * its lock do not wait for each other here: the swtpm TCTI takes one
	 * client at a time anyway, but objects in the TPM may then be
	 * another user's, so they are never flushed as stale.  The default
	 * and device TCTIs reach a /dev/tpm0 that the kernel lets only one
	 * process open at a time. */
	t->lock_exclusive = !t->tcti_conf || strncmp(t->tcti_conf, "device", 6) == 0;
	r = runtime_dir(&dir);
	if (r < 0) {
		log_error("no private directory for the TPM lock (see above): set XDG_RUNTIME_DIR to a directory of your own");
		return r;
	}
	r = ta_hash_digest(TA_HASH_SHA256, conf, strlen(conf), md);
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/tpm-%02x%02x%02x%02x%02x%02x%02x%02x.lock", dir,
		     md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7]) < 0)
		return TA_ERR_NOMEM;
	t->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (t->lock_fd < 0) {
		log_error("%s: %s", path, strerror(errno));
		return TA_ERR_SYSTEM;
	}
lock:
	r = flock_bounded(t->lock_fd, TPM_LOCK_TIMEOUT_MS, -1);
	if (r == TA_ERR_TIMEOUT)
		log_warning("the TPM (%s) has been in use by another process for %u s: giving up (lock %s)",
			    conf, TPM_LOCK_TIMEOUT_MS / 1000, path);
	return r;
}

/* The watchdog's message, ready before it may be needed (only
 * async-signal-safe calls in the handler). */
static char watchdog_msg[512];
static size_t watchdog_len;
/* stderr as it was when armed: it may be muted while tabrmd is tried. */
static int watchdog_fd = -1;

static void on_watchdog(int signo)
{
	(void)signo;
	if (write(watchdog_fd >= 0 ? watchdog_fd : STDERR_FILENO, watchdog_msg,
		  watchdog_len) < 0) {
		/* nothing more to do: we are leaving */
	}
	_exit(1);
}

static void watchdog_arm(struct tpm *t, unsigned secs)
{
	struct sigaction sa = { .sa_handler = on_watchdog };
	int n;

	n = snprintf(watchdog_msg, sizeof(watchdog_msg),
		     "%s: the TPM (%s) did not answer within %u s: giving up\n",
		     log_progname_get(), tpm_tcti_name(t), secs);
	watchdog_len = n > 0 && (size_t)n < sizeof(watchdog_msg) ? (size_t)n : 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, &t->old_alarm) < 0)
		return;
	if (watchdog_fd < 0)
		watchdog_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	t->watchdog = true;
	alarm(secs);
}

static void watchdog_disarm(struct tpm *t)
{
	if (!t->watchdog)
		return;
	alarm(0);
	sigaction(SIGALRM, &t->old_alarm, NULL);
	if (watchdog_fd >= 0)
		close(TAKE_FD(watchdog_fd));
	t->watchdog = false;
}

int tpm_open(const struct tpm_opts *opts, struct tpm **ret)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	TSS2_RC rc;
	int r;

	*ret = NULL;
	r = tss2_dl_load();
	if (r < 0)
		return r;
	/* tpm2-tss logs to stderr by default; keep its chatter for -d. */
	if (log_get_max() < LOG_LEVEL_DEBUG)
		setenv("TSS2_LOG", "all+NONE", 0);

	t = calloc(1, sizeof(*t));
	if (!t)
		return TA_ERR_NOMEM;
	t->lock_fd = -1;
	r = tpm_resolve_tcti(opts, &t->tcti_conf);
	if (r < 0)
		return r;
	/* The TCTI's library, mapped now, outside the lock: the loader's
	 * dlopen() under the lock is then only a reference. */
	tss2_dl_preload_tcti(t->tcti_conf);
	r = tpm_lock(t);
	if (r < 0)
		return r;
	watchdog_arm(t, opts && opts->timeout_s ? opts->timeout_s : TPM_DEFAULT_TIMEOUT);
	if (opts) {
		r = tpm_set_auth(&t->owner_auth, opts->owner_auth,
				 sizeof(t->owner_auth.buffer));
		if (r < 0)
			return r;
	}
	rc = tcti_initialize(t);
	if (rc != TSS2_RC_SUCCESS) {
		t->tcti = NULL;
		tpm_rc(rc, "Tss2_TctiLdr_Initialize", 0);
		return TA_ERR_TPM_UNREACHABLE;
	}
	rc = sym_Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		t->esys = NULL;
		return tpm_rc(rc, "Esys_Initialize", TPM_RC_CONNECT);
	}
	*ret = TAKE_PTR(t);
	return 0;
}

void tpm_close(struct tpm *t)
{
	if (!t)
		return;
	if (t->esys) {
		/* ESYS keeps a copy of the owner auth; Esys_Finalize frees it
		 * without wiping. */
		TPM2B_AUTH none = { 0 };

		if (t->owner_auth.size)
			sym_Esys_TR_SetAuth(t->esys, ESYS_TR_RH_OWNER, &none);
		sym_Esys_Finalize(&t->esys);
	}
	if (t->tcti)
		sym_Tss2_TctiLdr_Finalize(&t->tcti);
	watchdog_disarm(t);
	OPENSSL_cleanse(&t->owner_auth, sizeof(t->owner_auth));
	if (t->lock_fd >= 0)
		close(t->lock_fd); /* releases the flock */
	free(t->tcti_conf);
	free(t);
}

/* Under the lock no other handler has objects loaded, so transient objects
 * in the TPM were left by processes that died mid-operation: flush them.
 * (A program that does not take our lock -- tpm2-tools, say -- would lose
 * its objects too; on a TPM without a resource manager there is no way to
 * tell them apart, so this only happens when the TPM is full, and loudly.) */
/* Flush what the TPM holds in one handle range (transient objects or
 * loaded sessions); the number flushed. */
static unsigned flush_range(struct tpm *t, uint32_t first, const char *what)
{
	_cleanup_(tpm_esys_freep) TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	unsigned flushed = 0;

	if (sym_Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   TPM2_CAP_HANDLES, first, 64, &more, &cap) != TSS2_RC_SUCCESS)
		return 0;
	for (UINT32 i = 0; i < cap->data.handles.count; i++) {
		uint32_t handle = cap->data.handles.handle[i];
		ESYS_TR h;

		/* The loaded sessions' range answers HMAC sessions as
		 * 0x02..., policy sessions as 0x03... */
		if (((handle >> 24) != (first >> 24) &&
		     !((first >> 24) == TPM2_HT_LOADED_SESSION &&
		       (handle >> 24) == TPM2_HT_POLICY_SESSION)) ||
		    sym_Esys_TR_FromTPMPublic(t->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE,
					      ESYS_TR_NONE, &h) != TSS2_RC_SUCCESS)
			continue;
		if (sym_Esys_FlushContext(t->esys, h) == TSS2_RC_SUCCESS) {
			log_warning("TPM full: flushed stale %s 0x%08x", what, handle);
			flushed++;
		} else {
			sym_Esys_TR_Close(t->esys, &h);
		}
	}
	return flushed;
}

bool tpm_flush_stale(struct tpm *t)
{
	unsigned flushed;

	if (t->lock_fd < 0 || !t->lock_exclusive)
		return false;
	flushed = flush_range(t, 0x80000000U, "transient object");
	flushed += flush_range(t, 0x02000000U, "session");
	return flushed > 0;
}

int tpm_run(struct tpm *t, int (*op)(struct tpm *t, void *arg), void *arg)
{
	int r = op(t, arg);

	/* op released everything it loaded: what fills the TPM now was left
	 * there by processes that died (without a resource manager). */
	if (r == TA_ERR_TPM_OBJECT_MEMORY && tpm_flush_stale(t))
		r = op(t, arg);
	return r;
}

bool tpm_owner_auth_checked(const struct tpm *t)
{
	return t && t->owner_auth_checked;
}

bool tpm_needs_lock(const struct tpm *t)
{
	return t && t->lock_fd >= 0;
}

const char *tpm_tcti_name(const struct tpm *t)
{
	return t && t->tcti_conf ? t->tcti_conf : "default";
}

void tpm_obj_release(struct tpm_obj *o)
{
	if (o->h == ESYS_TR_NONE)
		return;
	if (o->transient)
		sym_Esys_FlushContext(o->t->esys, o->h);
	else
		sym_Esys_TR_Close(o->t->esys, &o->h);
	o->h = ESYS_TR_NONE;
}

void tpm_key_release(struct tpm_obj *key)
{
	TPM2B_AUTH none = { 0 };

	if (key->h != ESYS_TR_NONE)
		sym_Esys_TR_SetAuth(key->t->esys, key->h, &none);
	tpm_obj_release(key);
}

int tpm_cli_option(struct tpm_opts *o, int c, const char *arg, char **argv)
{
	switch (c) {
	case TPM_OPT_TCTI:
		o->tcti = arg;
		return 0;
	case TPM_OPT_SWTPM:
		o->swtpm = true;
		return 0;
	case TPM_OPT_TPM_TIMEOUT:
		return cli_parse_seconds("--tpm-timeout", arg, 86400, &o->timeout_s);
	default:
		log_getopt_error(c, argv);
		return -1;
	}
}

static const struct {
	const char *name, *short_name, *title;
	uint32_t handle;
} hierarchies[] = {
	{ "owner", "o", "Owner", TA_RH_OWNER },
	{ "endorsement", "e", "Endorsement", TA_RH_ENDORSEMENT },
	{ "null", "n", "Null", TA_RH_NULL },
	{ "platform", "p", "Platform", TA_RH_PLATFORM },
};

uint32_t tpm_hierarchy_from_string(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(hierarchies); i++)
		if (strcmp(s, hierarchies[i].name) == 0 || strcmp(s, hierarchies[i].short_name) == 0)
			return hierarchies[i].handle;
	return 0;
}

const char *tpm_hierarchy_title(uint32_t h)
{
	for (size_t i = 0; i < ELEMENTSOF(hierarchies); i++)
		if (hierarchies[i].handle == h)
			return hierarchies[i].title;
	return NULL;
}

int tpm_cli_hierarchy(const char *arg, uint32_t *ret)
{
	*ret = tpm_hierarchy_from_string(arg);
	if (*ret)
		return 0;
	log_error("invalid --hierarchy '%s': use owner, endorsement, null or platform (o, e, n, p)", arg);
	return -1;
}
