/* SPDX-License-Identifier: MIT */
/* Signing keys for the admin API and the CLI: rotation, retirement and the key list (SPEC
 * §4), each key with its lifetime as the key ring judges it and its public JWK — never the
 * private half. The keys and the lifetime rule are the token module's business. */
#include "admin/admin.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "token/token.h"

static int say(char *err, size_t errsz, int rc, const char *msg)
{
    if (errsz)
        snprintf(err, errsz, "%s", msg);
    return rc;
}

static int need_keys(struct app *app, char *err, size_t errsz)
{
    return app->keys ? 0 : say(err, errsz, RC_EIO, "signing keys are not loaded");
}

struct warn_ctx {
    const char *alg;
    struct buf *out;
};

/* A superseded key of the rotated algorithm that signed a token without exp stays
 * published: the admin must know that only retiring it ends those tokens. */
static int warn_cb(void *ctx, const struct keyring_key_info *info)
{
    struct warn_ctx *wc = ctx;
    const char *kid = info->row->kid;
    if (!info->published || info->current || !info->signed_non_expiring ||
        strcmp(info->row->alg, wc->alg) != 0)
        return 0;
    /* past the buffer's cap the list is cut short: the key list has the rest */
    return buf_appendf(wc->out,
                       "key %s (%s) signed tokens that do not expire: it stays in the JWKS and "
                       "keeps verifying until it is retired (rcauth keys retire %s, or DELETE "
                       "/admin/v1/keys/%s)\n",
                       kid, info->row->alg, kid, kid);
}

int admin_keys_rotate(struct app *app, const char *alg, const char *actor, char *kid_out,
                      struct buf *warnings, char *err, size_t errsz)
{
    char kid[STORE_KID_SIZE] = "";
    int rc = need_keys(app, err, errsz);
    if (rc)
        return rc;
    if (!alg)
        alg = keyring_alg(app->keys);
    if (strcmp(alg, "EdDSA") != 0 && strcmp(alg, "ES256") != 0)
        return say(err, errsz, RC_EINVAL, "alg: must be EdDSA or ES256");
    rc = keyring_rotate(app->keys, alg, kid);
    if (rc) {
        if (errsz)
            snprintf(err, errsz, "key rotation failed (%s)", rc_strerror(rc));
        return rc;
    }
    app_audit(app, "", actor, "keys.rotated", kid);
    if (kid_out)
        memcpy(kid_out, kid, STORE_KID_SIZE);
    /* the rotation is done: a failure to look back is a warning too, not an error */
    struct warn_ctx wc = {.alg = alg, .out = warnings};
    if (warnings && keyring_list(app->keys, warn_cb, &wc) != 0 &&
        buf_append_str(warnings, "the older keys could not be checked: see the key list\n"))
        buf_reset(warnings);
    return 0;
}

int admin_keys_retire(struct app *app, const char *kid, const char *actor, char *err, size_t errsz)
{
    bool newly = false;
    int rc = need_keys(app, err, errsz);
    if (rc)
        return rc;
    rc = keyring_retire(app->keys, kid, &newly);
    if (rc == RC_ENOTFOUND)
        return say(err, errsz, rc, "signing key not found");
    if (rc == RC_ECONFLICT) {
        if (errsz)
            snprintf(err, errsz,
                     "kid: the current %s signing key of this server cannot be retired; rotate "
                     "it first (keys rotate --alg %s), then retire it",
                     keyring_alg(app->keys), keyring_alg(app->keys));
        return rc;
    }
    if (rc) {
        if (errsz)
            snprintf(err, errsz, "key retirement failed (%s)", rc_strerror(rc));
        return rc;
    }
    if (newly)
        app_audit(app, "", actor, "keys.retired", kid);
    return 0;
}

/* "warnings": one string per line of text ("" = none). */
static void render_warnings(struct jsonw *w, const char *text)
{
    jsonw_key(w, "warnings");
    jsonw_array_begin(w);
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        jsonw_string_len(w, line, n);
        line += n + (nl != NULL);
    }
    jsonw_array_end(w);
}

struct render_ctx {
    struct jsonw *w;
    const char *only_kid;
    const char *warnings;
    int64_t offset;
    int64_t limit;
    int64_t total;
};

/* One key (docs/admin-api.md): its identity, its lifetime, its public JWK. */
static void render_key(const struct render_ctx *rc, const struct keyring_key_info *info)
{
    struct jsonw *w = rc->w;
    const struct store_signing_key *row = info->row;
    jsonw_object_begin(w);
    jsonw_kv_string(w, "kid", row->kid);
    jsonw_kv_string(w, "alg", row->alg);
    jsonw_kv_time(w, "created_at", row->created_at);
    jsonw_kv_bool(w, "current", info->current);
    jsonw_kv_bool(w, "published", info->published);
    jsonw_kv_time(w, "rotated_at", info->rotated_at);
    jsonw_kv_time(w, "retired_at", row->retired_at);
    jsonw_kv_time(w, "max_exp", info->max_exp);
    jsonw_kv_bool(w, "signed_non_expiring", info->signed_non_expiring);
    jsonw_kv_time(w, "verifies_until", row->retired_at ? 0 : info->drop_at);
    jsonw_key(w, "jwk");
    keyring_write_jwk(row, w);
    if (rc->warnings)
        render_warnings(w, rc->warnings);
    jsonw_object_end(w);
}

static int render_cb(void *ctx, const struct keyring_key_info *info)
{
    struct render_ctx *rc = ctx;
    if (rc->only_kid && strcmp(info->row->kid, rc->only_kid) != 0)
        return 0;
    if (rc->total >= rc->offset && rc->total - rc->offset < rc->limit)
        render_key(rc, info);
    rc->total++;
    return 0;
}

int admin_keys_render(struct app *app, const char *only_kid, const char *warnings, int64_t offset,
                      int64_t limit, struct buf *out, int64_t *total, char *err, size_t errsz)
{
    struct jsonw w;
    struct render_ctx rc = {.w = &w,
                            .only_kid = only_kid,
                            .warnings = only_kid ? warnings : NULL,
                            .offset = offset,
                            .limit = limit};
    int r = need_keys(app, err, errsz);
    if (r)
        return r;
    jsonw_init(&w, out);
    if (!only_kid)
        jsonw_array_begin(&w);
    r = keyring_list(app->keys, render_cb, &rc);
    if (!only_kid)
        jsonw_array_end(&w);
    *total = rc.total;
    if (r)
        return say(err, errsz, r, "cannot list the signing keys");
    if (jsonw_finish(&w))
        return say(err, errsz, RC_ELIMIT, "key list too long");
    if (only_kid && rc.total == 0)
        return say(err, errsz, RC_ENOTFOUND, "signing key not found");
    return 0;
}
