/* SPDX-License-Identifier: MIT */
/* fixtures.h - fixture access for the keystore unit tests (fixtures.c). */
#pragma once

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keyfile.h"
#include "sshkey.h"

const char *data_dir(void);
/* Path of a fixture; aborts the test with a clear message if it is absent. */
char *fixture_path(const char *name);
/* Whole fixture file, NUL-terminated (the NUL is not counted). */
char *read_fixture(const char *name, size_t *ret_len);
struct tpm_keyfile *read_keyfile(const char *name);
/* The SSH key in <base>.pub, plus its raw blob and its comment. */
struct sshkey *read_pub(const char *base, uint8_t **ret_blob,
			size_t *ret_blob_len, char **ret_comment);
/* <base>.fp is "<bits> SHA256:<b64> <comment> (<TYPE>)". */
void read_fp(const char *base, unsigned *ret_bits, char **ret_fp);
struct cr_mem mem_of(const void *p, size_t len);
struct buf *blob_of(const struct sshkey *k);
