/* keygen.h - what the parts of ssh-tpm-keygen share: the parsed
 * command line (read-only after parsing) and a few helpers. */
#pragma once

#include <stdbool.h>

#include "sysutil.h"
#include "tpm.h"

extern const char *arg_file;
extern char *arg_new_passphrase;
extern char *arg_old_passphrase;
extern bool arg_quiet;
extern struct tpm_opts arg_tpm;

/* Logs a TPM error in one line (naming the TCTI when unreachable); 1. */
int report_tpm_error(int r);
/* Ask for a passphrase twice, like ssh-keygen; three tries. */
int ask_twice(const char *first, const char *again, char **ret);

/* -p */
int do_change_passphrase(void);
