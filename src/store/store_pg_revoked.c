/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend's refresh chains and revocations of single tokens (RFC 7009): the
 * rotation of a chain as a compare-and-swap that exactly one of concurrent redeemers wins,
 * in any instance; and the revoked access tokens that every process keeps in memory and
 * loads by seq, recorded in a transaction that takes the revision lock first, so that seq
 * values are handed out in commit order (store.h). */
#include "store/store_pg_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- refresh chains ------------------------------------------------------------------ */

/* The chain's generation and revoked flag; RC_ENOTFOUND when it does not exist yet. */
static int chain_read(struct store *s, const char *chain_id, int64_t *gen, bool *revoked)
{
    struct pg_params p = {0};
    PGresult *r;
    pg_text(&p, chain_id);
    int rc = store_pg_row(s, NULL, PQ_REFRESH_GET, &p, &r);
    if (rc == 0) {
        *gen = store_pg_col_int(r, 0, 0);
        *revoked = store_pg_col_bool(r, 0, 1);
    }
    PQclear(r);
    return rc;
}

/* Run a RETURNING statement; *moved when it returned a row (this caller won). */
static int chain_try(struct store *s, enum store_pg_stmt id, const struct pg_params *p, bool *moved)
{
    PGresult *r;
    int rc = store_pg_run(s, id, p, &r);
    *moved = rc == 0 && PQntuples(r) == 1;
    PQclear(r);
    return rc;
}

/* One attempt; *settled is false when the chain moved between the statements (retry). */
static int rotate_once(struct store *s, const char *chain_id, const char *client_id,
                       int64_t presented, int64_t at, enum store_refresh_result *result,
                       bool *settled)
{
    struct pg_params p = {0};
    bool moved = false;
    int rc = 0;
    *settled = true;
    *result = STORE_REFRESH_ROTATED;
    pg_text(&p, chain_id);
    if (presented == 0) { /* first redemption: the chain row does not exist yet */
        pg_text(&p, client_id);
        pg_int(&p, at);
        rc = chain_try(s, PQ_REFRESH_START, &p, &moved);
        p.n = 1;
    }
    if (rc == 0 && !moved) {
        pg_int(&p, presented);
        pg_int(&p, at);
        rc = chain_try(s, PQ_REFRESH_ADVANCE, &p, &moved);
    }
    if (rc || moved)
        return rc;
    int64_t gen = 0;
    bool revoked = false;
    rc = chain_read(s, chain_id, &gen, &revoked);
    if (rc == RC_ENOTFOUND || (rc == 0 && (revoked || presented > gen))) {
        *result = STORE_REFRESH_REVOKED; /* a generation from the future is no better */
        return 0;
    }
    if (rc == 0 && presented < gen) {
        *result = STORE_REFRESH_SPENT;
        p.n = 1;
        pg_int(&p, at);
        return store_pg_run(s, PQ_REFRESH_REVOKE, &p, NULL);
    }
    *settled = rc != 0;
    return rc;
}

int store_pg_refresh_rotate(struct store *s, const char *chain_id, const char *client_id,
                            int64_t presented_gen, int64_t at, enum store_refresh_result *result)
{
    bool settled = false;
    int rc = 0;
    /* Only a concurrent rotation between two statements sends us round again, and each
     * round some caller wins: a few rounds are plenty. */
    for (int attempt = 0; attempt < 8 && !settled; attempt++)
        rc = rotate_once(s, chain_id, client_id, presented_gen, at, result, &settled);
    return settled ? rc : RC_EUNAVAIL;
}

int store_pg_refresh_get(struct store *s, const char *chain_id, int64_t *generation, bool *revoked)
{
    *generation = 0;
    *revoked = false;
    int rc = chain_read(s, chain_id, generation, revoked);
    return rc == RC_ENOTFOUND ? 0 : rc;
}

/* Run statement id on c, then append audit when it changed a row (only the first of
 * concurrent revokers does: the others' upsert or insert changes nothing). */
static int exec_audit_if_changed(struct pg_conn *c, enum store_pg_stmt id,
                                 const struct pg_params *p, const struct store_audit_event *audit)
{
    PGresult *r;
    int rc = store_pg_exec(c, id, p, &r);
    bool changed = rc == 0 && strtoll(PQcmdTuples(r), NULL, 10) > 0;
    PQclear(r);
    return rc == 0 && changed ? store_pg_audit_insert(c, audit) : rc;
}

struct chain_revoke {
    const char *chain_id;
    const char *client_id;
    int64_t at;
    const struct store_audit_event *audit;
};

static int chain_revoke_tx(struct pg_conn *c, void *arg)
{
    const struct chain_revoke *v = arg;
    struct pg_params p = {0};
    pg_text(&p, v->chain_id);
    pg_text(&p, v->client_id);
    pg_int(&p, v->at);
    return exec_audit_if_changed(c, PQ_REFRESH_REVOKE_UPSERT, &p, v->audit);
}

/* One upsert, which changes nothing for a chain revoked before; a chain never redeemed is
 * stored revoked. */
int store_pg_refresh_revoke(struct store *s, const char *chain_id, const char *client_id,
                            int64_t at, const struct store_audit_event *audit)
{
    struct chain_revoke v = {chain_id, client_id, at, audit};
    return store_pg_write_tx(s, chain_revoke_tx, &v, false);
}

/* ---- revoked access tokens ----------------------------------------------------------- */

struct token_revoke {
    const struct store_revoked_token *t;
    const struct store_audit_event *audit;
};

static int revoked_token_insert(struct pg_conn *c, void *arg)
{
    const struct token_revoke *v = arg;
    struct pg_params p = {0};
    pg_text(&p, v->t->jti);
    pg_text(&p, v->t->client_id);
    pg_int(&p, v->t->exp);
    pg_int(&p, v->t->revoked_at);
    return exec_audit_if_changed(c, PQ_REVOKED_TOKEN_INSERT, &p, v->audit);
}

/* The revision bump comes first in the transaction (store_pg_write_tx), so the sequence
 * value is drawn under the revision row's lock, held until commit. */
int store_pg_revoked_token_record(struct store *s, const struct store_revoked_token *t,
                                  const struct store_audit_event *audit)
{
    struct token_revoke v = {t, audit};
    return store_pg_write_tx(s, revoked_token_insert, &v, true);
}

int store_pg_revoked_token_add(struct store *s, const struct store_revoked_token *t)
{
    return store_pg_revoked_token_record(s, t, NULL);
}

/* One statement, so one snapshot: no transaction needed. */
int store_pg_revoked_token_list(struct store *s, int64_t after_seq, store_revoked_token_cb cb,
                                void *ctx)
{
    struct pg_params p = {0};
    PGresult *r;
    pg_int(&p, after_seq);
    int rc = store_pg_run(s, PQ_REVOKED_TOKEN_LIST, &p, &r);
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        struct store_revoked_token t;
        memset(&t, 0, sizeof(t));
        t.seq = store_pg_col_int(r, i, 0);
        store_pg_col_text(r, i, 1, t.jti, sizeof(t.jti));
        store_pg_col_text(r, i, 2, t.client_id, sizeof(t.client_id));
        t.exp = store_pg_col_int(r, i, 3);
        t.revoked_at = store_pg_col_int(r, i, 4);
        if (cb(ctx, &t) != 0)
            break;
    }
    PQclear(r);
    return rc;
}

int store_pg_revoked_token_prune(struct store *s, int64_t now, int64_t *removed)
{
    struct pg_params p = {0};
    int64_t n = 0;
    pg_int(&p, now);
    int rc = store_pg_run_count(s, PQ_REVOKED_TOKEN_PRUNE, &p, &n);
    if (removed)
        *removed = rc == 0 ? n : 0;
    return rc;
}
