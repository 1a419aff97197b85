/* SPDX-License-Identifier: MIT */
/* Usage recorder: two small lists under a mutex, swapped out whole by the flusher. A burst
 * of garbage client ids is bounded by MAX_PENDING (later ones in the same second are only
 * counted, not kept). */
#include "oauth/usage.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PENDING 1024

struct used {
    char client_id[STORE_CLIENT_ID_SIZE];
    int64_t at;
};

struct failure {
    const char *event; /* "auth.failed" or "auth.throttled" (static) */
    char account_id[STORE_ID_SIZE];
    char client_id[STORE_ID_SIZE];
    int64_t minute;
    int64_t count;
};

struct pending {
    struct used used[MAX_PENDING];
    int nused;
    struct failure failures[MAX_PENDING];
    int nfailures;
};

struct usage_recorder {
    pthread_mutex_t lock;
    struct pending *cur;
};

struct usage_recorder *usage_new(void)
{
    struct usage_recorder *u = xcalloc(1, sizeof(*u));
    pthread_mutex_init(&u->lock, NULL);
    u->cur = xcalloc(1, sizeof(*u->cur));
    return u;
}

void usage_free(struct usage_recorder *u)
{
    if (!u)
        return;
    pthread_mutex_destroy(&u->lock);
    free(u->cur);
    free(u);
}

void usage_note_used(struct usage_recorder *u, const char *client_id, int64_t at)
{
    pthread_mutex_lock(&u->lock);
    struct pending *p = u->cur;
    int i = 0;
    while (i < p->nused && strcmp(p->used[i].client_id, client_id))
        i++;
    if (i < p->nused) {
        if (at > p->used[i].at)
            p->used[i].at = at;
    } else if (p->nused < MAX_PENDING) {
        snprintf(p->used[i].client_id, sizeof(p->used[i].client_id), "%s", client_id);
        p->used[i].at = at;
        p->nused++;
    }
    pthread_mutex_unlock(&u->lock);
}

static void note_counted(struct usage_recorder *u, const char *event, const char *account_id,
                         const char *client_id, int64_t at)
{
    int64_t minute = at - at % 60;
    pthread_mutex_lock(&u->lock);
    struct pending *p = u->cur;
    int i = 0;
    while (i < p->nfailures && (p->failures[i].minute != minute || p->failures[i].event != event ||
                                strcmp(p->failures[i].client_id, client_id) ||
                                strcmp(p->failures[i].account_id, account_id)))
        i++;
    if (i < p->nfailures) {
        p->failures[i].count++;
    } else if (p->nfailures < MAX_PENDING) {
        struct failure *f = &p->failures[p->nfailures++];
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

int usage_flush(struct usage_recorder *u, struct store *st)
{
    struct pending *fresh = xcalloc(1, sizeof(*fresh));
    pthread_mutex_lock(&u->lock);
    struct pending *p = u->cur;
    u->cur = fresh;
    pthread_mutex_unlock(&u->lock);

    int rc = 0;
    for (int i = 0; i < p->nused; i++)
        if (st->ops->access_touch(st, p->used[i].client_id, p->used[i].at))
            rc = RC_ESTORE;
    for (int i = 0; i < p->nfailures; i++) {
        struct store_audit_event e = {0};
        struct store_account acct;
        /* Failures at the path of an account that does not exist are not audited: they
         * belong to no one, and would let anyone grow the table. */
        if (st->ops->account_get(st, p->failures[i].account_id, &acct))
            continue;
        memcpy(e.account_id, p->failures[i].account_id, sizeof(e.account_id));
        memcpy(e.subject, p->failures[i].client_id, sizeof(e.subject));
        snprintf(e.event, sizeof(e.event), "%s", p->failures[i].event);
        e.at = p->failures[i].minute;
        if (st->ops->audit_add_aggregated(st, &e, p->failures[i].count))
            rc = RC_ESTORE;
    }
    if (rc)
        log_msg(LOG_WARN, "could not record usage", NULL);
    free(p);
    return rc;
}
