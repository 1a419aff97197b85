/* SPDX-License-Identifier: MIT */
/* Refresh token encoding: compact JSON payload, base64url, HMAC-SHA-256 with a derived key. */
#include "oauth/refresh.h"
#include "common/ids.h"
#include "common/jsonw.h"
#include "common/xmalloc.h"
#include "token/token.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "rt1."
#define PREFIX_LEN 4
#define MAX_TOKEN 8192

void refresh_key_init(crypto_auth_hmacsha256_state *key, const uint8_t server_key[32])
{
    static const char label[] = "rcauth refresh token v1";
    uint8_t derived[32];
    crypto_auth_hmacsha256(derived, (const unsigned char *)label, sizeof(label) - 1, server_key);
    crypto_auth_hmacsha256_init(key, derived, sizeof(derived));
    sodium_memzero(derived, sizeof(derived));
}

/* HMAC-SHA-256 of msg under key, from a copy of the keyed state. */
static void mac(const crypto_auth_hmacsha256_state *key, const char *msg, size_t len,
                uint8_t out[32])
{
    crypto_auth_hmacsha256_state st = *key;
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, len);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof(st));
}

void refresh_claims_cleanup(struct refresh_claims *c)
{
    free(c->scope);
    c->scope = NULL;
}

void refresh_claims_init(struct refresh_claims *c, const char *client_id, const char *scope,
                         int64_t lifetime)
{
    memset(c, 0, sizeof(*c));
    size_t n = strnlen(client_id, sizeof(c->client_id) - 1);
    memcpy(c->client_id, client_id, n); /* a client id of the cache: it fits */
    uint8_t chain[16];
    randombytes_buf(chain, sizeof(chain));
    hex_encode(chain, sizeof(chain), c->chain_id);
    c->scope = xstrdup(scope);
    c->lifetime = lifetime;
}

int refresh_encode(const crypto_auth_hmacsha256_state *key, const struct refresh_claims *c,
                   struct buf *out)
{
    struct buf payload;
    buf_init(&payload, MAX_TOKEN);
    struct jsonw w;
    jsonw_init(&w, &payload);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "c", c->client_id);
    jsonw_kv_string(&w, "h", c->chain_id);
    jsonw_kv_int(&w, "g", c->generation);
    jsonw_kv_string(&w, "s", c->scope);
    jsonw_kv_int(&w, "e", c->lifetime);
    jsonw_object_end(&w);
    int rc = jsonw_finish(&w);
    if (rc)
        goto out;

    size_t start = out->len;
    uint8_t tag[32];
    rc = buf_append_str(out, PREFIX);
    if (!rc)
        rc = base64url_append(out, payload.data, payload.len);
    if (!rc) {
        mac(key, out->data + start, out->len - start, tag);
        rc = buf_append_char(out, '.');
    }
    if (!rc)
        rc = base64url_append(out, tag, sizeof(tag));
    if (!rc && out->len - start > MAX_TOKEN) /* refresh_decode would refuse it */
        rc = RC_ELIMIT;
    if (rc)
        buf_truncate(out, start); /* all or nothing */
out:
    buf_cleanup(&payload);
    return rc;
}

static bool mac_ok(const crypto_auth_hmacsha256_state *key, const char *token, size_t signed_len,
                   const char *mac_b64)
{
    uint8_t want[32], got[32];
    size_t got_len = 0;
    if (base64url_decode(mac_b64, strlen(mac_b64), got, sizeof(got), &got_len) ||
        got_len != sizeof(got))
        return false;
    mac(key, token, signed_len, want);
    return sodium_memcmp(want, got, sizeof(want)) == 0;
}

static int read_payload(const char *json, size_t len, struct refresh_claims *out)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *c = json_string_value(json_object_get(root, "c"));
    const char *h = json_string_value(json_object_get(root, "h"));
    const char *s = json_string_value(json_object_get(root, "s"));
    json_t *g = json_object_get(root, "g"), *e = json_object_get(root, "e");
    int rc = RC_EINVAL;
    if (c && h && s && json_is_integer(g) && json_is_integer(e) &&
        strlen(c) < sizeof(out->client_id) && strlen(h) < sizeof(out->chain_id)) {
        memset(out, 0, sizeof(*out));
        memcpy(out->client_id, c, strlen(c) + 1);
        memcpy(out->chain_id, h, strlen(h) + 1);
        out->generation = json_integer_value(g);
        out->lifetime = json_integer_value(e);
        out->scope = xstrdup(s);
        rc = 0;
    }
    json_decref(root);
    return rc;
}

int refresh_decode(const crypto_auth_hmacsha256_state *key, const char *token,
                   struct refresh_claims *out)
{
    size_t len = strlen(token);
    if (len > MAX_TOKEN || strncmp(token, PREFIX, PREFIX_LEN))
        return RC_EINVAL;
    const char *dot = strrchr(token, '.');
    if (!dot || dot < token + PREFIX_LEN)
        return RC_EINVAL;
    size_t signed_len = (size_t)(dot - token);
    if (!mac_ok(key, token, signed_len, dot + 1))
        return RC_EINVAL;
    const char *b64 = token + PREFIX_LEN;
    size_t b64_len = signed_len - PREFIX_LEN;
    uint8_t *json = xmalloc(b64_len + 1);
    size_t json_len = 0;
    int rc = base64url_decode(b64, b64_len, json, b64_len + 1, &json_len);
    if (!rc)
        rc = read_payload((const char *)json, json_len, out);
    free(json);
    return rc;
}
