/* SPDX-License-Identifier: MIT */
/* The denylist of single access tokens revoked by their client (RFC 7009), by jti, held in
 * memory so that every token check can consult it without SQL. The store holds the same
 * rows; each process loads them at start and then only the rows added since (by seq), when
 * the store's revision says something changed. Entries go when their token expires; a token
 * that never expires stays listed until its access is revoked (then the access check refuses
 * it, and pruning drops the row). */
#ifndef RCAUTH_REVOKED_TOKENS_H
#define RCAUTH_REVOKED_TOKENS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/rc.h"
#include "store/store.h"

struct revoked_tokens;

struct revoked_tokens *revoked_tokens_new(void);
/* NULL is a no-op. */
void revoked_tokens_free(struct revoked_tokens *t);

/* true when the token with this jti was revoked. Thread-safe; no allocation, no SQL: one
 * atomic load when the list is empty, else one hash probe under a read lock. */
bool revoked_tokens_has(struct revoked_tokens *t, const char *jti);
/* Remember jti (exp 0 = never expires) at once, before other processes hear of it. Adding
 * a jti twice keeps one entry. RC_EINVAL for an empty or oversized jti. */
int revoked_tokens_add(struct revoked_tokens *t, const char *jti, int64_t exp) RC_MUST_CHECK;
/* Number of entries. */
int64_t revoked_tokens_count(struct revoked_tokens *t);

/* Load the rows recorded in st since the last load (all of them the first time), by any
 * process; rows whose token expired by now are skipped. */
int revoked_tokens_sync(struct revoked_tokens *t, struct store *st, int64_t now) RC_MUST_CHECK;
/* At most once a minute (calls in between return at once): forget the entries whose token
 * expired by now, and prune the store's dead rows. A failure is logged; the next prune
 * retries. */
void revoked_tokens_prune(struct revoked_tokens *t, struct store *st, int64_t now);

#endif
