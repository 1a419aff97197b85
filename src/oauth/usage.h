/* SPDX-License-Identifier: MIT */
/* Batches the writes that requests would otherwise make: an access's last_used_at, and the
 * auth.failed audit events aggregated per (account, client id, minute), written only for
 * accounts that exist. Requests only touch memory; a background thread calls usage_flush() about
 * once a second. */
#ifndef RCAUTH_USAGE_H
#define RCAUTH_USAGE_H

#include <stdint.h>

#include "common/rc.h"
#include "store/store.h"

struct usage_recorder;

struct usage_recorder *usage_new(void);
/* Frees without flushing; NULL is a no-op. */
void usage_free(struct usage_recorder *u);
void usage_note_used(struct usage_recorder *u, const char *client_id, int64_t at);
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
