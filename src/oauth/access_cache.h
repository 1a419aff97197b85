/* SPDX-License-Identifier: MIT */
/* An in-memory cache of accesses by client id, so that issuing and verifying tokens read
 * no database row on the hot path. Entries are immutable and reference-counted: a reader
 * keeps its entry valid while the cache is invalidated or evicts it under it. At most
 * ACCESS_CACHE_CAPACITY entries (one allocation each, about 300 bytes with a short name);
 * past that the least recently used ones go, a few at a time, never the whole cache. */
#ifndef RCAUTH_ACCESS_CACHE_H
#define RCAUTH_ACCESS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oauth/catalog.h"
#include "store/store.h"

#define ACCESS_CACHE_CAPACITY (1u << 20)

struct cached_access {
    char client_id[STORE_CLIENT_ID_SIZE];
    char account_id[STORE_ID_SIZE];
    const char *name; /* in the entry's own block */
    uint8_t secret_hash[32];
    struct action_set actions;
    char **envs; /* the access's environment ids, in the entry's block; nenvs == 0: all */
    int nenvs;
    int64_t revoked_at;
    int64_t last_noted; /* when its use was last recorded; atomic, see oauth/usage.h */
};

struct access_cache;

/* A cache holding at most capacity entries (ACCESS_CACHE_CAPACITY in the server). */
struct access_cache *access_cache_new(struct store *st, size_t capacity);
void access_cache_free(struct access_cache *c);

/* The access with that client id, from memory or else from the store (then cached).
 * fresh = true skips memory and re-reads the store (after a failed secret comparison,
 * so a secret rotated by another process works at once). *out is a counted reference:
 * release it with access_cache_put(). RC_ENOTFOUND for an unknown id. */
int access_cache_get(struct access_cache *c, const char *client_id, bool fresh,
                     struct cached_access **out) RC_MUST_CHECK;
/* Release a reference (NULL is a no-op). c is unused: entries count their own readers. */
void access_cache_put(struct access_cache *c, struct cached_access *a);
/* Drop every entry (after any change to accesses). */
void access_cache_invalidate(struct access_cache *c);
/* Number of entries. */
size_t access_cache_count(struct access_cache *c);

/* true when the access may act on env_id (all environments, or listed). */
bool cached_access_has_env(const struct cached_access *a, const char *env_id);

#endif
