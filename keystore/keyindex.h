/* SPDX-License-Identifier: MIT */
/* keyindex.h - what a key-dir scan found, kept in a file of the user's
 * private runtime directory with the stat of every file it read, so that
 * the next handler lists (or finds the one key it signs with) without
 * parsing every key file again.  Used while every file still stats the
 * same -- inode, size, mtime and ctime to the nanosecond, mode and owner
 * (a chmod or chown changes ctime) -- and the directory holds the same
 * key files and siblings; anything else is a scan.  Private to keydir.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "keydir.h"

struct keyidx_stat {
	bool present;
	uint64_t dev, ino, size, mtime_ns, ctime_ns;
	uint32_t mode, uid;
};

/* One NAME.tpm of the directory, with NAME.pub and NAME-cert.pub. */
struct keyidx_file {
	char *name; /* NAME.tpm */
	struct keyidx_stat tpm, pub, cert;
};

struct keyidx {
	struct keyidx_file *files; /* in directory-listing order */
	size_t n_files;
	/* The identities the scan gave, in order; kf and key NULL. */
	struct identity_list *ids;
};

void keyidx_free(struct keyidx *x);
DEFINE_CLEANUP(struct keyidx, keyidx_free)

void keyidx_stat_from(const struct stat *st, struct keyidx_stat *ret);
bool keyidx_stat_equal(const struct keyidx_stat *a, const struct keyidx_stat *b);

/* Read path (ours, a regular file, not group/other writable); the dir it
 * is for must be dir.  Any error: no index (the caller scans). */
int keyidx_read(const char *path, const char *dir, struct keyidx **ret);
/* The same keeping only the identities whose blob is blob (a lookup needs
 * no others: the rest are checked and skipped, not copied). */
int keyidx_read_for(const char *path, const char *dir, const uint8_t *blob, size_t blob_len,
		    struct keyidx **ret);
/* The index's bytes (what keyidx_read_for reads from its file), for
 * dir; want NULL: every identity. */
int keyidx_parse(const uint8_t *data, size_t len, const char *dir, const uint8_t *want,
		 size_t want_len, struct keyidx **ret);
/* The index's bytes for dir, files and ids into b (what keyidx_write
 * writes; keyidx_parse reads them back). */
int keyidx_encode(struct buf *b, const char *dir, const struct keyidx_file *files,
		  size_t n_files, const struct identity_list *ids);
/* Replace path (a temporary file in its directory, renamed over it). */
int keyidx_write(const char *path, const char *dir, const struct keyidx_file *files,
		 size_t n_files, const struct identity_list *ids);
