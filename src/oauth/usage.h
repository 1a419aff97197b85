/* SPDX-License-Identifier: MIT */
/* Batches the writes that requests would otherwise make: an access's last_used_at, and the
 * auth.failed audit events aggregated per (account, client id, minute), written only for
 * accounts that exist. Requests only touch memory; a background thread calls usage_flush() about
 * once a second. last_used_at is written at most once per USAGE_INTERVAL per access and
 * process: with many accesses in use, one store write per access and second would be more
 * than the store can take (it is a transaction each). */
#ifndef RCAUTH_USAGE_H
#define RCAUTH_USAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/rc.h"
#include "store/store.h"

#define USAGE_INTERVAL 60 /* seconds: last_used_at may be this much older than the last use */

struct usage_recorder;

struct usage_recorder *usage_new(void);
/* Frees without flushing; NULL is a no-op. */
void usage_free(struct usage_recorder *u);
/* The access was used at time at. true when that is recorded, or was less than
 * USAGE_INTERVAL ago; false when it could not be kept (too many accesses this second): then
 * note it again at its next use. */
bool usage_note_used(struct usage_recorder *u, const char *client_id, int64_t at);
/* A failed client authentication at an account's token endpoint. client_id is "" when the
 * id is not an access of that account. */
void usage_note_failure(struct usage_recorder *u, const char *account_id, const char *client_id,
                        int64_t at);
/* A failed authentication refused with 429 (auth.throttled, aggregated the same way). */
void usage_note_throttled(struct usage_recorder *u, const char *account_id, const char *client_id,
                          int64_t at);
/* Write what was noted since the last flush; what cannot be written is dropped and logged. */
int usage_flush(struct usage_recorder *u, struct store *st);

#endif
