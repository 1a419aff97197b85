/* SPDX-License-Identifier: MIT */
/* The admin API (SPEC §6) and the operations it shares with the command line.
 *
 * Three layers, each usable without the next:
 *  - validation: pure functions over plain C values (names, ids, actions, pagination);
 *  - service: create/revoke/rotate/audit against struct app, returning rc codes and, for
 *    validation failures, a one-line "<field>: <why>" message. The CLI calls these too;
 *  - HTTP: admin_routes_register() adds the /admin/v1 routes to a router.
 * Rendering of rows as the API's JSON objects (docs/admin-api.md) is shared as well. */
#ifndef RCAUTH_ADMIN_H
#define RCAUTH_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/jsonw.h"
#include "common/rc.h"
#include "oauth/catalog.h"
#include "store/store.h"

struct app;
struct http_router;

#define ADMIN_NAME_MAX_CHARS 200
#define ADMIN_MAX_LIST_ITEMS 1000 /* environments or actions in one access */
#define ADMIN_PAGE_DEFAULT 100
#define ADMIN_PAGE_MAX 1000
#define ADMIN_KEY_PREFIX "rcak_"
#define ADMIN_KEY_SIZE 70 /* "rcak_" + 64 hex chars + NUL */
#define ADMIN_SECRET_SIZE 65
#define ADMIN_ERR_SIZE 256

/* ---- validation (validate.c, page.c): pure functions -------------------------------- */

/* Number of code points of s (len bytes) when it is valid UTF-8 (no overlong forms, no
 * surrogates, at most U+10FFFF), else -1. */
long admin_utf8_length(const char *s, size_t len);
/* A name (account, environment, access, admin key): valid UTF-8, 1–200 code points, no
 * control characters (C0, DEL, C1). RC_EINVAL with "<field>: <why>" in err. */
int admin_check_name(const char *field, const char *s, size_t len, char *err,
                     size_t errsz) RC_MUST_CHECK;
/* true when id is one of the server's own path words (admin, token, authorize, healthz,
 * readyz, metrics), which an account id may not be (SPEC §1). */
bool admin_id_is_reserved(const char *id);
/* An id given by the admin: 1–64 chars of [A-Za-z0-9_-]; when reserved_too, not a path
 * word either. RC_EINVAL with "<field>: <why>" in err. */
int admin_check_id(const char *field, const char *id, bool reserved_too, char *err,
                   size_t errsz) RC_MUST_CHECK;
/* Catalog names into a set. Needs at least one; duplicates collapse. RC_EINVAL naming the
 * first unknown name (or saying none was given) in err. */
int admin_actions_parse(const char *const *names, size_t n, struct action_set *out, char *err,
                        size_t errsz) RC_MUST_CHECK;
/* Environment ids into one space-separated string appended to out, duplicates dropped
 * (first occurrence kept), "" for none. Checks the form of each id only; whether they
 * belong to the account is the service's job. RC_EINVAL naming the bad id in err. */
int admin_envs_join(const char *const *ids, size_t n, struct buf *out, char *err,
                    size_t errsz) RC_MUST_CHECK;

/* Pagination of lists: _page from 1, _max_per_page 1..1000 (default 100). */
struct admin_page {
    int64_t page;
    int64_t per_page;
    int64_t offset; /* (page - 1) * per_page */
};
/* Parse the raw query values (NULL when absent) and how many times each occurred.
 * RC_EINVAL naming the parameter in err: not a plain decimal integer, out of range, or
 * given more than once. */
int admin_page_parse(const char *page, int page_count, const char *per_page, int per_page_count,
                     struct admin_page *out, char *err, size_t errsz) RC_MUST_CHECK;
/* A boolean query value: "true"/"1" or "false"/"0"; absent (NULL) = false. RC_EINVAL
 * naming field in err otherwise, or when count > 1. */
int admin_bool_parse(const char *field, const char *value, int count, bool *out, char *err,
                     size_t errsz) RC_MUST_CHECK;

/* ---- service (service.c, keys.c) -----------------------------------------------------
 * Every function returns 0 or: RC_EINVAL (bad input; "<field>: <why>" in err),
 * RC_ENOTFOUND (unknown account/access/key; err says which), RC_ECONFLICT (id or name
 * taken, or the access is revoked; err says why), RC_ESTORE/RC_ECRYPTO/… (err says what
 * failed). actor is the admin key id, or "cli". err may be NULL when errsz is 0. */

/* Create an account; id NULL generates an xid ("" is refused like any bad id). */
int admin_account_create(struct app *app, const char *id, const char *name,
                         struct store_account *out, char *err, size_t errsz) RC_MUST_CHECK;
/* RC_ENOTFOUND "account not found". */
int admin_account_get(struct app *app, const char *id, struct store_account *out, char *err,
                      size_t errsz) RC_MUST_CHECK;
/* Create an environment of account_id; id NULL generates an xid. */
int admin_env_create(struct app *app, const char *account_id, const char *id, const char *name,
                     bool is_main, struct store_env *out, char *err, size_t errsz) RC_MUST_CHECK;
/* Create an access: validates, draws client id and secret, stores only the secret's
 * hash, audits access.created and tells the caches. envs empty = all environments; each
 * must be an environment of account_id. out: caller releases with store_access_cleanup().
 * secret_out receives the client secret: the caller shows it once, then wipes it. */
int admin_access_create(struct app *app, const char *account_id, const char *name,
                        const char *const *envs, size_t nenvs, const char *const *actions,
                        size_t nactions, const char *actor, struct store_access *out,
                        char secret_out[ADMIN_SECRET_SIZE], char *err, size_t errsz) RC_MUST_CHECK;
/* The access client_id; with account_id not NULL it must belong to that account (else
 * RC_ENOTFOUND). out: caller releases with store_access_cleanup(). */
int admin_access_get(struct app *app, const char *account_id, const char *client_id,
                     struct store_access *out, char *err, size_t errsz) RC_MUST_CHECK;
/* Revoke (idempotent: revoking again is 0, audited only the first time). account_id as in
 * admin_access_get(). */
int admin_access_revoke(struct app *app, const char *account_id, const char *client_id,
                        const char *actor, char *err, size_t errsz) RC_MUST_CHECK;
/* Draw a new secret for the access; the old one stops working. RC_ECONFLICT when the
 * access is revoked. out (may be NULL) receives the access; caller releases it.
 * secret_out: as in admin_access_create(). */
int admin_access_rotate_secret(struct app *app, const char *account_id, const char *client_id,
                               const char *actor, struct store_access *out,
                               char secret_out[ADMIN_SECRET_SIZE], char *err,
                               size_t errsz) RC_MUST_CHECK;
/* Create an admin key "rcak_<64 hex>" (name NULL or "" allowed), stored as its keyed hash,
 * audited admin_key.created. key_out: show once, then wipe. */
int admin_key_create(struct app *app, const char *name, const char *actor,
                     struct store_admin_key *out, char key_out[ADMIN_KEY_SIZE], char *err,
                     size_t errsz) RC_MUST_CHECK;
/* Authenticate an admin key (the whole "rcak_…" string): 0 and its id in actor
 * (STORE_ID_SIZE, may be NULL) when it exists and is not revoked; RC_ENOTFOUND for a
 * missing (NULL or ""), unknown or revoked key; RC_ESTORE. Looked up by its keyed hash, so
 * the key itself is never compared. Refreshes last_used_at at most once a minute. For the
 * admin API, the panel's sign-in and introspection by admin key (SPEC §7). */
int admin_key_check(struct app *app, const char *key, char *actor) RC_MUST_CHECK;
/* A wrong admin key came from remote_addr (API, panel sign-in, introspection): log it (never
 * the key) and count it against the address (SPEC §7). Returns the seconds to put in
 * Retry-After with a 429 once the address is over its limit, else 0 (answer 401). */
int64_t admin_key_failed(struct app *app, const char *route, const char *remote_addr);
/* Revoke admin key id (idempotent; audited admin_key.revoked the first time). */
int admin_key_revoke(struct app *app, const char *id, const char *actor, char *err,
                     size_t errsz) RC_MUST_CHECK;
/* Rotate the signing key of alg (NULL = the server's, --signing-alg); needs app_open_keys().
 * Audits keys.rotated with the new kid (kid_out, STORE_KID_SIZE, may be NULL). warnings
 * (may be NULL) receives one line of text per superseded key of that algorithm that stays
 * published because it signed tokens that do not expire. */
int admin_keys_rotate(struct app *app, const char *alg, const char *actor, char *kid_out,
                      struct buf *warnings, char *err, size_t errsz) RC_MUST_CHECK;
/* Retire signing key kid (idempotent; audited keys.retired the first time): it stops
 * verifying and leaves the JWKS. RC_ENOTFOUND for an unknown kid; RC_ECONFLICT for the
 * current key of the server's algorithm. Needs app_open_keys(). */
int admin_keys_retire(struct app *app, const char *kid, const char *actor, char *err,
                      size_t errsz) RC_MUST_CHECK;
/* Append the signing keys of the store, oldest first, as a JSON array of objects
 * (docs/admin-api.md: kid, alg, times, lifetime, public "jwk") to out, rows
 * offset..offset+limit-1 only; *total = all. With only_kid not NULL, just that key's object
 * (no array; use offset 0 and limit 1), with a "warnings" array of the lines of warnings
 * when that is not NULL; RC_ENOTFOUND when there is no such key. Needs app_open_keys(). */
int admin_keys_render(struct app *app, const char *only_kid, const char *warnings, int64_t offset,
                      int64_t limit, struct buf *out, int64_t *total, char *err,
                      size_t errsz) RC_MUST_CHECK;

/* ---- rendering (render.c): one object each, as docs/admin-api.md shapes them -------- */
void admin_render_account(struct jsonw *w, const struct store_account *a);
void admin_render_env(struct jsonw *w, const struct store_env *e);
/* secret NULL: no "client_secret" member. */
void admin_render_access(struct jsonw *w, const struct store_access *a, const char *secret);
void admin_render_admin_key(struct jsonw *w, const struct store_admin_key *k);
void admin_render_audit(struct jsonw *w, const struct store_audit_event *e);
/* "key": [items of a space-separated list]. */
void admin_render_words(struct jsonw *w, const char *key, const char *words);

/* ---- HTTP ------------------------------------------------------------------------------ */
/* Register every /admin/v1 route (SPEC §6). Handlers expect the router's app pointer to be
 * a struct app * whose keys are open (app_open_keys) for the /keys routes. */
void admin_routes_register(struct http_router *rt);
/* Register the web panel (SPEC §8, docs/panel.md): its assets under /admin/ (the page
 * also at /admin) and its session endpoints at /admin/session. */
void admin_panel_register(struct http_router *rt);

#endif
