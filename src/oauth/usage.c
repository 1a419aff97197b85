/* SPDX-License-Identifier: MIT */
/* Usage recorder: small lists under a mutex, swapped out whole by the flusher. Each list is
 * bounded (later entries in the same second are dropped), and failures naming an access of
 * the account are kept apart from anonymous ones (an unknown client id, an account that
 * may not exist): a flood of garbage can fill only its own list, never push a real
 * client's failures out of the audit trail. */
#include "oauth/usage.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_USED 16384 /* accesses used in one second */
#define MAX_FAILURES 1024

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

struct failure_list {
    struct failure v[MAX_FAILURES];
    int n;
};

struct pending {
    struct used used[MAX_USED];
    int nused;
    struct failure_list known;     /* the client id is an access of the account */
    struct failure_list anonymous; /* client id "" */
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
    } else if (p->nused < MAX_USED) {
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
    if (flush_failures(&p->known, st) || flush_failures(&p->anonymous, st))
        rc = RC_ESTORE;
    if (rc)
        log_msg(LOG_WARN, "could not record usage", NULL);
    free(p);
    return rc;
}
