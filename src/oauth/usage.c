/* SPDX-License-Identifier: MIT */
/* Usage recorder, under one mutex: the accesses used since the last flush (a hash set of
 * client ids, swapped out whole by the flusher) and when each access's use was last queued
 * (a table indexed by a hash of the client id: a collision costs one write more, never one
 * less); the failures, in bounded lists (later ones in the same second are dropped).
 * Failures naming an access of the account are kept apart from anonymous ones (an unknown
 * client id, an account that may not exist): a flood of garbage can fill only its own list,
 * never push a real client's failures out of the audit trail. */
#include "oauth/usage.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAILURES 1024
#define USED_SLOTS 16384 /* per flush, at most half full: 8,192 accesses queued a second */
#define QUEUED_SLOTS 65536
/* Accesses touched per transaction: bounds how long a flush holds SQLite's write lock. */
#define TOUCH_BATCH 1024

struct queued {
    uint32_t hash; /* the whole hash of the client id */
    int64_t at;    /* when its use was last queued for the store */
};

struct failure {
    const char *event; /* "auth.failed" or "auth.throttled" (static) */
    char account_id[STORE_ID_SIZE];
    char client_id[STORE_ID_SIZE];
    int64_t minute;
    int64_t count;
};

struct failure_list {
    struct failure v[MAX_FAILURES];
    int n;
};

struct pending {
    struct store_touch used[USED_SLOTS]; /* client id "" = free slot */
    int nused;
    struct failure_list known;     /* the client id is an access of the account */
    struct failure_list anonymous; /* client id "" */
};

struct usage_recorder {
    pthread_mutex_t lock;
    struct pending *cur;
    struct pending *spare; /* the flusher's, cleared: the next cur */
    struct queued queued[QUEUED_SLOTS];
};

struct usage_recorder *usage_new(void)
{
    struct usage_recorder *u = xcalloc(1, sizeof(*u));
    pthread_mutex_init(&u->lock, NULL);
    u->cur = xcalloc(1, sizeof(*u->cur));
    u->spare = xcalloc(1, sizeof(*u->spare));
    return u;
}

void usage_free(struct usage_recorder *u)
{
    if (!u)
        return;
    pthread_mutex_destroy(&u->lock);
    free(u->cur);
    free(u->spare);
    free(u);
}

/* The slot of client_id in the set (linear probing), or the free slot where it goes. */
static struct store_touch *used_slot(struct pending *p, const char *client_id, uint32_t h)
{
    for (size_t i = h & (USED_SLOTS - 1);; i = (i + 1) & (USED_SLOTS - 1))
        if (!p->used[i].client_id[0] || !strcmp(p->used[i].client_id, client_id))
            return &p->used[i];
}

bool usage_note_used(struct usage_recorder *u, const char *client_id, int64_t at)
{
    size_t len = strlen(client_id);
    if (len == 0 || len >= STORE_CLIENT_ID_SIZE)
        return true; /* no such access */
    uint32_t h = id_hash(client_id);
    struct queued *q = &u->queued[h & (QUEUED_SLOTS - 1)];
    bool kept = true;
    pthread_mutex_lock(&u->lock);
    if (q->hash != h || q->at == 0 || at - q->at >= USAGE_INTERVAL) {
        struct pending *p = u->cur;
        struct store_touch *slot = used_slot(p, client_id, h);
        if (slot->client_id[0]) {
            if (at > slot->at)
                slot->at = at;
        } else if (p->nused < USED_SLOTS / 2) {
            memcpy(slot->client_id, client_id, len + 1);
            slot->at = at;
            p->nused++;
        } else {
            kept = false;
        }
        if (kept) {
            q->hash = h;
            q->at = at;
        }
    }
    pthread_mutex_unlock(&u->lock);
    return kept;
}

static void note_counted(struct usage_recorder *u, const char *event, const char *account_id,
                         const char *client_id, int64_t at)
{
    int64_t minute = at - at % 60;
    pthread_mutex_lock(&u->lock);
    struct failure_list *l = *client_id ? &u->cur->known : &u->cur->anonymous;
    int i = 0;
    while (i < l->n &&
           (l->v[i].minute != minute || l->v[i].event != event ||
            strcmp(l->v[i].client_id, client_id) || strcmp(l->v[i].account_id, account_id)))
        i++;
    if (i < l->n) {
        l->v[i].count++;
    } else if (l->n < MAX_FAILURES) {
        struct failure *f = &l->v[l->n++];
        f->event = event;
        snprintf(f->account_id, sizeof(f->account_id), "%s", account_id);
        snprintf(f->client_id, sizeof(f->client_id), "%s", client_id);
        f->minute = minute;
        f->count = 1;
    }
    pthread_mutex_unlock(&u->lock);
}

void usage_note_failure(struct usage_recorder *u, const char *account_id, const char *client_id,
                        int64_t at)
{
    note_counted(u, "auth.failed", account_id, client_id, at);
}

void usage_note_throttled(struct usage_recorder *u, const char *account_id, const char *client_id,
                          int64_t at)
{
    note_counted(u, "auth.throttled", account_id, client_id, at);
}

static int flush_failures(const struct failure_list *l, struct store *st)
{
    int rc = 0;
    for (int i = 0; i < l->n; i++) {
        const struct failure *f = &l->v[i];
        struct store_audit_event e = {0};
        struct store_account acct;
        /* Failures at the path of an account that does not exist are not audited: they
         * belong to no one, and would let anyone grow the table. */
        if (st->ops->account_get(st, f->account_id, &acct))
            continue;
        memcpy(e.account_id, f->account_id, sizeof(e.account_id));
        memcpy(e.subject, f->client_id, sizeof(e.subject));
        snprintf(e.event, sizeof(e.event), "%s", f->event);
        e.at = f->minute;
        if (st->ops->audit_add_aggregated(st, &e, f->count))
            rc = RC_ESTORE;
    }
    return rc;
}

/* One flusher at a time (the serve loop, then app_free): the spare is its own. */
int usage_flush(struct usage_recorder *u, struct store *st)
{
    pthread_mutex_lock(&u->lock);
    struct pending *p = u->cur;
    u->cur = u->spare;
    pthread_mutex_unlock(&u->lock);

    int rc = 0;
    size_t n = 0; /* the set's entries, moved to its start */
    for (size_t i = 0; i < USED_SLOTS; i++) {
        if (!p->used[i].client_id[0])
            continue;
        if (i != n)
            p->used[n] = p->used[i];
        n++;
    }
    for (size_t i = 0; i < n; i += TOUCH_BATCH)
        if (st->ops->access_touch(st, p->used + i, n - i < TOUCH_BATCH ? n - i : TOUCH_BATCH))
            rc = RC_ESTORE;
    if (flush_failures(&p->known, st))
        rc = RC_ESTORE;
    if (flush_failures(&p->anonymous, st))
        rc = RC_ESTORE;
    if (rc)
        log_msg(LOG_WARN, "could not record usage", NULL);
    memset(p, 0, sizeof(*p));
    u->spare = p;
    return rc;
}
