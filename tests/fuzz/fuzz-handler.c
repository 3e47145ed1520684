/* SPDX-License-Identifier: MIT */
/* fuzz-handler.c - libFuzzer target, with a key dir holding real TSS2 keys
 * (from tests/data) and no reachable TPM: the input as one agent request
 * through handler_process_message (the reply must be a single FAILURE byte
 * or a well-formed answer), and the same bytes as a connection's stream
 * through handler_serve (framing, then dispatch, frame by frame).  Nothing
 * may crash or leak. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "handler.h"
#include "log.h"
#include "agent.h"

static char keydir[64];
static struct handler_config cfg;
static int devnull = -1;

static void remove_keydir(void)
{
	char cmd[128];

	/* The keyring of added identities too (ADD_IDENTITY inputs). */
	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s'; kr=$(keyctl search @u keyring '%s' 2>/dev/null) && keyctl unlink $kr @u >/dev/null",
		 keydir, getenv("SSH_TPM_AGENT_KEYRING"));
	if (system(cmd) != 0) {
		/* nothing more to do at exit */
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *fallbacks[] = { "/nonexistent/fuzz-fallback.sock" };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *src = getenv("TEST_DATA_DIR");
	char cmd[512];

	(void)argc;
	(void)argv;
	/* run.sh passes -close_fd_mask=2: the log line of every bad request
	 * would drown the fuzzer's own output. */
	log_setup("fuzz-handler", LOG_LEVEL_ERROR);
	setenv("TSS2_LOG", "all+NONE", 1);
	/* Added identities go to a keyring of the fuzzer's own, never the
	 * user's (a REMOVE_ALL input would empty it). */
	snprintf(cmd, sizeof(cmd), "fuzz-handler-%d", (int)getpid());
	setenv("SSH_TPM_AGENT_KEYRING", cmd, 1);
	snprintf(keydir, sizeof(keydir), "/tmp/fuzz-handler-XXXXXX");
	if (!mkdtemp(keydir))
		abort();
	if (!src)
		src = "tests/data";
	/* 0600, as keygen writes them: the agent refuses key files others
	 * can read or write. */
	snprintf(cmd, sizeof(cmd),
		 "cp '%s'/ecdsa256.* '%s'/rsa2048.* '%s'/ && chmod 600 '%s'/*.tpm",
		 src, src, keydir, keydir);
	if (system(cmd) != 0)
		abort();
	atexit(remove_keydir);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		abort();
	cfg.key_dir = keydir;
	cfg.tpm.tcti = "swtpm:path=/nonexistent/fuzz.sock";
	cfg.cache = CACHE_NONE;
	/* A fallback agent that is never there: what we do not hold takes
	 * the pass-through path, and finds nobody. */
	cfg.fallbacks = fallbacks;
	cfg.n_fallbacks = 1;
	return 0;
}

/* LOCK and UNLOCK cost a slow password hash, and failed unlocks wait
 * longer each time (msg-lock.c): they are left out, or the fuzzer would
 * mostly sleep. */
static bool is_lock_type(uint8_t t)
{
	return t == SSH_AGENTC_LOCK || t == SSH_AGENTC_UNLOCK;
}

static bool has_lock_frame(const uint8_t *data, size_t size)
{
	for (size_t off = 0; off + 5 <= size;) {
		size_t len = (size_t)data[off] << 24 | (size_t)data[off + 1] << 16 |
			     (size_t)data[off + 2] << 8 | data[off + 3];

		if (is_lock_type(data[off + 4]))
			return true;
		off += 4 + len;
	}
	return false;
}

/* The bytes as what a client sent on its connection, then EOF.  At most
 * four frames (each one is a whole request: more only repeat the
 * dispatch path at the cost of fuzzing speed). */
static void serve_stream(const uint8_t *data, size_t size)
{
	struct handler_conn c;
	size_t off = 0;
	int fd, r;

	for (int n = 0; n < 4 && off + 4 <= size; n++)
		off += 4 + ((size_t)data[off] << 24 | (size_t)data[off + 1] << 16 |
			    (size_t)data[off + 2] << 8 | data[off + 3]);
	if (off < size)
		size = off;
	if (has_lock_frame(data, size))
		return;

	/* Made only now: an input skipped above would leak it. */
	fd = memfd_create("fuzz-stream", MFD_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	handler_conn_init(&c, &cfg, -1);
	r = handler_serve(&c, fd, devnull);
	handler_conn_done(&c);
	/* 0 at a clean EOF, else a framing error code: never positive. */
	if (r > 0)
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct handler_conn conn;
	struct buf *req, *resp;
	uint8_t type;

	if (size > AGENT_MAX_LEN || (size > 0 && is_lock_type(data[0])))
		return 0;
	req = buf_from(data, size);
	resp = buf_new(AGENT_MAX_LEN);
	if (!req || !resp)
		abort();
	handler_conn_init(&conn, &cfg, -1);
	handler_process_message(&conn, req, resp);
	handler_conn_done(&conn);
	/* Exactly one reply, of a type the request may get. */
	if (buf_len(resp) == 0 || buf_get_u8(resp, &type) < 0)
		abort();
	if (type != SSH_AGENT_FAILURE && type != SSH_AGENT_SUCCESS &&
	    type != SSH_AGENT_IDENTITIES_ANSWER && type != SSH_AGENT_SIGN_RESPONSE &&
	    type != SSH_AGENT_EXTENSION_FAILURE && type != SSH_AGENT_EXTENSION_RESPONSE)
		abort();
	if ((type == SSH_AGENT_FAILURE || type == SSH_AGENT_SUCCESS ||
	     type == SSH_AGENT_EXTENSION_FAILURE) && buf_len(resp) != 0)
		abort();
	buf_free(req);
	buf_free(resp);
	serve_stream(data, size);
	return 0;
}
