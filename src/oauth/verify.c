/* SPDX-License-Identifier: MIT */
/* GET /token (SPEC §3): is this token valid now, and what may it do? The check itself is
 * oauth_token_check(); this file writes the wire-compatible answer. */
#include "app.h"
#include "common/jsonw.h"
#include "common/metrics.h"
#include "common/timeutil.h"
#include "oauth/errors.h"
#include "oauth/oauth.h"
#include "oauth/token_cache.h"
#include "oauth/token_check.h"

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
    struct token_check c;
    enum token_check_result r = oauth_token_check(app, token, now, &c);
    if (r == TOKEN_CHECK_VALID)
        write_answer(c.claims, c.access, c.scope, now, res);
    else
        token_check_respond(&c, r, res);
    token_check_cleanup(app, &c);
}

static void healthz_handler(void *app, const struct http_request *req, struct http_response *res)
{
    (void)app;
    (void)req;
    res->status = 200;
    if (buf_append_str(&res->body, "{\"status\":\"ok\"}"))
        res->status = 500;
}

/* Readiness, for load balancers: this instance can serve only when its store answers (the
 * backend bounds the ping to a couple of seconds). Liveness is /healthz. */
static void readyz_handler(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    (void)req;
    int rc = app->store->ops->ping(app->store);
    if (rc) {
        http_response_error(res, 503, "temporarily_unavailable",
                            rc == RC_EUNAVAIL ? "the database cannot be reached"
                                              : "the database does not answer as it should");
        http_response_header(res, "Retry-After", "1");
        return;
    }
    res->status = 200;
    if (buf_append_str(&res->body, "{\"status\":\"ready\"}"))
        res->status = 500;
}

/* Prometheus text format (docs: README "Metrics"). Open like /healthz: it holds aggregates
 * by route pattern only, never a client id, token or secret. */
static void metrics_handler(void *vapp, const struct http_request *req, struct http_response *res)
{
    struct app *app = vapp;
    (void)req;
    struct token_cache_stats tc;
    token_cache_stats(app->tokens, &tc);
    int rc = metrics_format(&res->body);
    /* The verified-token cache holds memory by design (bounded): say how much. */
    if (!rc)
        rc = buf_appendf(&res->body,
                         "# HELP rcauth_token_cache_entries Verified access tokens in memory.\n"
                         "# TYPE rcauth_token_cache_entries gauge\n"
                         "rcauth_token_cache_entries %llu\n"
                         "# HELP rcauth_token_cache_bytes Bytes held by the verified-token cache.\n"
                         "# TYPE rcauth_token_cache_bytes gauge\n"
                         "rcauth_token_cache_bytes %llu\n",
                         (unsigned long long)tc.entries, (unsigned long long)tc.bytes);
    res->status = rc ? 500 : 200;
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

void oauth_routes_register(struct http_router *rt)
{
    http_router_add(rt, "POST", "/{account}/token", oauth_token_handler);
    http_router_add(rt, "GET", "/token", oauth_verify_handler);
    http_router_add(rt, "POST", "/{account}/introspect", oauth_introspect_handler);
    http_router_add(rt, "POST", "/{account}/revoke", oauth_revoke_handler);
    http_router_add(rt, "GET", "/.well-known/oauth-authorization-server/{account}",
                    oauth_metadata_handler);
    http_router_add(rt, "GET", "/healthz", healthz_handler);
    http_router_add(rt, "GET", "/readyz", readyz_handler);
    http_router_add(rt, "GET", "/metrics", metrics_handler);
}
