/* SPDX-License-Identifier: MIT */
/* Signing keys for the admin API and the CLI: rotation (SPEC §4) and the key list, which
 * is the keyring's JWKS (public halves only) with each key's creation time from the store.
 * The keys themselves are the token module's business. */
#include "admin/admin.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "token/token.h"

#define JWKS_MAX (1024 * 1024)

static int say(char *err, size_t errsz, int rc, const char *msg)
{
    if (errsz)
        snprintf(err, errsz, "%s", msg);
    return rc;
}

int admin_keys_rotate(struct app *app, const char *alg, const char *actor, char *kid_out, char *err,
                      size_t errsz)
{
    char kid[STORE_KID_SIZE] = "";
    int rc;
    if (!alg)
        alg = "EdDSA";
    if (strcmp(alg, "EdDSA") != 0 && strcmp(alg, "ES256") != 0)
        return say(err, errsz, RC_EINVAL, "alg: must be EdDSA or ES256");
    if (!app->keys)
        return say(err, errsz, RC_EIO, "signing keys are not loaded");
    rc = keyring_rotate(app->keys, alg, kid);
    if (rc == RC_EINVAL)
        return say(err, errsz, rc, "alg: ES256 is not available yet");
    if (rc) {
        if (errsz)
            snprintf(err, errsz, "key rotation failed (%s)", rc_strerror(rc));
        return rc;
    }
    app_audit(app, "", actor, "keys.rotated", kid);
    if (kid_out)
        memcpy(kid_out, kid, STORE_KID_SIZE);
    return 0;
}

static int created_cb(void *ctx, const struct store_signing_key *row)
{
    json_t *created = ctx; /* kid → created_at */
    json_object_set_new(created, row->kid, json_integer(row->created_at));
    return 0;
}

/* One key: {"kid","alg","created_at", then the JWK's other members}. */
static void render_key(struct jsonw *w, json_t *jwk, json_t *created)
{
    const char *kid = json_string_value(json_object_get(jwk, "kid"));
    const char *name;
    json_t *v;
    jsonw_object_begin(w);
    jsonw_kv_string(w, "kid", kid ? kid : "");
    jsonw_kv_string(w, "alg", json_string_value(json_object_get(jwk, "alg")) ?: "");
    jsonw_kv_time(w, "created_at", json_integer_value(json_object_get(created, kid ? kid : "")));
    json_object_foreach(jwk, name, v)
    {
        char *text;
        if (strcmp(name, "kid") == 0 || strcmp(name, "alg") == 0)
            continue;
        text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        jsonw_key(w, name);
        jsonw_raw(w, text ? text : "null");
        free(text);
    }
    jsonw_object_end(w);
}

/* The JWKS "keys" array from the keyring, and the creation times from the store. */
static int load_keys(struct app *app, json_t **jwks, json_t **created, char *err, size_t errsz)
{
    struct store *st = app->store;
    struct buf b;
    int rc;
    *jwks = NULL;
    *created = json_object();
    if (!app->keys)
        return say(err, errsz, RC_EIO, "signing keys are not loaded");
    buf_init(&b, JWKS_MAX);
    rc = keyring_jwks(app->keys, &b);
    if (!rc)
        *jwks = json_loadb(buf_str(&b), b.len, 0, NULL);
    buf_cleanup(&b);
    if (rc || !json_is_array(json_object_get(*jwks, "keys")))
        return say(err, errsz, rc ? rc : RC_ECRYPTO, "cannot read the signing keys");
    rc = st->ops->signing_key_list(st, created_cb, *created);
    if (rc)
        return say(err, errsz, rc, "cannot list the signing keys");
    return 0;
}

int admin_keys_render(struct app *app, const char *only_kid, int64_t offset, int64_t limit,
                      struct buf *out, int64_t *total, char *err, size_t errsz)
{
    json_t *jwks, *created, *jwk;
    struct jsonw w;
    size_t i;
    int rc = load_keys(app, &jwks, &created, err, errsz);
    if (rc)
        goto out;
    jsonw_init(&w, out);
    *total = 0;
    if (!only_kid)
        jsonw_array_begin(&w);
    json_array_foreach(json_object_get(jwks, "keys"), i, jwk)
    {
        const char *kid = json_string_value(json_object_get(jwk, "kid"));
        if (only_kid && (!kid || strcmp(kid, only_kid) != 0))
            continue;
        if (*total >= offset && *total - offset < limit)
            render_key(&w, jwk, created);
        ++*total;
    }
    if (!only_kid)
        jsonw_array_end(&w);
    rc = jsonw_finish(&w);
    if (rc)
        say(err, errsz, rc, "key list too long");
    else if (only_kid && *total == 0)
        rc = say(err, errsz, RC_ENOTFOUND, "signing key not found");
out:
    json_decref(jwks);
    json_decref(created);
    return rc;
}
