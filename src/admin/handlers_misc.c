/* SPDX-License-Identifier: MIT */
/* Admin API: the action catalog, the audit trails, the signing keys, and the one
 * public registration function for every /admin/v1 route. */
#include "admin/admin_int.h"

#define MSG_SIZE 256
#define MAX_WARNINGS (64 * 1024)

static void actions_list(void *appv, const struct http_request *req, struct http_response *res)
{
    char actor[STORE_ID_SIZE];
    struct admin_page pg;
    struct jsonw w;
    int n = catalog_count();

    if (!admin_authenticate(appv, req, res, actor) || !admin_page_from_request(req, res, &pg))
        return;
    admin_list_begin(&w, res);
    for (int64_t i = pg.offset; i < n && i < pg.offset + pg.per_page; i++)
        jsonw_string(&w, catalog_name((int)i));
    admin_list_end(&w, res, n);
}

static int audit_row(void *ctx, const struct store_audit_event *row)
{
    admin_render_audit(ctx, row);
    return 0;
}

/* One page of the audit events of account_id ("" for the server-wide ones). */
static void audit_page(struct app *app, const char *account_id, const struct admin_page *pg,
                       struct http_response *res)
{
    struct store *st = app->store;
    struct jsonw w;
    int64_t total = 0;

    admin_list_begin(&w, res);
    int rc = st->ops->audit_list(st, account_id, pg->offset, pg->per_page, audit_row, &w, &total);
    if (rc) {
        admin_reply_rc(res, rc, "store failure");
        return;
    }
    admin_list_end(&w, res, total);
}

/* GET /accounts/{a}/audit: the account's accesses and failed authentications. */
static void audit_list(void *appv, const struct http_request *req, struct http_response *res)
{
    char actor[STORE_ID_SIZE];
    struct store_account acc;
    struct admin_page pg;

    if (admin_authenticate(appv, req, res, actor) &&
        admin_account_from_path(appv, req, 0, res, &acc) && admin_page_from_request(req, res, &pg))
        audit_page(appv, acc.id, &pg, res);
}

/* GET /audit: the events of no account (admin keys, signing keys). */
static void audit_list_server(void *appv, const struct http_request *req, struct http_response *res)
{
    char actor[STORE_ID_SIZE];
    struct admin_page pg;

    if (admin_authenticate(appv, req, res, actor) && admin_page_from_request(req, res, &pg))
        audit_page(appv, "", &pg, res);
}

/* POST /keys/rotate {"alg"?}: the new key, with "warnings" about superseded keys that stay
 * published because they signed tokens that do not expire. */
static void keys_rotate(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    char actor[STORE_ID_SIZE], msg[MSG_SIZE], kid[STORE_KID_SIZE];
    json_t *body = NULL;
    const char *alg;
    struct buf warnings;
    int64_t total;
    int rc;

    buf_init(&warnings, MAX_WARNINGS);
    if (!admin_authenticate(app, req, res, actor) || !admin_body_object(req, res, true, &body) ||
        !admin_field_string(body, "alg", false, res, &alg))
        goto out;
    rc = admin_keys_rotate(app, alg, actor, kid, &warnings, msg, sizeof(msg));
    if (!rc) {
        buf_reset(&res->body);
        rc = admin_keys_render(app, kid, buf_str(&warnings), 0, 1, &res->body, &total, msg,
                               sizeof(msg));
    }
    if (rc) {
        admin_reply_rc(res, rc, msg);
        goto out;
    }
    res->status = 200;
out:
    buf_cleanup(&warnings);
    json_decref(body);
}

/* DELETE /keys/{kid}: retire a key; again: 204; unknown: 404; the current key of the
 * server's algorithm: 409. */
static void keys_retire(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    char actor[STORE_ID_SIZE], msg[MSG_SIZE];

    if (!admin_authenticate(app, req, res, actor))
        return;
    int rc = admin_keys_retire(app, req->params[0], actor, msg, sizeof(msg));
    if (rc) {
        admin_reply_rc(res, rc, msg);
        return;
    }
    buf_reset(&res->body);
    res->status = 204;
}

static void keys_list(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    char actor[STORE_ID_SIZE], msg[MSG_SIZE] = "response too large";
    struct admin_page pg;
    int64_t total = 0;
    int rc;

    if (!admin_authenticate(app, req, res, actor) || !admin_page_from_request(req, res, &pg))
        return;
    buf_reset(&res->body);
    rc = buf_append_str(&res->body, "{\"items\":");
    if (!rc)
        rc = admin_keys_render(app, NULL, NULL, pg.offset, pg.per_page, &res->body, &total, msg,
                               sizeof(msg));
    if (!rc)
        rc = buf_appendf(&res->body, ",\"total_count\":%lld}", (long long)total);
    if (rc) {
        admin_reply_rc(res, rc, msg);
        return;
    }
    res->status = 200;
}

void admin_routes_register(struct http_router *rt)
{
    admin_routes_accounts(rt);
    admin_routes_accesses(rt);
    http_router_add(rt, "GET", ADMIN_PREFIX "/actions", actions_list);
    http_router_add(rt, "GET", ADMIN_PREFIX "/accounts/{a}/audit", audit_list);
    http_router_add(rt, "GET", ADMIN_PREFIX "/audit", audit_list_server);
    http_router_add(rt, "POST", ADMIN_PREFIX "/keys/rotate", keys_rotate);
    http_router_add(rt, "GET", ADMIN_PREFIX "/keys", keys_list);
    http_router_add(rt, "DELETE", ADMIN_PREFIX "/keys/{kid}", keys_retire);
}
