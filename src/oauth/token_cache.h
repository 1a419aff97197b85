/* SPDX-License-Identifier: MIT */
/* A cache of verified access tokens, so that a token presented again is not verified and
 * parsed again: checking an Ed25519 signature costs about 50 µs, the rest of a check well
 * under one. An entry holds the whole token and what verifying it produced (its claims, the
 * kid of the key that verified it, its parsed scope); it is found by a keyed hash of the token
 * (SipHash under a random key) and matched by comparing the whole token, byte for byte, so a
 * token that differs from a verified one in any byte never hits. Only the signature and the
 * parsing are saved: whoever uses an entry still checks everything that can change (the key
 * still published, exp, the denylist, the access) on every request — oauth_token_check().
 *
 * Fixed memory: TOKEN_CACHE_ENTRIES entries and TOKEN_CACHE_BYTES bytes at most, in stripes
 * of their own lock; a full stripe drops its least recently used entries, one at a time.
 * Entries are immutable and reference-counted, so a reader keeps its entry while another
 * thread evicts it. Thread-safe. */
#ifndef RCAUTH_TOKEN_CACHE_H
#define RCAUTH_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "oauth/scope.h"
#include "token/token.h"

#define TOKEN_CACHE_ENTRIES 65536
#define TOKEN_CACHE_BYTES (96u * 1024 * 1024)

/* What a token's verification produced. Immutable once made. */
struct verified_token {
    struct token_claims claims; /* claims.kid names the key that verified it */
    struct granted_scope scope; /* claims.scope, parsed: filled by whoever makes the entry,
                                 * before token_cache_add() */
};

struct token_cache_stats {
    uint64_t hits, misses; /* lookups since the start */
    uint64_t entries, bytes;
};

struct token_cache;

/* A cache of at most max_entries entries and max_bytes bytes (TOKEN_CACHE_ENTRIES and
 * TOKEN_CACHE_BYTES in the server). Caller frees. */
struct token_cache *token_cache_new(size_t max_entries, size_t max_bytes);
/* NULL is a no-op. Entries still referenced elsewhere live until released. */
void token_cache_free(struct token_cache *c);

/* The entry of exactly this token (len bytes), or NULL: a counted reference, released with
 * token_cache_put(). */
struct verified_token *token_cache_get(struct token_cache *c, const char *token, size_t len);
/* A new entry for token, which has just verified into claims: the claims are moved into it
 * (claims is left empty). Not in the cache yet: the caller holds the one reference. */
struct verified_token *token_cache_entry_new(struct token_cache *c, const char *token, size_t len,
                                             struct token_claims *claims);
/* Put entry v (from token_cache_entry_new, fully checked) in the cache, evicting what must
 * go; the caller keeps its reference. Nothing changes when its token is there already. */
void token_cache_add(struct token_cache *c, struct verified_token *v);
/* Take v out of the cache, when it can never be valid again (its key went, it expired). */
void token_cache_remove(struct token_cache *c, struct verified_token *v);
/* Release a reference; NULL is a no-op. */
void token_cache_put(struct verified_token *v);

void token_cache_stats(struct token_cache *c, struct token_cache_stats *out);

#endif
