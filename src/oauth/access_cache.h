/* SPDX-License-Identifier: MIT */
/* An in-memory cache of accesses by client id, so that issuing and verifying tokens read
 * no database row on the hot path. Entries are immutable and reference-counted: a reader
 * keeps its entry valid while the cache is invalidated under it. */
#ifndef RCAUTH_ACCESS_CACHE_H
#define RCAUTH_ACCESS_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "oauth/catalog.h"
#include "store/store.h"

struct cached_access {
    char client_id[STORE_CLIENT_ID_SIZE];
    char account_id[STORE_ID_SIZE];
    char name[STORE_NAME_SIZE];
    uint8_t secret_hash[32];
    struct action_set actions;
    char **envs; /* the access's environment ids; nenvs == 0 means all */
    int nenvs;
    int64_t revoked_at;
    int64_t last_noted; /* last second usage was recorded; atomic, see oauth/usage.h */
    int refs;           /* guarded by the cache lock */
};

struct access_cache;

struct access_cache *access_cache_new(struct store *st);
void access_cache_free(struct access_cache *c);

/* The access with that client id, from memory or else from the store (then cached).
 * fresh = true skips memory and re-reads the store (after a failed secret comparison,
 * so a secret rotated by another process works at once). *out is a counted reference:
 * release it with access_cache_put(). RC_ENOTFOUND for an unknown id. */
int access_cache_get(struct access_cache *c, const char *client_id, bool fresh,
                     struct cached_access **out) RC_MUST_CHECK;
void access_cache_put(struct access_cache *c, struct cached_access *a);
/* Drop every entry (after any change to accesses). */
void access_cache_invalidate(struct access_cache *c);

/* true when the access may act on env_id (all environments, or listed). */
bool cached_access_has_env(const struct cached_access *a, const char *env_id);

#endif
