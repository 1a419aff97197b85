/* SPDX-License-Identifier: MIT */
/* Access cache: a chained hash table under one mutex. Invalidation bumps a generation, so a
 * store read that started before an invalidation never re-inserts a stale row. */
#include "oauth/access_cache.h"
#include "common/metrics.h"
#include "common/xmalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096
#define MAX_ENTRIES 100000

struct node {
    struct node *next;
    struct cached_access *a;
};

struct access_cache {
    struct store *st;
    pthread_mutex_t lock;
    struct node *buckets[BUCKETS];
    int entries;
    uint64_t generation;
};

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % BUCKETS;
}

struct access_cache *access_cache_new(struct store *st)
{
    struct access_cache *c = xcalloc(1, sizeof(*c));
    c->st = st;
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void entry_free(struct cached_access *a)
{
    for (int i = 0; i < a->nenvs; i++)
        free(a->envs[i]);
    free(a->envs);
    free(a);
}

static void release(struct cached_access *a)
{
    if (--a->refs == 0)
        entry_free(a);
}

/* Caller holds the lock. */
static void clear(struct access_cache *c)
{
    for (int i = 0; i < BUCKETS; i++) {
        struct node *n = c->buckets[i];
        while (n) {
            struct node *next = n->next;
            release(n->a);
            free(n);
            n = next;
        }
        c->buckets[i] = NULL;
    }
    c->entries = 0;
    c->generation++;
}

void access_cache_free(struct access_cache *c)
{
    if (!c)
        return;
    clear(c);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void access_cache_invalidate(struct access_cache *c)
{
    pthread_mutex_lock(&c->lock);
    clear(c);
    pthread_mutex_unlock(&c->lock);
}

static struct cached_access *entry_from_row(const struct store_access *row)
{
    struct cached_access *a = xcalloc(1, sizeof(*a));
    memcpy(a->client_id, row->client_id, sizeof(a->client_id));
    memcpy(a->account_id, row->account_id, sizeof(a->account_id));
    memcpy(a->name, row->name, sizeof(a->name));
    memcpy(a->secret_hash, row->secret_hash, sizeof(a->secret_hash));
    a->revoked_at = row->revoked_at;
    /* Stored actions are catalog names; one the catalog no longer has grants nothing. */
    char *acts = xstrdup(row->actions ? row->actions : "");
    for (char *save = NULL, *t = strtok_r(acts, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        int i = catalog_find(t, strlen(t));
        if (i >= 0)
            action_set_add(&a->actions, i);
    }
    free(acts);
    char *envs = xstrdup(row->environments ? row->environments : "");
    for (char *save = NULL, *t = strtok_r(envs, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        a->envs = xrealloc(a->envs, sizeof(char *) * (size_t)(a->nenvs + 1));
        a->envs[a->nenvs++] = xstrdup(t);
    }
    free(envs);
    a->refs = 1; /* the cache's own reference */
    return a;
}

/* Caller holds the lock. */
static struct node **find(struct access_cache *c, const char *client_id)
{
    struct node **p = &c->buckets[hash(client_id)];
    while (*p && strcmp((*p)->a->client_id, client_id))
        p = &(*p)->next;
    return p;
}

/* Caller holds the lock. Replaces an older entry of the same id. */
static void insert(struct access_cache *c, struct cached_access *a)
{
    struct node **p = find(c, a->client_id);
    if (*p) {
        release((*p)->a);
        (*p)->a = a;
        return;
    }
    if (c->entries >= MAX_ENTRIES)
        clear(c);
    struct node *n = xmalloc(sizeof(*n));
    n->a = a;
    n->next = c->buckets[hash(a->client_id)];
    c->buckets[hash(a->client_id)] = n;
    c->entries++;
}

int access_cache_get(struct access_cache *c, const char *client_id, bool fresh,
                     struct cached_access **out)
{
    pthread_mutex_lock(&c->lock);
    uint64_t gen = c->generation;
    struct node **p = fresh ? NULL : find(c, client_id);
    if (p && *p) {
        (*p)->a->refs++;
        *out = (*p)->a;
        pthread_mutex_unlock(&c->lock);
        metrics_inc(METRIC_ACCESS_CACHE_HITS);
        return 0;
    }
    pthread_mutex_unlock(&c->lock);
    metrics_inc(METRIC_ACCESS_CACHE_MISSES);

    struct store_access row = {0};
    int rc = c->st->ops->access_get(c->st, client_id, &row);
    if (rc)
        return rc;
    struct cached_access *a = entry_from_row(&row);
    store_access_cleanup(&row);

    pthread_mutex_lock(&c->lock);
    if (c->generation == gen) {
        a->refs++;
        insert(c, a);
    }
    pthread_mutex_unlock(&c->lock);
    *out = a;
    return 0;
}

void access_cache_put(struct access_cache *c, struct cached_access *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&c->lock);
    release(a);
    pthread_mutex_unlock(&c->lock);
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
