/* SPDX-License-Identifier: MIT */
/* Access tokens as JWTs: the RFC 9068 profile in JWS compact serialization (RFC 7515 §7.1).
 * Only the shape rcauth issues is accepted: a header of string members with alg, typ and
 * kid, and a claims object with our claims. The kid picks the key and the key's algorithm
 * decides how the signature is checked; the header's alg must merely name it (RFC 8725
 * §3.1), so "none", HMAC-with-the-public-key and cross-algorithm tokens are refused. A kid
 * that is retired, or dropped by the lifetime rule, is not in the ring: unknown, once the
 * ring has looked at the store for it. The keys and their reservations are in keyring.c,
 * their algorithms in ed25519.c and es256.c. */
#include "token/keyring_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/timeutil.h"
#include "common/xmalloc.h"

#define TOKEN_MAX_LEN 8192 /* longer input is refused before any parsing */
#define HEADER_MAX 1024    /* decoded header bytes */
#define PAYLOAD_MAX (TOKEN_MAX_LEN / 4 * 3)
#define TYP "at+jwt" /* RFC 9068 §2.1 */

void token_claims_cleanup(struct token_claims *c)
{
    free(c->scope);
    memset(c, 0, sizeof(*c));
}

/* ---- signing -------------------------------------------------------------------------- */

/* RFC 9068 §2.2 claims, in a fixed order; exp only for a token that expires. */
static int payload_json(const struct token_claims *c, struct buf *out)
{
    struct jsonw w;
    jsonw_init(&w, out);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "iss", c->iss);
    jsonw_kv_string(&w, "sub", c->client_id); /* the client acts for itself: RFC 9068 §2.2 */
    jsonw_kv_string(&w, "client_id", c->client_id);
    jsonw_kv_string(&w, "account", c->account);
    jsonw_kv_string(&w, "scope", c->scope ? c->scope : "");
    jsonw_kv_int(&w, "iat", c->iat);
    jsonw_kv_string(&w, "jti", c->jti);
    if (c->exp != 0)
        jsonw_kv_int(&w, "exp", c->exp);
    jsonw_object_end(&w);
    return jsonw_finish(&w);
}

int token_header_encode(struct key *k)
{
    struct buf header;
    struct jsonw w;
    buf_init(&header, HEADER_MAX);
    jsonw_init(&w, &header);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "alg", k->alg->name);
    jsonw_kv_string(&w, "typ", TYP);
    jsonw_kv_string(&w, "kid", k->kid);
    jsonw_object_end(&w);
    int rc = jsonw_finish(&w);
    if (!rc && base64url_encoded_len(header.len) >= sizeof(k->header))
        rc = RC_ELIMIT;
    if (!rc)
        base64url_encode((const uint8_t *)header.data, header.len, k->header);
    buf_cleanup(&header);
    return rc;
}

/* The compact JWS of payload signed with k, appended to tok: BASE64URL(header) "."
 * BASE64URL(payload), the signing input (RFC 7515 §5.1), then "." and the signature. */
static int sign_with(const struct key *k, const struct buf *payload, struct buf *tok)
{
    uint8_t sig[KEY_SIG_MAX];
    size_t sig_len = 0, start = tok->len;
    int rc = buf_append_str(tok, k->header);
    if (!rc)
        rc = buf_append_char(tok, '.');
    if (!rc)
        rc = base64url_append(tok, payload->data, payload->len);
    if (!rc)
        rc = k->alg->sign(k, (const uint8_t *)tok->data + start, tok->len - start, sig, &sig_len);
    if (!rc)
        rc = buf_append_char(tok, '.');
    if (!rc)
        rc = base64url_append(tok, sig, sig_len);
    /* token_verify would refuse anything longer */
    if (!rc && tok->len - start > TOKEN_MAX_LEN)
        rc = RC_ELIMIT;
    return rc;
}

int token_sign(struct keyring *kr, const char *alg, const struct token_claims *c, struct buf *out)
{
    const struct key_alg *ka = alg ? keyring_alg_find(alg) : keyring_sign_alg(kr);
    const struct key *k;
    struct buf payload;
    size_t start = out->len;
    int rc = RC_EINVAL;
    buf_init(&payload, PAYLOAD_MAX);
    if (!ka)
        goto out;
    rc = payload_json(c, &payload);
    if (rc)
        goto out;
    keyring_read_lock(kr);
    k = keyring_signer(kr, ka);
    bool reserved = k && keyring_is_reserved(k, c->exp);
    if (reserved)
        rc = sign_with(k, &payload, out);
    keyring_read_unlock(kr);
    /* SPEC §4: the key must outlive its tokens, crash or not, so the store learns how long
     * before the token exists (rarely: reservations run ahead of the tokens) */
    if (!reserved) {
        rc = keyring_reserve_lock(kr, ka, c->exp, &k);
        if (!rc) {
            rc = sign_with(k, &payload, out);
            keyring_reserve_unlock(kr);
        }
    }
out:
    if (rc)
        buf_truncate(out, start); /* all or nothing */
    buf_cleanup(&payload);
    return rc;
}

/* ---- verification --------------------------------------------------------------------- */

struct parts {
    const char *s[3];
    size_t len[3];
};

/* RFC 7515 §7.1: exactly three parts; none may be empty for us (no "none", no detached
 * payload). */
static bool split(const char *jwt, size_t len, struct parts *p)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && jwt[i] != '.')
            continue;
        if (n == 3 || i == start)
            return false;
        p->s[n] = jwt + start;
        p->len[n] = i - start;
        n++;
        start = i + 1;
    }
    return n == 3;
}

struct header {
    json_t *json; /* owned; the strings below point into it */
    const char *alg;
    const char *typ;
    const char *kid;
};

/* A JSON object without duplicate names (RFC 7515 §4: must be rejected or handled
 * consistently) whose members are all strings. That refuses "crit" (an array; RFC 7515
 * §4.1.11: we understand no extension) and embedded keys ("jwk", an object). */
static bool header_parse(const struct parts *p, struct header *h)
{
    uint8_t raw[HEADER_MAX];
    size_t n = 0;
    const char *name;
    json_t *v;
    if (base64url_decode(p->s[0], p->len[0], raw, sizeof(raw), &n) != 0)
        return false;
    h->json = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(h->json))
        return false;
    json_object_foreach(h->json, name, v)
    {
        if (!json_is_string(v))
            return false;
    }
    h->alg = json_string_value(json_object_get(h->json, "alg"));
    h->typ = json_string_value(json_object_get(h->json, "typ"));
    h->kid = json_string_value(json_object_get(h->json, "kid"));
    return h->alg && h->typ && h->kid;
}

/* RFC 9068 §4: "at+jwt" or "application/at+jwt"; media types are case-insensitive
 * (RFC 7515 §4.1.9). */
static bool typ_is_at_jwt(const char *typ)
{
    if (strncasecmp(typ, "application/", 12) == 0)
        typ += 12;
    return strcasecmp(typ, TYP) == 0;
}

/* The kid picks the key; the header's alg must be exactly the key's algorithm. *unknown
 * tells whether the ring lacks the kid. */
static enum token_verdict check_with_ring(struct keyring *kr, const struct header *h,
                                          const struct parts *p, const uint8_t *sig, size_t sig_len,
                                          bool *unknown)
{
    enum token_verdict v = TOKEN_BAD_SIGNATURE;
    size_t input_len = p->len[0] + 1 + p->len[1];
    keyring_read_lock(kr);
    const struct key *k = keyring_find(kr, h->kid);
    *unknown = !k;
    if (!k || strcmp(h->alg, k->alg->name) != 0)
        goto out;
    if (!typ_is_at_jwt(h->typ)) {
        v = TOKEN_MALFORMED;
        goto out;
    }
    if (k->alg->verify(k, (const uint8_t *)p->s[0], input_len, sig, sig_len))
        v = TOKEN_VALID;
out:
    keyring_read_unlock(kr);
    return v;
}

/* A kid the ring does not know may be a key another instance has just made and signs with
 * already: the ring looks at the store (rate-limited) and the check runs once more. */
static enum token_verdict check_signature(struct keyring *kr, const struct header *h,
                                          const struct parts *p, const uint8_t *sig, size_t sig_len)
{
    int64_t seen = time_mono_us();
    bool unknown = false;
    enum token_verdict v = check_with_ring(kr, h, p, sig, sig_len, &unknown);
    if (unknown && keyring_catch_up(kr, seen))
        v = check_with_ring(kr, h, p, sig, sig_len, &unknown);
    return v;
}

/* A required string claim: present, non-empty, and fitting dst. */
static bool get_string(json_t *o, const char *name, char *dst, size_t size)
{
    const char *s = json_string_value(json_object_get(o, name));
    if (!s)
        return false;
    size_t n = strlen(s); /* jansson refuses \u0000 unless asked */
    if (n == 0 || n >= size)
        return false;
    memcpy(dst, s, n + 1);
    return true;
}

static bool get_int(json_t *o, const char *name, int64_t *out)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_integer(v))
        return false;
    *out = json_integer_value(v);
    return true;
}

/* exp is optional; when present a positive integer (RFC 7519 §4.1.4, NumericDate). */
static bool get_exp(json_t *o, int64_t *out)
{
    *out = 0;
    if (!json_object_get(o, "exp"))
        return true;
    return get_int(o, "exp", out) && *out > 0;
}

static enum token_verdict claims_parse(const struct parts *p, struct token_claims *c)
{
    uint8_t raw[PAYLOAD_MAX];
    size_t n = 0;
    char sub[STORE_CLIENT_ID_SIZE];
    if (base64url_decode(p->s[1], p->len[1], raw, sizeof(raw), &n) != 0)
        return TOKEN_MALFORMED;
    json_t *o = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
    const char *scope = json_string_value(json_object_get(o, "scope"));
    bool ok = json_is_object(o) && scope && *scope &&
              get_string(o, "iss", c->iss, sizeof(c->iss)) &&
              get_string(o, "sub", sub, sizeof(sub)) &&
              get_string(o, "client_id", c->client_id, sizeof(c->client_id)) &&
              get_string(o, "account", c->account, sizeof(c->account)) &&
              get_string(o, "jti", c->jti, sizeof(c->jti)) && get_int(o, "iat", &c->iat) &&
              get_exp(o, &c->exp) && strcmp(sub, c->client_id) == 0;
    if (ok)
        c->scope = xstrdup(scope);
    json_decref(o);
    return ok ? TOKEN_VALID : TOKEN_MALFORMED;
}

enum token_verdict token_verify(struct keyring *kr, const char *jwt, size_t len, int64_t now,
                                struct token_claims *out)
{
    struct parts p;
    struct header h = {0};
    uint8_t sig[KEY_SIG_MAX];
    size_t sig_len = 0;
    enum token_verdict v = TOKEN_MALFORMED;
    memset(out, 0, sizeof(*out));
    if (!jwt || len > TOKEN_MAX_LEN || !split(jwt, len, &p) || !header_parse(&p, &h))
        goto out;
    if (base64url_decode(p.s[2], p.len[2], sig, sizeof(sig), &sig_len) != 0)
        goto out;
    v = check_signature(kr, &h, &p, sig, sig_len);
    if (v == TOKEN_VALID)
        v = claims_parse(&p, out);
    if (v == TOKEN_VALID) /* the ring had it: it fits */
        memcpy(out->kid, h.kid, strlen(h.kid) + 1);
    /* RFC 7519 §4.1.4: not accepted on or after exp; no leeway */
    if (v == TOKEN_VALID && out->exp != 0 && out->exp <= now)
        v = TOKEN_EXPIRED;
out:
    json_decref(h.json);
    if (v != TOKEN_VALID && v != TOKEN_EXPIRED)
        token_claims_cleanup(out);
    return v;
}
