/* SPDX-License-Identifier: MIT */
/* fault-shim.c - LD_PRELOAD library for tests that need a process to die
 * (or be interrupted) at exactly the worst moment.
 *
 *   FAULT_AT=Esys_Create|Esys_Sign|Esys_ObjectChangeAuth|Esys_PolicyPCR|
 *            Esys_StartAuthSession|fsync|rename|open
 *                        the call to hit (rename: rename and renameat)
 *   FAULT_SIGNAL=9                                     signal raised after it
 *   FAULT_NTH=1                                        which call (1 = first)
 *   FAULT_PATH=SUFFIX    open: only opens of paths ending in SUFFIX count
 *   FAULT_ACTION=rename  open: instead of a signal, rename the file to
 *                        PATH.away after opening it, as another process
 *                        could at that moment
 *
 * The real call runs first; then the fault happens in the caller. */
/* Define open and open64 as themselves (not open as open64). */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_esys.h>

static int hit(const char *name)
{
	static int calls;
	const char *at = getenv("FAULT_AT");
	const char *nth = getenv("FAULT_NTH");

	if (!at || strcmp(at, name) != 0)
		return 0;
	return ++calls == (nth ? atoi(nth) : 1);
}

static void fault(void)
{
	const char *s = getenv("FAULT_SIGNAL");

	raise(s ? atoi(s) : SIGKILL);
}

/* The next definition of name (memcpy: ISO C has no cast from an object
 * pointer to a function pointer). */
#define REAL(name)                                                             \
	__extension__({                                                        \
		__typeof__(&name) _f;                                          \
		void *_p = dlsym(RTLD_NEXT, #name);                            \
		memcpy(&_f, &_p, sizeof(_f));                                  \
		_f;                                                            \
	})

TSS2_RC Esys_Create(ESYS_CONTEXT *esysContext, ESYS_TR parentHandle,
		    ESYS_TR shandle1, ESYS_TR shandle2, ESYS_TR shandle3,
		    const TPM2B_SENSITIVE_CREATE *inSensitive,
		    const TPM2B_PUBLIC *inPublic, const TPM2B_DATA *outsideInfo,
		    const TPML_PCR_SELECTION *creationPCR,
		    TPM2B_PRIVATE **outPrivate, TPM2B_PUBLIC **outPublic,
		    TPM2B_CREATION_DATA **creationData,
		    TPM2B_DIGEST **creationHash,
		    TPMT_TK_CREATION **creationTicket)
{
	TSS2_RC rc = REAL(Esys_Create)(esysContext, parentHandle, shandle1,
				       shandle2, shandle3, inSensitive,
				       inPublic, outsideInfo, creationPCR,
				       outPrivate, outPublic, creationData,
				       creationHash, creationTicket);

	if (hit("Esys_Create"))
		fault();
	return rc;
}

TSS2_RC Esys_Sign(ESYS_CONTEXT *esysContext, ESYS_TR keyHandle,
		  ESYS_TR shandle1, ESYS_TR shandle2, ESYS_TR shandle3,
		  const TPM2B_DIGEST *digest, const TPMT_SIG_SCHEME *inScheme,
		  const TPMT_TK_HASHCHECK *validation,
		  TPMT_SIGNATURE **signature)
{
	TSS2_RC rc = REAL(Esys_Sign)(esysContext, keyHandle, shandle1,
				     shandle2, shandle3, digest, inScheme,
				     validation, signature);

	if (hit("Esys_Sign"))
		fault();
	return rc;
}

int renameat(int olddirfd, const char *from, int newdirfd, const char *to)
{
	int r = REAL(renameat)(olddirfd, from, newdirfd, to);

	if (hit("rename"))
		fault();
	return r;
}

TSS2_RC Esys_ObjectChangeAuth(ESYS_CONTEXT *esysContext, ESYS_TR objectHandle,
			      ESYS_TR parentHandle, ESYS_TR shandle1,
			      ESYS_TR shandle2, ESYS_TR shandle3,
			      const TPM2B_AUTH *newAuth, TPM2B_PRIVATE **outPrivate)
{
	TSS2_RC rc = REAL(Esys_ObjectChangeAuth)(esysContext, objectHandle,
						 parentHandle, shandle1, shandle2,
						 shandle3, newAuth, outPrivate);

	if (hit("Esys_ObjectChangeAuth"))
		fault();
	return rc;
}

TSS2_RC Esys_StartAuthSession(ESYS_CONTEXT *esysContext, ESYS_TR tpmKey, ESYS_TR bind,
			      ESYS_TR shandle1, ESYS_TR shandle2, ESYS_TR shandle3,
			      const TPM2B_NONCE *nonceCaller, TPM2_SE sessionType,
			      const TPMT_SYM_DEF *symmetric, TPMI_ALG_HASH authHash,
			      ESYS_TR *sessionHandle)
{
	TSS2_RC rc = REAL(Esys_StartAuthSession)(esysContext, tpmKey, bind, shandle1, shandle2,
						 shandle3, nonceCaller, sessionType, symmetric,
						 authHash, sessionHandle);

	if (hit("Esys_StartAuthSession"))
		fault();
	return rc;
}

TSS2_RC Esys_PolicyPCR(ESYS_CONTEXT *esysContext, ESYS_TR policySession, ESYS_TR shandle1,
		       ESYS_TR shandle2, ESYS_TR shandle3, const TPM2B_DIGEST *pcrDigest,
		       const TPML_PCR_SELECTION *pcrs)
{
	TSS2_RC rc = REAL(Esys_PolicyPCR)(esysContext, policySession, shandle1, shandle2,
					  shandle3, pcrDigest, pcrs);

	if (hit("Esys_PolicyPCR"))
		fault();
	return rc;
}

int fsync(int fd)
{
	int r = REAL(fsync)(fd);

	if (hit("fsync"))
		fault();
	return r;
}

int rename(const char *from, const char *to)
{
	int r = REAL(rename)(from, to);

	if (hit("rename"))
		fault();
	return r;
}

static int open_fault(const char *path, int fd)
{
	const char *suffix = getenv("FAULT_PATH");
	const char *action = getenv("FAULT_ACTION");
	size_t n = strlen(path), m;
	char away[4096];

	if (fd < 0 || !suffix)
		return fd;
	m = strlen(suffix);
	if (n < m || strcmp(path + n - m, suffix) != 0 || !hit("open"))
		return fd;
	if (action && strcmp(action, "rename") == 0) {
		snprintf(away, sizeof(away), "%s.away", path);
		REAL(rename)(path, away);
	} else {
		fault();
	}
	return fd;
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return open_fault(path, REAL(open)(path, flags, mode));
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return open_fault(path, REAL(open64)(path, flags, mode));
}
