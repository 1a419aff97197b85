/* SPDX-License-Identifier: MIT */
/* The panel's session cookie: sealing (libsodium secretbox, XSalsa20-Poly1305, under a key
 * derived from the server key), opening, time rules, the CSRF token and the Origin check.
 * Why a sealed cookie and not a table: any instance sharing the server key and the store
 * accepts it, and the per-request check needs no write (docs/panel.md). */
#include "admin/session.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "token/token.h"

#define VERSION 1
#define PAYLOAD_SIZE (1 + ADMIN_SESSION_ID_BYTES + 32 + 8 + 8)
#define SEALED_SIZE (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + PAYLOAD_SIZE)
/* Subkeys of the server key, one per purpose (crypto_kdf contexts are 8 bytes). */
#define KDF_CONTEXT "rcpanel1"
#define SUBKEY_SEAL 1
#define SUBKEY_CSRF 2
/* A session issued by an instance whose clock runs ahead is accepted within this. */
#define CLOCK_SKEW 60

static void derive(const uint8_t server_key[32], uint64_t id, uint8_t out[32])
{
    crypto_kdf_derive_from_key(out, 32, id, KDF_CONTEXT, server_key);
}

static void put_i64(uint8_t *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(u >> (8 * i));
}

static int64_t get_i64(const uint8_t *p)
{
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = (u << 8) | p[i];
    return (int64_t)u;
}

void admin_session_new(const uint8_t key_hash[32], int64_t now, struct admin_session *out)
{
    randombytes_buf(out->id, sizeof(out->id));
    memcpy(out->key_hash, key_hash, sizeof(out->key_hash));
    out->issued_at = now;
    out->seen_at = now;
}

void admin_session_seal(const uint8_t server_key[32], const struct admin_session *s,
                        char out[ADMIN_SESSION_VALUE_SIZE])
{
    uint8_t plain[PAYLOAD_SIZE], sealed[SEALED_SIZE], key[32];
    uint8_t *p = plain;

    *p++ = VERSION;
    memcpy(p, s->id, ADMIN_SESSION_ID_BYTES);
    p += ADMIN_SESSION_ID_BYTES;
    memcpy(p, s->key_hash, 32);
    p += 32;
    put_i64(p, s->issued_at);
    put_i64(p + 8, s->seen_at);
    randombytes_buf(sealed, crypto_secretbox_NONCEBYTES);
    derive(server_key, SUBKEY_SEAL, key);
    crypto_secretbox_easy(sealed + crypto_secretbox_NONCEBYTES, plain, sizeof(plain), sealed, key);
    base64url_encode(sealed, sizeof(sealed), out);
    sodium_memzero(key, sizeof(key));
    sodium_memzero(plain, sizeof(plain));
}

int admin_session_open(const uint8_t server_key[32], const char *value, size_t len,
                       struct admin_session *out)
{
    uint8_t plain[PAYLOAD_SIZE], sealed[SEALED_SIZE], key[32];
    size_t n = 0;
    int rc = RC_EINVAL;

    if (len != base64url_encoded_len(SEALED_SIZE) ||
        base64url_decode(value, len, sealed, sizeof(sealed), &n) || n != SEALED_SIZE)
        return RC_EINVAL;
    derive(server_key, SUBKEY_SEAL, key);
    if (crypto_secretbox_open_easy(plain, sealed + crypto_secretbox_NONCEBYTES,
                                   SEALED_SIZE - crypto_secretbox_NONCEBYTES, sealed, key) != 0 ||
        plain[0] != VERSION)
        goto out;
    memcpy(out->id, plain + 1, ADMIN_SESSION_ID_BYTES);
    memcpy(out->key_hash, plain + 1 + ADMIN_SESSION_ID_BYTES, 32);
    out->issued_at = get_i64(plain + 1 + ADMIN_SESSION_ID_BYTES + 32);
    out->seen_at = get_i64(plain + 1 + ADMIN_SESSION_ID_BYTES + 40);
    rc = 0;
out:
    sodium_memzero(key, sizeof(key));
    sodium_memzero(plain, sizeof(plain));
    return rc;
}

/* RFC 6265 §5.4: "name=value" pairs separated by "; ". */
int admin_session_from_cookies(const uint8_t server_key[32], const char *cookie_header,
                               struct admin_session *out)
{
    const size_t name_len = strlen(ADMIN_SESSION_COOKIE);

    for (const char *p = cookie_header ? cookie_header : ""; *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t n = strcspn(p, ";");
        if (n > name_len && memcmp(p, ADMIN_SESSION_COOKIE, name_len) == 0 && p[name_len] == '=') {
            const char *v = p + name_len + 1;
            size_t vlen = n - name_len - 1;
            while (vlen && v[vlen - 1] == ' ')
                vlen--;
            if (admin_session_open(server_key, v, vlen, out) == 0)
                return 0;
        }
        p += n;
    }
    return RC_ENOTFOUND;
}

bool admin_session_is_live(const struct admin_session *s, int64_t now, int64_t idle,
                           int64_t lifetime)
{
    return s->issued_at <= now + CLOCK_SKEW && now < s->issued_at + lifetime &&
           now < s->seen_at + idle;
}

void admin_session_name(const struct admin_session *s, char out[ADMIN_SESSION_NAME_SIZE])
{
    memcpy(out, "session:", 8);
    base64url_encode(s->id, sizeof(s->id), out + 8);
}

void admin_session_csrf(const uint8_t server_key[32], const struct admin_session *s,
                        char out[ADMIN_CSRF_SIZE])
{
    uint8_t key[32], mac[crypto_auth_hmacsha256_BYTES];

    derive(server_key, SUBKEY_CSRF, key);
    crypto_auth_hmacsha256(mac, s->id, sizeof(s->id), key);
    base64url_encode(mac, sizeof(mac), out);
    sodium_memzero(key, sizeof(key));
}

bool admin_session_csrf_ok(const uint8_t server_key[32], const struct admin_session *s,
                           const char *token)
{
    char want[ADMIN_CSRF_SIZE];
    bool ok;

    if (!token || strlen(token) != ADMIN_CSRF_SIZE - 1)
        return false;
    admin_session_csrf(server_key, s, want);
    ok = sodium_memcmp(want, token, ADMIN_CSRF_SIZE - 1) == 0;
    sodium_memzero(want, sizeof(want));
    return ok;
}

/* The length of the origin part of url (scheme://authority, without path), or 0. */
static size_t origin_len(const char *url)
{
    const char *sep = strstr(url, "://");

    if (!sep || sep == url)
        return 0;
    return (size_t)(sep + 3 - url) + strcspn(sep + 3, "/?#");
}

/* RFC 6454 §6.1: the serialisation of an origin; hosts compare case-insensitively. */
bool admin_origin_is_ours(const char *origin, const char *public_url, const char *host, bool tls)
{
    size_t n = public_url ? origin_len(public_url) : 0;
    bool https = tls || (public_url && strncasecmp(public_url, "https://", 8) == 0);
    const char *scheme = https ? "https://" : "http://";
    size_t sl = strlen(scheme);

    if (!origin)
        return true;
    if (n && strlen(origin) == n && strncasecmp(origin, public_url, n) == 0)
        return true;
    return host && *host && strncasecmp(origin, scheme, sl) == 0 &&
           strcasecmp(origin + sl, host) == 0;
}
