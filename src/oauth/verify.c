/* SPDX-License-Identifier: MIT */
/* GET /token (SPEC §3): is this token valid now, and what may it do? The signature and
 * expiry come from the token; revocation and the access's name from the access cache. */
#include "app.h"
#include "common/jsonw.h"
#include "common/timeutil.h"
#include "oauth/access_cache.h"
#include "oauth/errors.h"
#include "oauth/oauth.h"
#include "oauth/scope.h"
#include "token/token.h"

#include <string.h>

/* The token to check: the query parameter wins over a (possibly stale) Bearer header. */
static const char *token_of(const struct http_request *req, bool *twice)
{
    int count = 0;
    const char *q = http_query(req, "access_token", &count);
    *twice = count > 1;
    if (q && *q)
        return q;
    const char *b = http_bearer(req);
    return b && *b ? b : NULL;
}

static const char *verdict_text(enum token_verdict v)
{
    switch (v) {
    case TOKEN_EXPIRED:
        return "the token has expired";
    case TOKEN_BAD_SIGNATURE:
        return "the token signature is not valid";
    default:
        return "the token is malformed";
    }
}

static void write_answer(const struct token_claims *c, const struct cached_access *a,
                         const struct granted_scope *g, int64_t now, struct http_response *res)
{
    struct jsonw w;
    jsonw_init(&w, &res->body);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "client_id", c->client_id);
    jsonw_kv_string(&w, "account", c->account);
    jsonw_kv_int(&w, "expires_in", c->exp ? c->exp - now : 0);
    jsonw_kv_string(&w, "scope", c->scope);
    jsonw_kv_bool(&w, "active", true);
    jsonw_kv_string(&w, "access_name", a->name);
    jsonw_key(&w, "actions");
    jsonw_array_begin(&w);
    for (int i = 0; i < catalog_count(); i++)
        if (action_set_has(&g->actions, i))
            jsonw_string(&w, catalog_name(i));
    jsonw_array_end(&w);
    jsonw_key(&w, "environments");
    jsonw_array_begin(&w);
    if (g->all_envs)
        jsonw_string(&w, "*");
    for (int i = 0; i < g->nenvs; i++)
        jsonw_string(&w, g->envs[i]);
    jsonw_array_end(&w);
    jsonw_kv_int(&w, "iat", c->iat);
    if (c->exp)
        jsonw_kv_int(&w, "exp", c->exp);
    jsonw_object_end(&w);
    if (jsonw_finish(&w))
        oauth_error_respond(res, OAUTH_SERVER_ERROR, NULL, false);
    else
        res->status = 200;
}

void oauth_verify_handler(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    bool twice;
    const char *token = token_of(req, &twice);
    if (twice || !token) {
        oauth_error_respond(res, OAUTH_INVALID_REQUEST,
                            twice ? "access_token is given twice" : "access_token is missing",
                            false);
        return;
    }
    int64_t now = time_now();
    struct token_claims c = {0};
    struct cached_access *a = NULL;
    struct granted_scope g = {0};
    enum token_verdict v = token_verify(app->keys, token, strlen(token), now, &c);
    if (v != TOKEN_VALID) {
        oauth_error_respond(res, OAUTH_INVALID_TOKEN, verdict_text(v), false);
        goto out;
    }
    if (access_cache_get(app->accesses, c.client_id, false, &a) || a->revoked_at ||
        strcmp(a->account_id, c.account)) {
        oauth_error_respond(res, OAUTH_INVALID_TOKEN, "the token has been revoked", false);
        goto out;
    }
    if (scope_parse(c.scope, &g)) {
        oauth_error_respond(res, OAUTH_INVALID_TOKEN, "the token is malformed", false);
        goto out;
    }
    write_answer(&c, a, &g, now, res);
out:
    scope_cleanup(&g);
    access_cache_put(app->accesses, a);
    token_claims_cleanup(&c);
}

static void healthz_handler(void *app, const struct http_request *req, struct http_response *res)
{
    (void)app;
    (void)req;
    res->status = 200;
    if (buf_append_str(&res->body, "{\"status\":\"ok\"}"))
        res->status = 500;
}

void oauth_routes_register(struct http_router *rt)
{
    http_router_add(rt, "POST", "/{account}/token", oauth_token_handler);
    http_router_add(rt, "GET", "/token", oauth_verify_handler);
    http_router_add(rt, "GET", "/healthz", healthz_handler);
}
