/* SPDX-License-Identifier: MIT */
/* The revoked-token denylist: an open-addressing hash table (linear probing, power-of-two
 * size, at most half full) of fixed-size slots under a writer-preferring read-write lock.
 * Lookups copy nothing and allocate nothing; an empty list is one atomic load. Entries are
 * only ever removed by rebuilding the table (sweep), so probing needs no tombstones. */
#include "oauth/revoked_tokens.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SLOTS 64
#define PRUNE_INTERVAL 60 /* seconds between prunes of the store */

struct slot {
    int64_t exp;              /* 0 = never expires */
    char jti[STORE_JTI_SIZE]; /* "" = free slot */
};

struct revoked_tokens {
    pthread_rwlock_t lock;
    struct slot *slots; /* under lock */
    size_t mask;        /* number of slots - 1, under lock */
    int64_t count;      /* written under the write lock, read atomically anywhere */

    pthread_mutex_t sync_lock; /* one loader or pruner at a time */
    int64_t seen_seq;          /* the highest seq loaded from the store */
    int64_t last_prune;
};

/* FNV-1a: jtis are random (we sign every token that gets this far), so nobody can aim
 * lookups at one chain. */
static size_t hash(const char *s)
{
    uint64_t h = 14695981039346656037u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

static bool jti_ok(const char *jti)
{
    size_t n = strnlen(jti, STORE_JTI_SIZE);
    return n > 0 && n < STORE_JTI_SIZE;
}

struct revoked_tokens *revoked_tokens_new(void)
{
    struct revoked_tokens *t = xcalloc(1, sizeof(*t));
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* Verification takes the read lock on every request: without this, a steady stream of
     * readers can keep a revocation waiting (glibc prefers readers by default). */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&t->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_mutex_init(&t->sync_lock, NULL);
    return t;
}

void revoked_tokens_free(struct revoked_tokens *t)
{
    if (!t)
        return;
    pthread_rwlock_destroy(&t->lock);
    pthread_mutex_destroy(&t->sync_lock);
    free(t->slots);
    free(t);
}

/* The slot holding jti, or the free slot where it would go. Caller holds the lock; the
 * table has at least one free slot. */
static struct slot *probe(struct slot *slots, size_t mask, const char *jti)
{
    for (size_t i = hash(jti) & mask;; i = (i + 1) & mask) {
        if (!slots[i].jti[0] || !strcmp(slots[i].jti, jti))
            return &slots[i];
    }
}

bool revoked_tokens_has(struct revoked_tokens *t, const char *jti)
{
    if (__atomic_load_n(&t->count, __ATOMIC_ACQUIRE) == 0 || !jti_ok(jti))
        return false;
    pthread_rwlock_rdlock(&t->lock);
    bool found = probe(t->slots, t->mask, jti)->jti[0] != '\0';
    pthread_rwlock_unlock(&t->lock);
    return found;
}

/* Move the entries that are still live at now (all when now is 0) into a new table of
 * nslots slots. Caller holds the write lock. */
static void rebuild(struct revoked_tokens *t, size_t nslots, int64_t now)
{
    struct slot *fresh = xcalloc(nslots, sizeof(*fresh));
    int64_t kept = 0;
    for (size_t i = 0; t->slots && i <= t->mask; i++) {
        const struct slot *s = &t->slots[i];
        if (!s->jti[0] || (now && s->exp && s->exp <= now))
            continue;
        *probe(fresh, nslots - 1, s->jti) = *s;
        kept++;
    }
    free(t->slots);
    t->slots = fresh;
    t->mask = nslots - 1;
    __atomic_store_n(&t->count, kept, __ATOMIC_RELEASE);
}

/* Slots for n entries at most half full. */
static size_t slots_for(int64_t n)
{
    size_t size = MIN_SLOTS;
    while ((int64_t)size < 2 * (n + 1))
        size *= 2;
    return size;
}

int revoked_tokens_add(struct revoked_tokens *t, const char *jti, int64_t exp)
{
    if (!jti_ok(jti))
        return RC_EINVAL;
    pthread_rwlock_wrlock(&t->lock);
    if (!t->slots || (size_t)(2 * (t->count + 1)) > t->mask + 1)
        rebuild(t, slots_for(t->count + 1), 0);
    struct slot *s = probe(t->slots, t->mask, jti);
    if (!s->jti[0]) {
        memcpy(s->jti, jti, strlen(jti) + 1);
        s->exp = exp;
        __atomic_store_n(&t->count, t->count + 1, __ATOMIC_RELEASE);
    }
    pthread_rwlock_unlock(&t->lock);
    return 0;
}

int64_t revoked_tokens_count(struct revoked_tokens *t)
{
    return __atomic_load_n(&t->count, __ATOMIC_ACQUIRE);
}

struct loading {
    struct revoked_tokens *t;
    int64_t now;
    int64_t seq;
};

static int load_row(void *ctx, const struct store_revoked_token *row)
{
    struct loading *l = ctx;
    l->seq = row->seq;
    bool live = !row->exp || row->exp > l->now;
    if (live && revoked_tokens_add(l->t, row->jti, row->exp))
        log_msg(LOG_WARN, "revoked token row skipped: bad jti", NULL);
    return 0;
}

int revoked_tokens_sync(struct revoked_tokens *t, struct store *st, int64_t now)
{
    pthread_mutex_lock(&t->sync_lock);
    struct loading l = {.t = t, .now = now, .seq = t->seen_seq};
    int rc = st->ops->revoked_token_list(st, t->seen_seq, load_row, &l);
    /* Rows loaded before a failure are in; the next call starts after them. */
    t->seen_seq = l.seq;
    pthread_mutex_unlock(&t->sync_lock);
    return rc;
}

/* true when some entry has expired by now. */
static bool has_expired(struct revoked_tokens *t, int64_t now)
{
    bool any = false;
    pthread_rwlock_rdlock(&t->lock);
    for (size_t i = 0; t->slots && i <= t->mask && !any; i++)
        any = t->slots[i].jti[0] && t->slots[i].exp && t->slots[i].exp <= now;
    pthread_rwlock_unlock(&t->lock);
    return any;
}

void revoked_tokens_prune(struct revoked_tokens *t, struct store *st, int64_t now)
{
    pthread_mutex_lock(&t->sync_lock);
    if (now - t->last_prune >= PRUNE_INTERVAL) {
        t->last_prune = now;
        if (has_expired(t, now)) {
            pthread_rwlock_wrlock(&t->lock);
            rebuild(t, slots_for(t->count), now);
            pthread_rwlock_unlock(&t->lock);
        }
        int rc = st->ops->revoked_token_prune(st, now, NULL);
        if (rc)
            log_msg(LOG_WARN, "could not prune revoked tokens", "error", rc_strerror(rc), NULL);
    }
    pthread_mutex_unlock(&t->sync_lock);
}
