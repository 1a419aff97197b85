/* SPDX-License-Identifier: MIT */
/* The verified-token cache: STRIPES independent hash tables, each under its own mutex, with
 * chained buckets and a least-recently-used list. A token's SipHash-2-4 (crypto_shorthash,
 * under a key drawn at start, so that nobody can aim tokens at one chain or one stripe) picks
 * the stripe by its low bits and the bucket by the next ones; the whole token is compared on
 * every candidate. Each stripe holds its share of the entry and byte budgets, and a stripe
 * over budget drops its oldest entries, one by one: the cache never empties at once. */
#include "oauth/token_cache.h"
#include "common/xmalloc.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64 /* a power of two; contention between 2–8 worker threads is rare */

struct entry {
    struct verified_token v;
    struct entry *chain;         /* next in the bucket */
    struct entry *newer, *older; /* the stripe's LRU list, circular through its head */
    struct entry *next_evicted;  /* freed after the lock is released */
    uint64_t hash;
    size_t charge; /* bytes counted against the budget */
    int refs;      /* atomic: the cache's own reference and the readers' */
    bool cached;   /* in a stripe; under its lock */
    size_t len;
    char token[]; /* len bytes and a NUL */
};

struct stripe {
    pthread_mutex_t lock;
    struct entry **buckets;
    size_t n, bytes;
    uint64_t hits, misses;
    /* head: lru.older is the newest entry, lru.newer the oldest. Last: struct entry ends in
     * a flexible array, which clang (the fuzz build) refuses anywhere else. */
    struct entry lru;
} __attribute__((aligned(64)));

struct token_cache {
    uint8_t key[crypto_shorthash_KEYBYTES];
    size_t max_entries, max_bytes; /* per stripe */
    size_t mask;                   /* buckets per stripe - 1 */
    struct stripe stripes[STRIPES];
};

static struct entry *entry_of(struct verified_token *v)
{
    return (struct entry *)(void *)((char *)v - offsetof(struct entry, v));
}

static uint64_t token_hash(const struct token_cache *c, const char *token, size_t len)
{
    uint8_t out[crypto_shorthash_BYTES];
    uint64_t h;
    crypto_shorthash(out, (const unsigned char *)token, len, c->key);
    memcpy(&h, out, sizeof(h));
    return h;
}

static struct stripe *stripe_of(struct token_cache *c, uint64_t h)
{
    return &c->stripes[h % STRIPES];
}

static struct entry **bucket_of(struct token_cache *c, struct stripe *s, uint64_t h)
{
    return &s->buckets[(h / STRIPES) & c->mask];
}

struct token_cache *token_cache_new(size_t max_entries, size_t max_bytes)
{
    struct token_cache *c = xcalloc(1, sizeof(*c));
    size_t per = max_entries / STRIPES ? max_entries / STRIPES : 1, buckets = 1;
    while (buckets < per)
        buckets *= 2;
    randombytes_buf(c->key, sizeof(c->key));
    c->max_entries = per;
    c->max_bytes = max_bytes / STRIPES;
    c->mask = buckets - 1;
    for (int i = 0; i < STRIPES; i++) {
        struct stripe *s = &c->stripes[i];
        pthread_mutex_init(&s->lock, NULL);
        s->buckets = xcalloc(buckets, sizeof(*s->buckets));
        s->lru.newer = s->lru.older = &s->lru;
    }
    return c;
}

static void entry_free(struct entry *e)
{
    token_claims_cleanup(&e->v.claims);
    scope_cleanup(&e->v.scope);
    free(e);
}

void token_cache_put(struct verified_token *v)
{
    if (!v)
        return;
    struct entry *e = entry_of(v);
    if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0)
        entry_free(e);
}

void token_cache_free(struct token_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < STRIPES; i++) {
        struct stripe *s = &c->stripes[i];
        for (size_t b = 0; b <= c->mask; b++) {
            for (struct entry *e = s->buckets[b], *next; e; e = next) {
                next = e->chain;
                token_cache_put(&e->v);
            }
        }
        free(s->buckets);
        pthread_mutex_destroy(&s->lock);
    }
    sodium_memzero(c->key, sizeof(c->key));
    free(c);
}

/* ---- under the stripe's lock ----------------------------------------------------------- */

/* A hash match is only a candidate: the whole token must be equal. (memcmp's early exit
 * tells nothing useful: reaching it takes a token with the same keyed hash.) */
static struct entry *find(struct token_cache *c, struct stripe *s, uint64_t h, const char *token,
                          size_t len)
{
    for (struct entry *e = *bucket_of(c, s, h); e; e = e->chain)
        if (e->hash == h && e->len == len && memcmp(e->token, token, len) == 0)
            return e;
    return NULL;
}

static void lru_unlink(struct entry *e)
{
    e->newer->older = e->older;
    e->older->newer = e->newer;
}

static void lru_push_newest(struct stripe *s, struct entry *e)
{
    e->older = s->lru.older;
    e->newer = &s->lru;
    s->lru.older->newer = e;
    s->lru.older = e;
}

/* Out of the stripe; the cache's reference goes with it onto *evicted. */
static void detach(struct token_cache *c, struct stripe *s, struct entry *e, struct entry **evicted)
{
    struct entry **p = bucket_of(c, s, e->hash);
    while (*p != e)
        p = &(*p)->chain;
    *p = e->chain;
    lru_unlink(e);
    s->n--;
    s->bytes -= e->charge;
    e->cached = false;
    e->next_evicted = *evicted;
    *evicted = e;
}

static void release_all(struct entry *evicted)
{
    while (evicted) {
        struct entry *next = evicted->next_evicted;
        token_cache_put(&evicted->v);
        evicted = next;
    }
}

/* ---- lookups and changes ---------------------------------------------------------------- */

static struct verified_token *get_hashed(struct token_cache *c, uint64_t h, const char *token,
                                         size_t len)
{
    struct stripe *s = stripe_of(c, h);
    pthread_mutex_lock(&s->lock);
    struct entry *e = find(c, s, h, token, len);
    if (e) {
        lru_unlink(e);
        lru_push_newest(s, e);
        __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
        s->hits++;
    } else {
        s->misses++;
    }
    pthread_mutex_unlock(&s->lock);
    return e ? &e->v : NULL;
}

struct verified_token *token_cache_get(struct token_cache *c, const char *token, size_t len)
{
    return get_hashed(c, token_hash(c, token, len), token, len);
}

static struct verified_token *entry_new_hashed(uint64_t h, const char *token, size_t len,
                                               struct token_claims *claims)
{
    struct entry *e = xcalloc(1, sizeof(*e) + len + 1);
    e->v.claims = *claims;
    memset(claims, 0, sizeof(*claims));
    e->hash = h;
    e->refs = 1;
    e->len = len;
    memcpy(e->token, token, len);
    return &e->v;
}

struct verified_token *token_cache_entry_new(struct token_cache *c, const char *token, size_t len,
                                             struct token_claims *claims)
{
    return entry_new_hashed(token_hash(c, token, len), token, len, claims);
}

/* What an entry costs, its strings included (allocator overhead aside). */
static size_t charge_of(const struct entry *e)
{
    size_t n = sizeof(*e) + e->len + 1;
    if (e->v.claims.scope)
        n += strlen(e->v.claims.scope) + 1;
    for (int i = 0; i < e->v.scope.nenvs; i++)
        n += sizeof(char *) + strlen(e->v.scope.envs[i]) + 1;
    return n;
}

void token_cache_add(struct token_cache *c, struct verified_token *v)
{
    struct entry *e = entry_of(v), *evicted = NULL;
    struct stripe *s = stripe_of(c, e->hash);
    e->charge = charge_of(e);
    pthread_mutex_lock(&s->lock);
    if (!e->cached && !find(c, s, e->hash, e->token, e->len)) {
        struct entry **b = bucket_of(c, s, e->hash);
        e->chain = *b;
        *b = e;
        lru_push_newest(s, e);
        __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
        e->cached = true;
        s->n++;
        s->bytes += e->charge;
        while (s->n > c->max_entries || s->bytes > c->max_bytes)
            detach(c, s, s->lru.newer, &evicted);
    }
    pthread_mutex_unlock(&s->lock);
    release_all(evicted);
}

void token_cache_remove(struct token_cache *c, struct verified_token *v)
{
    struct entry *e = entry_of(v), *evicted = NULL;
    struct stripe *s = stripe_of(c, e->hash);
    pthread_mutex_lock(&s->lock);
    if (e->cached)
        detach(c, s, e, &evicted);
    pthread_mutex_unlock(&s->lock);
    release_all(evicted);
}

void token_cache_stats(struct token_cache *c, struct token_cache_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < STRIPES; i++) {
        struct stripe *s = &c->stripes[i];
        pthread_mutex_lock(&s->lock);
        out->hits += s->hits;
        out->misses += s->misses;
        out->entries += s->n;
        out->bytes += s->bytes;
        pthread_mutex_unlock(&s->lock);
    }
}
