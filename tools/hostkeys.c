/* SPDX-License-Identifier: MIT */
/* hostkeys.c - see hostkeys.h. */
#include "hostkeys.h"

#include <stdio.h>
#include <stdlib.h>

#include "err.h"

const struct hostkey_type hostkey_types[] = {
	{ "ecdsa", "ECDSA", SSHKEY_ECDSA_P256, 256 },
	{ "rsa", "RSA", SSHKEY_RSA, 2048 },
};
const unsigned hostkey_types_n = sizeof(hostkey_types) / sizeof(hostkey_types[0]);

const char *const sshd_default_keys[] = {
	"ssh_host_rsa_key",
	"ssh_host_ecdsa_key",
	"ssh_host_ed25519_key",
};
const unsigned sshd_default_keys_n = sizeof(sshd_default_keys) / sizeof(sshd_default_keys[0]);

int hostkey_dir(const char *prefix, char **ret)
{
	if (asprintf(ret, "%s%s", prefix ? prefix : "", HOSTKEY_DIR) < 0)
		return TA_ERR_NOMEM;
	return 0;
}
