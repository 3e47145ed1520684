/* SPDX-License-Identifier: MIT */
/* agent.h - the SSH agent protocol (draft-ietf-sshm-ssh-agent): message
 * numbers, flags, the frame cap and the framing.  One layer for both ends:
 * the agent (handler/) and its clients (ssh-tpm-add, fallback agents). */
#pragma once

#include <stdint.h>

#include "buf.h"

/* One frame's body, in both directions (OpenSSH's AGENT_MAX_LEN). */
#define AGENT_MAX_LEN (256U * 1024)
/* Identities in one list: OpenSSH's clients refuse a longer one whole
 * (MAX_AGENT_IDENTITIES). */
#define AGENT_MAX_IDENTITIES 2048

#define SSH_AGENT_FAILURE 5
#define SSH_AGENT_SUCCESS 6
#define SSH_AGENTC_REQUEST_IDENTITIES 11
#define SSH_AGENT_IDENTITIES_ANSWER 12
#define SSH_AGENTC_SIGN_REQUEST 13
#define SSH_AGENT_SIGN_RESPONSE 14
#define SSH_AGENTC_ADD_IDENTITY 17
#define SSH_AGENTC_REMOVE_IDENTITY 18
#define SSH_AGENTC_REMOVE_ALL_IDENTITIES 19
#define SSH_AGENTC_ADD_SMARTCARD_KEY 20
#define SSH_AGENTC_REMOVE_SMARTCARD_KEY 21
#define SSH_AGENTC_LOCK 22
#define SSH_AGENTC_UNLOCK 23
#define SSH_AGENTC_ADD_ID_CONSTRAINED 25
#define SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED 26
#define SSH_AGENTC_EXTENSION 27
#define SSH_AGENT_EXTENSION_FAILURE 28
#define SSH_AGENT_EXTENSION_RESPONSE 29

/* SIGN_REQUEST flags. */
#define SSH_AGENT_RSA_SHA2_256 0x02
#define SSH_AGENT_RSA_SHA2_512 0x04

/* Key constraints (ADD_ID_CONSTRAINED). */
#define SSH_AGENT_CONSTRAIN_LIFETIME 1
#define SSH_AGENT_CONSTRAIN_CONFIRM 2
#define SSH_AGENT_CONSTRAIN_EXTENSION 255

/* Read one frame (u32 length, then that many bytes) from fd into msg,
 * which is reset first.  The length is checked against buf_max(msg)
 * before anything is allocated for the body.  0: msg holds the body;
 * TA_ERR_EOF: the peer closed between frames; TA_ERR_INCOMPLETE: it
 * closed inside one; TA_ERR_TOO_LARGE: longer than the cap;
 * TA_ERR_FORMAT: an empty frame (it has no type: OpenSSH closes too). */
int frame_read(int fd, struct buf *msg);
/* frame_read, with the whole frame due within frame_ms of its first
 * byte (0: no bound): TA_ERR_TIMEOUT when it is late.  The wait for a
 * first byte has no bound (an idle client between requests). */
int frame_read_bounded(int fd, struct buf *msg, unsigned frame_ms);
/* Write the unread content of msg as one frame (msg is not changed). */
int frame_write(int fd, const struct buf *msg);
/* frame_write, done within frame_ms (0: no bound) when fd is a socket:
 * TA_ERR_TIMEOUT when the peer has not read enough for it by then. */
int frame_write_bounded(int fd, const struct buf *msg, unsigned frame_ms);
