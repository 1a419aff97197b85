/* SPDX-License-Identifier: MIT */
/* Access cache: STRIPES hash tables, each under its own mutex, with chained buckets (doubled
 * as the stripe fills), a least-recently-used list, and its share of the capacity; a full
 * stripe drops its oldest entries, one at a time. An entry and its strings are one block.
 * Invalidation bumps a generation before it empties the stripes, so a store read that
 * started before an invalidation never re-inserts a stale row. */
#include "oauth/access_cache.h"
#include "common/ids.h"
#include "common/metrics.h"
#include "common/xmalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64        /* a power of two: contention between worker threads is rare */
#define FIRST_BUCKETS 256 /* per stripe, a power of two; doubled past one entry a bucket */

struct lru_link {
    struct lru_link *newer, *older;
};

struct node {
    struct cached_access a;
    struct node *chain;   /* next in the bucket */
    struct lru_link link; /* the stripe's LRU list, circular through its head */
    uint32_t hash;
    int refs; /* atomic: the cache's own reference and the readers' */
};

struct stripe {
    pthread_mutex_t lock;
    struct node **buckets;
    size_t mask;         /* buckets - 1 */
    struct lru_link lru; /* head: lru.older is the newest entry, lru.newer the oldest */
    size_t n;
} __attribute__((aligned(64)));

struct access_cache {
    struct store *st;
    size_t max_per_stripe;
    uint64_t generation; /* atomic: bumped by every invalidation */
    struct stripe stripes[STRIPES];
};

static struct node *node_of(struct cached_access *a)
{
    return (struct node *)(void *)((char *)a - offsetof(struct node, a));
}

static struct node *node_of_link(struct lru_link *l)
{
    return (struct node *)(void *)((char *)l - offsetof(struct node, link));
}

struct access_cache *access_cache_new(struct store *st, size_t capacity)
{
    struct access_cache *c = xcalloc(1, sizeof(*c));
    c->st = st;
    c->max_per_stripe = capacity / STRIPES ? capacity / STRIPES : 1;
    for (int i = 0; i < STRIPES; i++) {
        struct stripe *s = &c->stripes[i];
        pthread_mutex_init(&s->lock, NULL);
        s->buckets = xcalloc(FIRST_BUCKETS, sizeof(*s->buckets));
        s->mask = FIRST_BUCKETS - 1;
        s->lru.newer = s->lru.older = &s->lru;
    }
    return c;
}

void access_cache_put(struct access_cache *c, struct cached_access *a)
{
    (void)c;
    if (a && __atomic_sub_fetch(&node_of(a)->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(node_of(a));
}

/* ---- entries from rows --------------------------------------------------------------- */

/* The items of a space-separated list, one at a time: *len is 0 past the last. */
static const char *next_item(const char *s, size_t *len)
{
    s += strspn(s, " ");
    *len = strcspn(s, " ");
    return s;
}

/* One block: the node, its name, its table of environments and their ids. */
static struct node *node_from_row(const struct store_access *row, uint32_t h)
{
    const char *envs = row->environments ? row->environments : "";
    size_t name_len = strlen(row->name), nenvs = 0, env_bytes = 0, len;
    for (const char *p = next_item(envs, &len); len; p = next_item(p + len, &len)) {
        nenvs++;
        env_bytes += len + 1;
    }
    struct node *n = xcalloc(1, sizeof(*n) + nenvs * sizeof(char *) + name_len + 1 + env_bytes);
    struct cached_access *a = &n->a;
    char **table = (char **)(void *)(n + 1);
    char *text = (char *)(table + nenvs);
    memcpy(a->client_id, row->client_id, sizeof(a->client_id));
    memcpy(a->account_id, row->account_id, sizeof(a->account_id));
    memcpy(text, row->name, name_len + 1);
    a->name = text;
    text += name_len + 1;
    a->envs = nenvs ? table : NULL;
    for (const char *p = next_item(envs, &len); len; p = next_item(p + len, &len)) {
        memcpy(text, p, len);
        a->envs[a->nenvs++] = text;
        text += len + 1;
    }
    memcpy(a->secret_hash, row->secret_hash, sizeof(a->secret_hash));
    a->revoked_at = row->revoked_at;
    /* Stored actions are catalog names; one the catalog no longer has grants nothing. */
    const char *acts = row->actions ? row->actions : "";
    for (const char *p = next_item(acts, &len); len; p = next_item(p + len, &len)) {
        int i = catalog_find(p, len);
        if (i >= 0)
            action_set_add(&a->actions, i);
    }
    n->hash = h;
    n->refs = 1; /* the caller's */
    return n;
}

/* ---- under a stripe's lock ----------------------------------------------------------- */

static struct node **bucket_of(struct stripe *s, uint32_t h)
{
    return &s->buckets[(h / STRIPES) & s->mask];
}

static struct node *find(struct stripe *s, uint32_t h, const char *client_id)
{
    for (struct node *n = *bucket_of(s, h); n; n = n->chain)
        if (n->hash == h && !strcmp(n->a.client_id, client_id))
            return n;
    return NULL;
}

static void lru_unlink(struct lru_link *l)
{
    l->newer->older = l->older;
    l->older->newer = l->newer;
}

static void lru_push_newest(struct stripe *s, struct lru_link *l)
{
    l->older = s->lru.older;
    l->newer = &s->lru;
    s->lru.older->newer = l;
    s->lru.older = l;
}

/* Out of the stripe; the cache's reference goes onto *gone (chained through chain), to be
 * released once the lock is let go. */
static void detach(struct stripe *s, struct node *n, struct node **gone)
{
    struct node **p = bucket_of(s, n->hash);
    while (*p != n)
        p = &(*p)->chain;
    *p = n->chain;
    lru_unlink(&n->link);
    s->n--;
    n->chain = *gone;
    *gone = n;
}

/* Twice the buckets, when the stripe holds more entries than buckets. */
static void grow(struct stripe *s)
{
    size_t size = (s->mask + 1) * 2;
    struct node **old = s->buckets, **fresh = xcalloc(size, sizeof(*fresh));
    size_t old_size = s->mask + 1;
    s->buckets = fresh;
    s->mask = size - 1;
    for (size_t i = 0; i < old_size; i++) {
        for (struct node *n = old[i], *next; n; n = next) {
            next = n->chain;
            struct node **b = bucket_of(s, n->hash);
            n->chain = *b;
            *b = n;
        }
    }
    free(old);
}

/* Add n (its cache reference taken here), replacing an entry of the same id. */
static void insert(struct access_cache *c, struct stripe *s, struct node *n, struct node **gone)
{
    struct node *old = find(s, n->hash, n->a.client_id);
    if (old)
        detach(s, old, gone);
    __atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
    struct node **b = bucket_of(s, n->hash);
    n->chain = *b;
    *b = n;
    lru_push_newest(s, &n->link);
    s->n++;
    while (s->n > c->max_per_stripe)
        detach(s, node_of_link(s->lru.newer), gone);
    if (s->n > s->mask + 1)
        grow(s);
}

static void release_all(struct node *gone)
{
    while (gone) {
        struct node *next = gone->chain;
        access_cache_put(NULL, &gone->a);
        gone = next;
    }
}

/* ---- the interface -------------------------------------------------------------------- */

/* Empty one stripe; what was in it goes onto *gone. */
static void clear(struct stripe *s, struct node **gone)
{
    pthread_mutex_lock(&s->lock);
    while (s->lru.newer != &s->lru)
        detach(s, node_of_link(s->lru.newer), gone);
    pthread_mutex_unlock(&s->lock);
}

void access_cache_free(struct access_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < STRIPES; i++) {
        struct node *gone = NULL;
        clear(&c->stripes[i], &gone);
        release_all(gone);
        free(c->stripes[i].buckets);
        pthread_mutex_destroy(&c->stripes[i].lock);
    }
    free(c);
}

void access_cache_invalidate(struct access_cache *c)
{
    /* first the generation: a read of the store begun before this cannot insert after */
    __atomic_add_fetch(&c->generation, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < STRIPES; i++) {
        struct node *gone = NULL;
        clear(&c->stripes[i], &gone);
        release_all(gone);
    }
}

int access_cache_get(struct access_cache *c, const char *client_id, bool fresh,
                     struct cached_access **out)
{
    uint32_t h = id_hash(client_id); /* only ids found in the store are kept */
    struct stripe *s = &c->stripes[h % STRIPES];
    if (!fresh) {
        pthread_mutex_lock(&s->lock);
        struct node *n = find(s, h, client_id);
        if (n) {
            lru_unlink(&n->link);
            lru_push_newest(s, &n->link);
            __atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
        }
        pthread_mutex_unlock(&s->lock);
        if (n) {
            *out = &n->a;
            metrics_inc(METRIC_ACCESS_CACHE_HITS);
            return 0;
        }
    }
    metrics_inc(METRIC_ACCESS_CACHE_MISSES);

    uint64_t gen = __atomic_load_n(&c->generation, __ATOMIC_SEQ_CST);
    struct store_access row = {0};
    int rc = c->st->ops->access_get(c->st, client_id, &row);
    if (rc)
        return rc;
    struct node *n = node_from_row(&row, h), *gone = NULL;
    store_access_cleanup(&row);

    pthread_mutex_lock(&s->lock);
    if (__atomic_load_n(&c->generation, __ATOMIC_SEQ_CST) == gen)
        insert(c, s, n, &gone);
    pthread_mutex_unlock(&s->lock);
    release_all(gone);
    *out = &n->a;
    return 0;
}

size_t access_cache_count(struct access_cache *c)
{
    size_t total = 0;
    for (int i = 0; i < STRIPES; i++) {
        pthread_mutex_lock(&c->stripes[i].lock);
        total += c->stripes[i].n;
        pthread_mutex_unlock(&c->stripes[i].lock);
    }
    return total;
}

bool cached_access_has_env(const struct cached_access *a, const char *env_id)
{
    if (a->nenvs == 0)
        return true;
    for (int i = 0; i < a->nenvs; i++)
        if (!strcmp(a->envs[i], env_id))
            return true;
    return false;
}
