/* SPDX-License-Identifier: MIT */
/* Private to src/admin: what the HTTP handler files share (authentication, JSON bodies,
 * replies). Not for other modules: they use admin.h. */
#ifndef RCAUTH_ADMIN_INT_H
#define RCAUTH_ADMIN_INT_H

#include <jansson.h>

#include "admin/admin.h"
#include "admin/session.h"
#include "app.h"
#include "http/http.h"

#define ADMIN_PREFIX "/admin/v1"

/* The caller of an admin route: the admin key of "Authorization: Bearer <key>", or, when
 * there is no Authorization header, the panel's session cookie (admin_session_authenticate).
 * On success the key's id goes to actor (STORE_ID_SIZE) and true is returned; otherwise res
 * holds the 401 (or the session's 403) and false is returned. Refreshes the key's
 * last_used_at at most once a minute. */
bool admin_authenticate(struct app *app, const struct http_request *req, struct http_response *res,
                        char *actor);
/* The panel session of the request's cookie: live, not signed out, its admin key unrevoked
 * (into *s and *key). On a method other than GET and HEAD, the Origin header (when present)
 * must be ours and X-CSRF-Token the session's, else 403. false after writing the
 * 401/403/500 into res. */
bool admin_session_authenticate(struct app *app, const struct http_request *req,
                                struct http_response *res, struct admin_session *s,
                                struct store_admin_key *key);
/* Slide the idle expiry of s: a fresh cookie with seen_at = now (Set-Cookie), at most once
 * a minute (or once per half the idle time when that is shorter). */
void admin_session_renew(struct app *app, const struct http_request *req, struct http_response *res,
                         struct admin_session *s);
/* The admin key named by key (the whole "rcak_…" string), unrevoked, into out, and its
 * keyed hash into hash (the caller wipes it). RC_ENOTFOUND for a missing, oversized,
 * unknown or revoked key; RC_ESTORE. */
int admin_key_find(struct app *app, const char *key, uint8_t hash[32],
                   struct store_admin_key *out) RC_MUST_CHECK;
/* The admin key whose keyed hash is hash, unrevoked, into out (last_used_at refreshed at
 * most once a minute). RC_ENOTFOUND for an unknown or revoked key; RC_ESTORE. */
int admin_key_lookup(struct app *app, const uint8_t hash[32],
                     struct store_admin_key *out) RC_MUST_CHECK;
/* 401 invalid_token with why and "WWW-Authenticate: Bearer realm=…". Returns false. */
bool admin_deny(struct http_response *res, const char *why);
/* A wrong admin key was presented (Bearer or panel sign-in): admin_key_failed(), then the
 * 401, or the 429 once the address is throttled. Returns false. */
bool admin_refuse_key(struct app *app, const struct http_request *req, struct http_response *res);

/* Parse the body as a JSON object (caller decrefs *out). Empty is allowed when
 * empty_ok (then *out is an empty object). false after writing a 400 into res. */
bool admin_body_object(const struct http_request *req, struct http_response *res, bool empty_ok,
                       json_t **out);
/* Member field of obj as a string (borrowed; NULL when absent or null and not required).
 * false after writing a 400 naming the field. */
bool admin_field_string(json_t *obj, const char *field, bool required, struct http_response *res,
                        const char **out);
bool admin_field_bool(json_t *obj, const char *field, struct http_response *res, bool *out);
/* An array of strings (borrowed strings in a caller-freed array; *n = 0 and *out = NULL
 * when absent or null and not required). */
bool admin_field_strings(json_t *obj, const char *field, bool required, struct http_response *res,
                         const char ***out, size_t *n);

/* _page and _max_per_page of the request; false after writing a 400. */
bool admin_page_from_request(const struct http_request *req, struct http_response *res,
                             struct admin_page *out);
/* The account of path parameter i (must exist); false after writing a 404/500. */
bool admin_account_from_path(struct app *app, const struct http_request *req, int i,
                             struct http_response *res, struct store_account *out);

/* 400 invalid_request with msg. */
void admin_reply_invalid(struct http_response *res, const char *msg);
/* Map a service rc to 400/404/409/500 with msg. */
void admin_reply_rc(struct http_response *res, int rc, const char *msg);
/* Finish a JSON body written into res->body: set status, or 500 if the writer failed. */
void admin_reply_json(struct http_response *res, int status, const struct jsonw *w);

/* "items" of a list response: begin with admin_list_begin, write each item, end with
 * admin_list_end (which writes total_count and finishes the reply). */
void admin_list_begin(struct jsonw *w, struct http_response *res);
void admin_list_end(struct jsonw *w, struct http_response *res, int64_t total);

/* Route groups, in their handler files. */
void admin_routes_accounts(struct http_router *rt);
void admin_routes_accesses(struct http_router *rt);
void admin_routes_panel_session(struct http_router *rt);

/* Whether an If-None-Match header value (RFC 9110 §13.1.2: "*" or a list of entity tags,
 * compared weakly) matches etag (with its quotes). */
bool admin_etag_matches(const char *if_none_match, const char *etag);

#endif
