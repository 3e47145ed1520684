/* SPDX-License-Identifier: MIT */
/* swtpm-harness.c - start and stop a private swtpm for one test. */
#include "swtpm-harness.h"
#include "sysutil.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

static int tpm_answers(const char *tcti)
{
	TSS2_TCTI_CONTEXT *t = NULL;
	ESYS_CONTEXT *e = NULL;
	TPM2B_DIGEST *rnd = NULL;
	int ok = 0;

	if (Tss2_TctiLdr_Initialize(tcti, &t) != TSS2_RC_SUCCESS)
		return 0;
	if (Esys_Initialize(&e, t, NULL) == TSS2_RC_SUCCESS) {
		ok = Esys_GetRandom(e, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				    4, &rnd) == TSS2_RC_SUCCESS;
		Esys_Free(rnd);
		Esys_Finalize(&e);
	}
	Tss2_TctiLdr_Finalize(&t);
	return ok;
}

void test_swtpm_start(struct test_swtpm *s)
{
	char state[300], server[340], ctrl[350];
	const char *base = getenv("TMPDIR");

	memset(s, 0, sizeof(*s));
	setenv("TSS2_LOG", "all+NONE", 1);
	snprintf(s->dir, sizeof(s->dir), "%s/swtpm-test-XXXXXX",
		 base && *base ? base : "/tmp");
	cr_assert(mkdtemp(s->dir) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(s->sock, sizeof(s->sock), "%s/sock", s->dir);
	snprintf(s->tcti, sizeof(s->tcti), "swtpm:path=%s", s->sock);
	snprintf(state, sizeof(state), "dir=%s", s->dir);
	snprintf(server, sizeof(server), "type=unixio,path=%s", s->sock);
	snprintf(ctrl, sizeof(ctrl), "type=unixio,path=%s.ctrl", s->sock);

	s->pid = fork();
	cr_assert(s->pid >= 0, "fork: %s", strerror(errno));
	if (s->pid == 0) {
		/* If the test process dies before .fini, take swtpm with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (stdio_to_null(STDIO_ALL) < 0)
			_exit(127);
		execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", state,
		       "--server", server, "--ctrl", ctrl, "--flags",
		       "not-need-init,startup-clear", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		if (access(s->sock, F_OK) == 0 && tpm_answers(s->tcti))
			break;
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			cr_assert_fail("swtpm exited at start-up");
		}
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	cr_assert(tpm_answers(s->tcti), "swtpm at %s does not answer", s->sock);
	setenv("SSH_TPM_AGENT_TCTI", s->tcti, 1);
	setenv("TPM2TOOLS_TCTI", s->tcti, 1);
	setenv("TPM2OPENSSL_TCTI", s->tcti, 1);
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void test_swtpm_stop(struct test_swtpm *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	if (s->dir[0])
		nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
