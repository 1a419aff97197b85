/* SPDX-License-Identifier: MIT */
/* Unit tests of the panel's pure parts: the sealed session cookie (round trip, forgery,
 * another server key, look-alike cookies), its time rules, the CSRF token, the Origin
 * check and If-None-Match matching. No store, no sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "admin/admin_int.h"
#include "admin/session.h"

static const uint8_t key_a[32] = {1, 2, 3};
static const uint8_t key_b[32] = {9, 8, 7};
static const uint8_t hash[32] = {0xaa, 0xbb, 0xcc};

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static void sealed(const uint8_t *key, struct admin_session *s, char out[ADMIN_SESSION_VALUE_SIZE])
{
    admin_session_new(hash, 1000, s);
    admin_session_seal(key, s, out);
}

static void test_seal_open_round_trip(void **state)
{
    struct admin_session s, o;
    char v[ADMIN_SESSION_VALUE_SIZE], v2[ADMIN_SESSION_VALUE_SIZE];
    (void)state;
    sealed(key_a, &s, v);
    assert_int_equal(strlen(v), 140);
    assert_int_equal(admin_session_open(key_a, v, strlen(v), &o), 0);
    assert_memory_equal(o.id, s.id, sizeof(s.id));
    assert_memory_equal(o.key_hash, hash, 32);
    assert_int_equal(o.issued_at, 1000);
    assert_int_equal(o.seen_at, 1000);
    /* a fresh nonce each time: the same session never seals to the same text */
    admin_session_seal(key_a, &s, v2);
    assert_string_not_equal(v, v2);
}

static void test_open_refuses_forgeries(void **state)
{
    struct admin_session s, o;
    char v[ADMIN_SESSION_VALUE_SIZE];
    (void)state;
    sealed(key_a, &s, v);
    assert_int_equal(admin_session_open(key_b, v, strlen(v), &o), RC_EINVAL);
    for (size_t i = 0; i < strlen(v); i += 7) {
        char t[ADMIN_SESSION_VALUE_SIZE];
        memcpy(t, v, sizeof(t));
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_int_equal(admin_session_open(key_a, t, strlen(t), &o), RC_EINVAL);
    }
    assert_int_equal(admin_session_open(key_a, v, strlen(v) - 1, &o), RC_EINVAL);
    assert_int_equal(admin_session_open(key_a, "", 0, &o), RC_EINVAL);
    v[10] = '=';
    assert_int_equal(admin_session_open(key_a, v, strlen(v), &o), RC_EINVAL);
}

static void test_cookie_header_parsing(void **state)
{
    struct admin_session s, o;
    char v[ADMIN_SESSION_VALUE_SIZE], h[1024], other[ADMIN_SESSION_VALUE_SIZE];
    (void)state;
    sealed(key_a, &s, v);
    sealed(key_b, &o, other);
    snprintf(h, sizeof(h), "rcauth_session=%s", v);
    assert_int_equal(admin_session_from_cookies(key_a, h, &o), 0);
    assert_memory_equal(o.id, s.id, sizeof(s.id));
    /* among others, after a look-alike that does not open (parent domain, longer path) */
    snprintf(h, sizeof(h), "theme=dark; rcauth_session=%s;  rcauth_session=%s ; x=1", other, v);
    assert_int_equal(admin_session_from_cookies(key_a, h, &o), 0);
    assert_memory_equal(o.id, s.id, sizeof(s.id));
    /* other names are not ours */
    snprintf(h, sizeof(h), "xrcauth_session=%s; rcauth_sessions=%s; rcauth_session =%s", v, v, v);
    assert_int_equal(admin_session_from_cookies(key_a, h, &o), RC_ENOTFOUND);
    assert_int_equal(admin_session_from_cookies(key_a, NULL, &o), RC_ENOTFOUND);
    assert_int_equal(admin_session_from_cookies(key_a, "rcauth_session=", &o), RC_ENOTFOUND);
}

static void test_time_rules(void **state)
{
    struct admin_session s = {.issued_at = 1000, .seen_at = 1500};
    (void)state;
    assert_true(admin_session_is_live(&s, 1500, 600, 3600));
    assert_true(admin_session_is_live(&s, 2099, 600, 3600));
    assert_false(admin_session_is_live(&s, 2100, 600, 3600)); /* idle */
    s.seen_at = 4550;
    assert_true(admin_session_is_live(&s, 4599, 600, 3600));
    assert_false(admin_session_is_live(&s, 4600, 600, 3600)); /* absolute */
    /* issued in the future beyond the allowed clock skew */
    s.issued_at = 5000;
    s.seen_at = 5000;
    assert_false(admin_session_is_live(&s, 4900, 600, 3600));
    assert_true(admin_session_is_live(&s, 4950, 600, 3600));
}

static void test_csrf_token(void **state)
{
    struct admin_session s, t;
    char a[ADMIN_CSRF_SIZE], b[ADMIN_CSRF_SIZE], name[ADMIN_SESSION_NAME_SIZE];
    (void)state;
    admin_session_new(hash, 1, &s);
    admin_session_new(hash, 1, &t);
    admin_session_csrf(key_a, &s, a);
    assert_int_equal(strlen(a), 43);
    admin_session_csrf(key_a, &s, b);
    assert_string_equal(a, b); /* a function of the session */
    admin_session_csrf(key_a, &t, b);
    assert_string_not_equal(a, b);
    admin_session_csrf(key_b, &s, b);
    assert_string_not_equal(a, b);
    assert_true(admin_session_csrf_ok(key_a, &s, a));
    assert_false(admin_session_csrf_ok(key_a, &t, a));
    assert_false(admin_session_csrf_ok(key_b, &s, a));
    assert_false(admin_session_csrf_ok(key_a, &s, NULL));
    assert_false(admin_session_csrf_ok(key_a, &s, ""));
    a[42] = '\0';
    assert_false(admin_session_csrf_ok(key_a, &s, a));
    admin_session_name(&s, name);
    assert_int_equal(strlen(name), 30);
    assert_int_equal(strncmp(name, "session:", 8), 0);
}

static void test_origin(void **state)
{
    const char *pub = "http://127.0.0.1:8080";
    (void)state;
    assert_true(admin_origin_is_ours(NULL, pub, "127.0.0.1:8080", false));
    assert_true(admin_origin_is_ours("http://127.0.0.1:8080", pub, "127.0.0.1:8080", false));
    assert_true(admin_origin_is_ours("http://localhost:8080", pub, "localhost:8080", false));
    assert_true(admin_origin_is_ours("HTTP://LocalHost:8080", pub, "localhost:8080", false));
    assert_false(admin_origin_is_ours("http://localhost:8080", pub, "127.0.0.1:8080", false));
    assert_false(admin_origin_is_ours("null", pub, "127.0.0.1:8080", false));
    assert_false(admin_origin_is_ours("", pub, "127.0.0.1:8080", false));
    assert_false(admin_origin_is_ours("http://127.0.0.1:8080.evil", pub, "127.0.0.1:8080", false));
    assert_false(admin_origin_is_ours("http://127.0.0.1:80", pub, "127.0.0.1:8080", false));
    assert_false(admin_origin_is_ours("https://127.0.0.1:8080", pub, "127.0.0.1:8080", false));
    assert_true(admin_origin_is_ours("http://127.0.0.1:8080", pub, NULL, false));
    assert_false(admin_origin_is_ours("http://x:1", pub, NULL, false));
    /* behind TLS: the https scheme, from the connection or the public URL */
    assert_true(admin_origin_is_ours("https://a.example", "https://a.example/auth", "b", false));
    assert_true(admin_origin_is_ours("https://b.example", "https://a.example", "b.example", false));
    assert_false(admin_origin_is_ours("http://b.example", "https://a.example", "b.example", false));
    assert_true(admin_origin_is_ours("https://b.example", pub, "b.example", true));
    assert_false(admin_origin_is_ours("https://a.example.evil", "https://a.example", "x", false));
    assert_false(admin_origin_is_ours("https://a.exampl", "https://a.example", "x", false));
}

static void test_etag_matching(void **state)
{
    static const struct {
        const char *header;
        bool match;
    } cases[] = {
        {"\"abc\"", true},
        {"W/\"abc\"", true},
        {"\"x\", \"abc\"", true},
        {"\"x\",W/\"abc\" ,\"y\"", true},
        {"*", true},
        {" * ", true},
        {NULL, false},
        {"", false},
        {"abc", false},
        {"\"abcd\"", false},
        {"\"ab\"", false},
        {"W/", false},
        {"\"x\", \"y\"", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (admin_etag_matches(cases[i].header, "\"abc\"") != cases[i].match)
            fail_msg("If-None-Match: %s", cases[i].header ? cases[i].header : "(none)");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_open_round_trip),
        cmocka_unit_test(test_open_refuses_forgeries),
        cmocka_unit_test(test_cookie_header_parsing),
        cmocka_unit_test(test_time_rules),
        cmocka_unit_test(test_csrf_token),
        cmocka_unit_test(test_origin),
        cmocka_unit_test(test_etag_matching),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
