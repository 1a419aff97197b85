/* SPDX-License-Identifier: MIT */
/* Admin API: accounts and their environments (SPEC §6). Validation and writes are the
 * service layer's; this file maps HTTP to it and renders the answers. */
#include "admin/admin_int.h"

#define MSG_SIZE 256

static void account_create(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    char actor[STORE_ID_SIZE], msg[MSG_SIZE];
    const char *name, *id;
    struct store_account a;
    json_t *body = NULL;
    struct jsonw w;
    int rc;

    if (!admin_authenticate(app, req, res, actor) || !admin_body_object(req, res, false, &body))
        goto out;
    if (!admin_field_string(body, "id", false, res, &id) ||
        !admin_field_string(body, "name", true, res, &name))
        goto out;
    rc = admin_account_create(app, id, name, &a, msg, sizeof(msg));
    if (rc) {
        admin_reply_rc(res, rc, msg);
        goto out;
    }
    jsonw_init(&w, &res->body);
    admin_render_account(&w, &a);
    admin_reply_json(res, 201, &w);
out:
    json_decref(body);
}

static int account_row(void *ctx, const struct store_account *row)
{
    admin_render_account(ctx, row);
    return 0;
}

static void account_list(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    struct store *st = app->store;
    char actor[STORE_ID_SIZE];
    struct admin_page pg;
    struct jsonw w;
    int64_t total = 0;
    int rc;

    if (!admin_authenticate(app, req, res, actor) || !admin_page_from_request(req, res, &pg))
        return;
    admin_list_begin(&w, res);
    rc = st->ops->account_list(st, pg.offset, pg.per_page, account_row, &w, &total);
    if (rc) {
        admin_reply_rc(res, rc, "store failure");
        return;
    }
    admin_list_end(&w, res, total);
}

static void account_get(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    char actor[STORE_ID_SIZE];
    struct store_account a;
    struct jsonw w;

    if (!admin_authenticate(app, req, res, actor) || !admin_account_from_path(app, req, 0, res, &a))
        return;
    jsonw_init(&w, &res->body);
    admin_render_account(&w, &a);
    admin_reply_json(res, 200, &w);
}

static void env_create(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    char actor[STORE_ID_SIZE], msg[MSG_SIZE];
    const char *name, *id;
    struct store_account a;
    struct store_env e;
    json_t *body = NULL;
    bool is_main;
    struct jsonw w;
    int rc;

    if (!admin_authenticate(app, req, res, actor) ||
        !admin_account_from_path(app, req, 0, res, &a) ||
        !admin_body_object(req, res, false, &body))
        goto out;
    if (!admin_field_string(body, "id", false, res, &id) ||
        !admin_field_string(body, "name", true, res, &name) ||
        !admin_field_bool(body, "is_main", res, &is_main))
        goto out;
    rc = admin_env_create(app, a.id, id, name, is_main, &e, msg, sizeof(msg));
    if (rc) {
        admin_reply_rc(res, rc, msg);
        goto out;
    }
    jsonw_init(&w, &res->body);
    admin_render_env(&w, &e);
    admin_reply_json(res, 201, &w);
out:
    json_decref(body);
}

static int env_row(void *ctx, const struct store_env *row)
{
    admin_render_env(ctx, row);
    return 0;
}

static void env_list(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    struct store *st = app->store;
    char actor[STORE_ID_SIZE];
    struct store_account a;
    struct admin_page pg;
    struct jsonw w;
    int64_t total = 0;
    int rc;

    if (!admin_authenticate(app, req, res, actor) ||
        !admin_account_from_path(app, req, 0, res, &a) || !admin_page_from_request(req, res, &pg))
        return;
    admin_list_begin(&w, res);
    rc = st->ops->env_list(st, a.id, pg.offset, pg.per_page, env_row, &w, &total);
    if (rc) {
        admin_reply_rc(res, rc, "store failure");
        return;
    }
    admin_list_end(&w, res, total);
}

void admin_routes_accounts(struct http_router *rt)
{
    http_router_add(rt, "POST", ADMIN_PREFIX "/accounts", account_create);
    http_router_add(rt, "GET", ADMIN_PREFIX "/accounts", account_list);
    http_router_add(rt, "GET", ADMIN_PREFIX "/accounts/{a}", account_get);
    http_router_add(rt, "POST", ADMIN_PREFIX "/accounts/{a}/environments", env_create);
    http_router_add(rt, "GET", ADMIN_PREFIX "/accounts/{a}/environments", env_list);
}
