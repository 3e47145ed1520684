/* SPDX-License-Identifier: MIT */
/* sandbox.h - a handler under SSH_TPM_LANDLOCK. */
#pragma once

#include "handler.h"

/* With $SSH_TPM_LANDLOCK set, restrict this handler process (and the
 * askpass programs it starts) to what serving c needs: reading the key
 * dir, the libraries, /proc/self and the client's /proc/PID (its command
 * line for prompts), the TPM (tpm_landlock_allow); reading and writing
 * the runtime dir; executing only the askpass program (and its
 * interpreters).  The client's executable is looked up first: Landlock
 * hides other processes' /proc/PID/exe.  Without the variable: 0 at once.
 * A rule that cannot be added fails the connection. */
int handler_sandbox(struct handler_conn *c);
