/* SPDX-License-Identifier: MIT */
/* keystore.h - everything about keys: one include for the modules above. */
#pragma once

#include "keydir.h"
#include "keyfile.h"
#include "pubkey.h"
#include "sshkey.h"
#include "tpm.h"
