/* SPDX-License-Identifier: MIT */
/* Identifiers and secrets: xid-style ids, UUID v4, random hex secrets, hex coding.
 * All randomness comes from libsodium (sodium_init() must have run). */
#ifndef RCAUTH_IDS_H
#define RCAUTH_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rc.h"

#define ID_XID_LEN 20    /* [0-9a-v]{20} */
#define ID_UUID_LEN 36   /* 8-4-4-4-12 lowercase hex */
#define ID_SECRET_LEN 64 /* 256 random bits as lowercase hex */

/* A new xid-style id (time-ordered, 20 chars of [0-9a-v]) into out[ID_XID_LEN + 1]. */
void id_xid_new(char *out);
/* A new random UUID v4 into out[ID_UUID_LEN + 1]. */
void id_uuid_new(char *out);
/* A new secret of 256 random bits as 64 lowercase hex chars into out[ID_SECRET_LEN + 1]. */
void id_secret_new(char *out);

/* true when s is a UUID (any version, lowercase or uppercase hex, 36 chars). */
bool id_is_uuid(const char *s);
/* true when s is 1–64 chars of [A-Za-z0-9_-] (account and environment ids). */
bool id_is_valid_name_id(const char *s);

/* FNV-1a of an id, for in-memory tables indexed by ids that the store or the server made
 * (not for keys an attacker chooses freely). */
uint32_t id_hash(const char *id);

/* Lowercase hex of len bytes into out[2 * len + 1]. */
void hex_encode(const uint8_t *in, size_t len, char *out);
/* Decode exactly 2 * len hex chars of in into out; RC_EINVAL on a bad char or length. */
int hex_decode(const char *in, uint8_t *out, size_t len) RC_MUST_CHECK;

#endif
