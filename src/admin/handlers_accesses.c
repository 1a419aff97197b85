/* SPDX-License-Identifier: MIT */
/* Admin API: the accesses of an account (SPEC §6) — create (the only answer besides
 * rotation that carries a client secret), list, preview, revoke, rotate the secret. */
#include <sodium.h>
#include <stdlib.h>

#include "admin/admin_int.h"

#define MSG_SIZE 256

/* An access as the answer, with its secret when one was just drawn (then wiped). */
static void reply_access(struct http_response *res, int status, const struct store_access *a,
                         char *secret)
{
    struct jsonw w;
    jsonw_init(&w, &res->body);
    admin_render_access(&w, a, secret);
    admin_reply_json(res, status, &w);
    if (secret)
        sodium_memzero(secret, ADMIN_SECRET_SIZE);
}

static void access_create(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    char actor[STORE_ID_SIZE], msg[MSG_SIZE], secret[ADMIN_SECRET_SIZE];
    const char **envs = NULL, **actions = NULL;
    size_t nenvs = 0, nactions = 0;
    struct store_account acc;
    struct store_access a;
    const char *name;
    json_t *body = NULL;
    int rc;

    if (!admin_authenticate(app, req, res, actor) ||
        !admin_account_from_path(app, req, 0, res, &acc) ||
        !admin_body_object(req, res, false, &body))
        goto out;
    if (!admin_field_string(body, "name", true, res, &name) ||
        !admin_field_strings(body, "actions", true, res, &actions, &nactions) ||
        !admin_field_strings(body, "environments", false, res, &envs, &nenvs))
        goto out;
    rc = admin_access_create(app, acc.id, name, envs, nenvs, actions, nactions, actor, &a, secret,
                             msg, sizeof(msg));
    if (rc) {
        admin_reply_rc(res, rc, msg);
        goto out;
    }
    reply_access(res, 201, &a, secret);
    store_access_cleanup(&a);
out:
    free(envs);
    free(actions);
    json_decref(body);
}

static int access_row(void *ctx, const struct store_access *row)
{
    admin_render_access(ctx, row, NULL);
    return 0;
}

static void access_list(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    struct store *st = app->store;
    char actor[STORE_ID_SIZE], msg[MSG_SIZE];
    struct store_account acc;
    struct admin_page pg;
    bool revoked;
    struct jsonw w;
    int64_t total = 0;
    int n = 0, rc;
    const char *v;

    if (!admin_authenticate(app, req, res, actor) ||
        !admin_account_from_path(app, req, 0, res, &acc) || !admin_page_from_request(req, res, &pg))
        return;
    v = http_query(req, "include_revoked", &n);
    if (admin_bool_parse("include_revoked", v, n, &revoked, msg, sizeof(msg))) {
        admin_reply_invalid(res, msg);
        return;
    }
    admin_list_begin(&w, res);
    rc = st->ops->access_list(st, acc.id, revoked, pg.offset, pg.per_page, access_row, &w, &total);
    if (rc) {
        admin_reply_rc(res, rc, "store failure");
        return;
    }
    admin_list_end(&w, res, total);
}

static void access_get(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    char actor[STORE_ID_SIZE], msg[MSG_SIZE];
    struct store_account acc;
    struct store_access a;
    int rc;

    if (!admin_authenticate(app, req, res, actor) ||
        !admin_account_from_path(app, req, 0, res, &acc))
        return;
    rc = admin_access_get(app, acc.id, req->params[1], &a, msg, sizeof(msg));
    if (rc) {
        admin_reply_rc(res, rc, msg);
        return;
    }
    reply_access(res, 200, &a, NULL);
    store_access_cleanup(&a);
}

static void access_revoke(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    char actor[STORE_ID_SIZE], msg[MSG_SIZE];
    struct store_account acc;
    int rc;

    if (!admin_authenticate(app, req, res, actor) ||
        !admin_account_from_path(app, req, 0, res, &acc))
        return;
    rc = admin_access_revoke(app, acc.id, req->params[1], actor, msg, sizeof(msg));
    if (rc) {
        admin_reply_rc(res, rc, msg);
        return;
    }
    buf_reset(&res->body);
    res->status = 204;
}

static void access_rotate(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    char actor[STORE_ID_SIZE], msg[MSG_SIZE], secret[ADMIN_SECRET_SIZE];
    struct store_account acc;
    struct store_access a;
    int rc;

    if (!admin_authenticate(app, req, res, actor) ||
        !admin_account_from_path(app, req, 0, res, &acc))
        return;
    rc = admin_access_rotate_secret(app, acc.id, req->params[1], actor, &a, secret, msg,
                                    sizeof(msg));
    if (rc) {
        admin_reply_rc(res, rc, msg);
        return;
    }
    reply_access(res, 200, &a, secret);
    store_access_cleanup(&a);
}

void admin_routes_accesses(struct http_router *rt)
{
    http_router_add(rt, "POST", ADMIN_PREFIX "/accounts/{a}/accesses", access_create);
    http_router_add(rt, "GET", ADMIN_PREFIX "/accounts/{a}/accesses", access_list);
    http_router_add(rt, "GET", ADMIN_PREFIX "/accounts/{a}/accesses/{c}", access_get);
    http_router_add(rt, "DELETE", ADMIN_PREFIX "/accounts/{a}/accesses/{c}", access_revoke);
    http_router_add(rt, "POST", ADMIN_PREFIX "/accounts/{a}/accesses/{c}/secret", access_rotate);
}
