/* SPDX-License-Identifier: MIT */
/* The panel's session endpoints (docs/panel.md): sign in with an admin key (POST), read the
 * session and its CSRF token back (GET, e.g. after a reload: the token lives only in the
 * page's memory), sign out (DELETE). The cookie itself is admin/session.h's; checking it
 * on every admin API call is auth.c's. */
#include <sodium.h>
#include <stdio.h>

#include "admin/admin_int.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "oauth/revoked_tokens.h"

#define SESSION_PATH "/admin/session"

/* {"admin_key_id","admin_key_name","csrf_token","expires_at","idle_timeout"} */
static void reply_session(struct app *app, struct http_response *res, int status,
                          const struct admin_session *s, const struct store_admin_key *key)
{
    char csrf[ADMIN_CSRF_SIZE];
    struct jsonw w;

    admin_session_csrf(app->server_key, s, csrf);
    buf_reset(&res->body);
    jsonw_init(&w, &res->body);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "admin_key_id", key->id);
    jsonw_kv_string(&w, "admin_key_name", key->name);
    jsonw_kv_string(&w, "csrf_token", csrf);
    jsonw_kv_time(&w, "expires_at", s->issued_at + app->cfg.panel_session_lifetime);
    jsonw_kv_int(&w, "idle_timeout", app->cfg.panel_session_idle);
    jsonw_object_end(&w);
    admin_reply_json(res, status, &w);
}

/* POST {"admin_key":"rcak_…"}: 201 with the session and its cookie; a wrong key is a failed
 * admin authentication like a wrong Bearer key (401). */
static void session_create(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    char value[ADMIN_SESSION_VALUE_SIZE];
    struct store_admin_key key;
    struct admin_session s;
    const char *admin_key;
    json_t *body = NULL;
    uint8_t hash[32] = {0};
    int rc;

    admin_panel_headers(res);
    /* No CSRF token exists yet; the Origin check stops a foreign page from signing the
     * browser in with a key of its choosing (login CSRF). */
    if (!admin_origin_is_ours(http_header(req, "Origin"), app->cfg.public_url,
                              http_header(req, "Host"), req->is_tls)) {
        http_response_error(res, 403, "forbidden", "cross-origin request refused");
        return;
    }
    if (!admin_body_object(req, res, false, &body) ||
        !admin_field_string(body, "admin_key", true, res, &admin_key))
        goto out;
    rc = admin_key_find(app, admin_key, hash, &key);
    if (rc == RC_ENOTFOUND) {
        admin_refuse_key(req, res);
        goto out;
    }
    if (rc) {
        http_response_error(res, 500, "server_error", "store failure");
        goto out;
    }
    admin_session_new(hash, time_now(), &s);
    admin_session_seal(app->server_key, &s, value);
    admin_session_cookie(app, req, res, value, app->cfg.panel_session_lifetime);
    reply_session(app, res, 201, &s, &key);
    log_msg(LOG_INFO, "panel sign-in", "admin_key_id", key.id, NULL);
out:
    sodium_memzero(hash, sizeof(hash));
    json_decref(body);
}

static void session_get(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    struct store_admin_key key;
    struct admin_session s;

    admin_panel_headers(res);
    if (!admin_session_authenticate(app, req, res, &s, &key))
        return;
    admin_session_renew(app, req, res, &s);
    reply_session(app, res, 200, &s, &key);
}

/* Sign-out: the session id goes on the denylist of revoked tokens, in the store (so every
 * instance refuses it within a second, and after a restart) until the session would have
 * expired anyway; then the cookie is cleared. */
static void session_delete(void *appv, const struct http_request *req, struct http_response *res)
{
    struct app *app = appv;
    struct store_revoked_token row = {0};
    struct store_admin_key key;
    struct admin_session s;
    int rc;

    admin_panel_headers(res);
    if (!admin_session_authenticate(app, req, res, &s, &key)) {
        if (res->status == 401)
            admin_session_cookie(app, req, res, "", 0);
        return;
    }
    admin_session_name(&s, row.jti);
    /* who signed out; admin key ids are xids (20 chars), never an access's client id */
    snprintf(row.client_id, sizeof(row.client_id), "%.36s", key.id);
    row.exp = s.issued_at + app->cfg.panel_session_lifetime;
    row.revoked_at = time_now();
    rc = app->store->ops->revoked_token_add(app->store, &row);
    if (!rc)
        rc = revoked_tokens_add(app->revoked, row.jti, row.exp);
    if (rc) {
        http_response_error(res, 500, "server_error", "could not end the session");
        return;
    }
    admin_session_cookie(app, req, res, "", 0);
    buf_reset(&res->body);
    res->status = 204;
    log_msg(LOG_INFO, "panel sign-out", "admin_key_id", key.id, NULL);
}

void admin_routes_panel_session(struct http_router *rt)
{
    http_router_add(rt, "POST", SESSION_PATH, session_create);
    http_router_add(rt, "GET", SESSION_PATH, session_get);
    http_router_add(rt, "DELETE", SESSION_PATH, session_delete);
}
