/* SPDX-License-Identifier: MIT */
/* The panel's sessions over HTTP (docs/panel.md): checking the cookie (and, on
 * state-changing calls, the CSRF token and the Origin) for the admin API and the session
 * endpoints, renewing it, and the endpoints themselves: sign in with an admin key (POST),
 * read the session and its CSRF token back (GET, e.g. after a reload: the token lives only
 * in the page's memory), sign out (DELETE). Sealing the cookie is admin/session.c's. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "admin/admin_int.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "oauth/revoked_tokens.h"

#define SESSION_PATH "/admin/session"
#define RENEW_INTERVAL 60 /* seconds between renewals of a session cookie (or idle / 2) */

static bool forbid(struct http_response *res, const char *why)
{
    http_response_error(res, 403, "forbidden", why);
    return false;
}

/* RFC 6454 §7.3: a user agent sends at most one Origin. Two are no browser's doing, and
 * checking only the first would let whatever reads the other be fooled: refused. */
static bool from_our_origin(const struct app *app, const struct http_request *req)
{
    const char *origin = NULL;

    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, "Origin") != 0)
            continue;
        if (origin)
            return false;
        origin = req->headers[i].value;
    }
    return admin_origin_is_ours(origin, config_public_url(&app->cfg), http_header(req, "Host"),
                                req->is_tls);
}

static bool is_safe_method(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* "Set-Cookie: rcauth_session=value" with Max-Age max_age (0 clears it); Secure when the
 * request came over TLS or the public URL is https (a Secure cookie would never come back
 * over plain http). */
static void set_cookie(struct app *app, const struct http_request *req, struct http_response *res,
                       const char *value, int64_t max_age)
{
    bool secure = req->is_tls || strncmp(config_public_url(&app->cfg), "https://", 8) == 0;
    char cookie[ADMIN_SESSION_VALUE_SIZE + 128];

    snprintf(cookie, sizeof(cookie),
             "%s=%s; Path=/admin; Max-Age=%lld; HttpOnly; SameSite=Strict%s", ADMIN_SESSION_COOKIE,
             value, (long long)max_age, secure ? "; Secure" : "");
    http_response_header(res, "Set-Cookie", cookie);
}

/* The admin key behind a live session: the cookie opens, its times hold, it was not signed
 * out, and its key still exists unrevoked. */
static int session_key(struct app *app, const struct http_request *req, struct admin_session *s,
                       struct store_admin_key *key)
{
    char name[ADMIN_SESSION_NAME_SIZE];
    int rc = admin_session_from_cookies(app->server_key, http_header(req, "Cookie"), s);

    if (rc)
        return rc;
    if (!admin_session_is_live(s, time_now(), app->cfg.panel_session_idle,
                               app->cfg.panel_session_lifetime))
        return RC_ENOTFOUND;
    admin_session_name(s, name);
    if (revoked_tokens_has(app->revoked, name))
        return RC_ENOTFOUND;
    return admin_key_lookup(app, s->key_hash, key);
}

/* At most once a RENEW_INTERVAL, or half the idle time when that is shorter. */
void admin_session_renew(struct app *app, const struct http_request *req, struct http_response *res,
                         struct admin_session *s)
{
    int64_t now = time_now(), idle = app->cfg.panel_session_idle;
    int64_t every = idle / 2 < RENEW_INTERVAL ? idle / 2 : RENEW_INTERVAL;
    char value[ADMIN_SESSION_VALUE_SIZE];

    if (now - s->seen_at < every)
        return;
    s->seen_at = now;
    admin_session_seal(app->server_key, s, value);
    set_cookie(app, req, res, value, s->issued_at + app->cfg.panel_session_lifetime - now);
}

bool admin_session_authenticate(struct app *app, const struct http_request *req,
                                struct http_response *res, struct admin_session *s,
                                struct store_admin_key *key)
{
    int rc = session_key(app, req, s, key);

    if (rc == RC_ENOTFOUND)
        return admin_deny(res, "no panel session, or it expired or was signed out");
    if (rc) {
        http_response_error(res, 500, "server_error", "store failure");
        return false;
    }
    /* A cookie is an ambient credential: a state-changing call must prove it comes from
     * the panel itself (OWASP CSRF cheat sheet: synchronizer token + Origin check). */
    if (!is_safe_method(req->method)) {
        if (!from_our_origin(app, req))
            return forbid(res, "cross-origin request refused");
        if (!admin_session_csrf_ok(app->server_key, s, http_header(req, "X-CSRF-Token")))
            return forbid(res, "missing or wrong CSRF token");
    }
    return true;
}

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

    /* No CSRF token exists yet; the Origin check stops a foreign page from signing the
     * browser in with a key of its choosing (login CSRF). */
    if (!from_our_origin(app, req)) {
        forbid(res, "cross-origin request refused");
        return;
    }
    if (!admin_body_object(req, res, false, &body) ||
        !admin_field_string(body, "admin_key", true, res, &admin_key))
        goto out;
    rc = admin_key_find(app, admin_key, hash, &key);
    if (rc == RC_ENOTFOUND) {
        admin_refuse_key(app, req, res);
        goto out;
    }
    if (rc) {
        http_response_error(res, 500, "server_error", "store failure");
        goto out;
    }
    admin_session_new(hash, time_now(), &s);
    admin_session_seal(app->server_key, &s, value);
    set_cookie(app, req, res, value, app->cfg.panel_session_lifetime);
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

    if (!admin_session_authenticate(app, req, res, &s, &key)) {
        if (res->status == 401)
            set_cookie(app, req, res, "", 0);
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
    set_cookie(app, req, res, "", 0);
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
