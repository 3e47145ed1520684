/* SPDX-License-Identifier: MIT */
/* swtpm-harness.h - a private swtpm per test: own temp state dir, own unix
 * socket, startup-clear; exports the TCTI; kills exactly that swtpm. */
#pragma once

#include <sys/types.h>

struct test_swtpm {
	char dir[256];   /* temp state dir */
	char sock[300];  /* data socket */
	char tcti[320];  /* "swtpm:path=..." */
	pid_t pid;
};

/* Start swtpm and wait until a TPM command round-trips.  Sets
 * SSH_TPM_AGENT_TCTI, TPM2TOOLS_TCTI and TPM2OPENSSL_TCTI.  Aborts the
 * test (cr_assert) on failure. */
void test_swtpm_start(struct test_swtpm *s);
/* Kill that swtpm (by PID), reap it and remove its directory. */
void test_swtpm_stop(struct test_swtpm *s);
