/* SPDX-License-Identifier: MIT */
/* Unit tests of the admin module's pure parts: names (UTF-8, length, control characters),
 * ids and reserved words, action and environment lists, pagination and boolean query
 * values, the JSON rendering of rows, and how service errors become answers. No store, no
 * sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "admin/admin.h"
#include "admin/admin_int.h"

static char err[ADMIN_ERR_SIZE];

static int name_check(const char *s)
{
    return admin_check_name("name", s, strlen(s), err, sizeof(err));
}

static void test_utf8_length(void **state)
{
    (void)state;
    assert_int_equal(admin_utf8_length("abc", 3), 3);
    assert_int_equal(admin_utf8_length("", 0), 0);
    assert_int_equal(admin_utf8_length("h\xc3\xa9", 3), 2);         /* é */
    assert_int_equal(admin_utf8_length("\xe2\x82\xac", 3), 1);      /* € */
    assert_int_equal(admin_utf8_length("\xf0\x9f\x98\x80", 4), 1);  /* emoji */
    assert_int_equal(admin_utf8_length("\xc3", 1), -1);             /* truncated */
    assert_int_equal(admin_utf8_length("\xc0\xaf", 2), -1);         /* overlong '/' */
    assert_int_equal(admin_utf8_length("\xe0\x80\xaf", 3), -1);     /* overlong */
    assert_int_equal(admin_utf8_length("\xed\xa0\x80", 3), -1);     /* surrogate */
    assert_int_equal(admin_utf8_length("\xf4\x90\x80\x80", 4), -1); /* > U+10FFFF */
    assert_int_equal(admin_utf8_length("\xff", 1), -1);
    assert_int_equal(admin_utf8_length("\x80", 1), -1);      /* lone continuation */
    assert_int_equal(admin_utf8_length("a\xc3\x28", 3), -1); /* bad continuation */
}

static void test_names(void **state)
{
    char s[1000];
    (void)state;
    assert_int_equal(name_check("CI pipeline"), 0);
    assert_int_equal(name_check("Équipe données 🚀"), 0);
    assert_int_equal(name_check(""), RC_EINVAL);
    assert_string_equal(err, "name: must be 1 to 200 characters");
    assert_int_equal(name_check("tab\there"), RC_EINVAL);
    assert_string_equal(err, "name: must not contain control characters");
    assert_int_equal(name_check("del\x7f"), RC_EINVAL);
    assert_int_equal(name_check("c1\xc2\x85"), RC_EINVAL); /* U+0085 NEL */
    assert_int_equal(name_check("bad\xc3"), RC_EINVAL);
    assert_string_equal(err, "name: must be valid UTF-8");

    memset(s, 'a', 200);
    s[200] = '\0';
    assert_int_equal(name_check(s), 0);
    s[200] = 'a';
    s[201] = '\0';
    assert_int_equal(name_check(s), RC_EINVAL);
    /* 200 characters of 4 bytes: within the limit, which counts characters, not bytes */
    for (int i = 0; i < 200; i++)
        memcpy(s + 4 * i, "\xf0\x9f\x98\x80", 4);
    s[800] = '\0';
    assert_int_equal(name_check(s), 0);
    assert_int_equal(admin_check_name("name", "a\0b", 3, err, sizeof(err)), RC_EINVAL);
}

static void test_ids(void **state)
{
    (void)state;
    assert_int_equal(admin_check_id("id", "acme_prod-1", true, err, sizeof(err)), 0);
    assert_int_equal(admin_check_id("id", "9hs3lq0v7fg00kbt9n30", true, err, sizeof(err)), 0);
    assert_int_equal(admin_check_id("id", "", true, err, sizeof(err)), RC_EINVAL);
    assert_int_equal(admin_check_id("id", "a b", true, err, sizeof(err)), RC_EINVAL);
    assert_int_equal(admin_check_id("id", "a/b", true, err, sizeof(err)), RC_EINVAL);
    assert_int_equal(admin_check_id("id", "é", true, err, sizeof(err)), RC_EINVAL);
    assert_string_equal(err, "id: must be 1 to 64 characters of A-Z a-z 0-9 _ -");

    char long_id[66];
    memset(long_id, 'x', 65);
    long_id[65] = '\0';
    assert_int_equal(admin_check_id("id", long_id, true, err, sizeof(err)), RC_EINVAL);
    long_id[64] = '\0';
    assert_int_equal(admin_check_id("id", long_id, true, err, sizeof(err)), 0);

    const char *words[] = {"admin", "token", "authorize", "healthz", "readyz", "metrics"};
    for (size_t i = 0; i < 6; i++) {
        assert_true(admin_id_is_reserved(words[i]));
        assert_int_equal(admin_check_id("id", words[i], true, err, sizeof(err)), RC_EINVAL);
        assert_string_equal(err, "id: is a reserved word");
        /* environments are not path words */
        assert_int_equal(admin_check_id("id", words[i], false, err, sizeof(err)), 0);
    }
    assert_false(admin_id_is_reserved("tokens"));
    assert_false(admin_id_is_reserved("Admin"));
}

static void test_actions(void **state)
{
    struct action_set set;
    struct buf b;
    (void)state;
    const char *ok[] = {"flag.read", "campaign.read", "flag.read", "project.list"};
    assert_int_equal(admin_actions_parse(ok, 4, &set, err, sizeof(err)), 0);
    buf_init(&b, 4096);
    assert_int_equal(action_set_format(&set, &b), 0);
    /* catalog order, duplicates collapsed */
    assert_string_equal(buf_str(&b), "project.list campaign.read flag.read");
    buf_cleanup(&b);

    assert_int_equal(admin_actions_parse(NULL, 0, &set, err, sizeof(err)), RC_EINVAL);
    assert_string_equal(err, "actions: at least one action is required");

    const char *bad[] = {"flag.read", "flag.fly"};
    assert_int_equal(admin_actions_parse(bad, 2, &set, err, sizeof(err)), RC_EINVAL);
    assert_string_equal(err, "actions: unknown action \"flag.fly\"");

    const char *empty[] = {""};
    assert_int_equal(admin_actions_parse(empty, 1, &set, err, sizeof(err)), RC_EINVAL);
    const char *spaced[] = {"flag.read flag.list"}; /* one array item, not two */
    assert_int_equal(admin_actions_parse(spaced, 1, &set, err, sizeof(err)), RC_EINVAL);
}

static void test_envs(void **state)
{
    struct buf b;
    (void)state;
    buf_init(&b, 4096);
    const char *ids[] = {"prod", "staging", "prod", "dev"};
    assert_int_equal(admin_envs_join(ids, 4, &b, err, sizeof(err)), 0);
    assert_string_equal(buf_str(&b), "prod staging dev");
    buf_reset(&b);

    assert_int_equal(admin_envs_join(NULL, 0, &b, err, sizeof(err)), 0);
    assert_string_equal(buf_str(&b), "");

    const char *bad[] = {"prod", "no such"};
    assert_int_equal(admin_envs_join(bad, 2, &b, err, sizeof(err)), RC_EINVAL);
    assert_string_equal(err, "environments: unknown environment \"no such\"");
    buf_reset(&b);
    const char *empty[] = {""};
    assert_int_equal(admin_envs_join(empty, 1, &b, err, sizeof(err)), RC_EINVAL);
    buf_cleanup(&b);
}

static void test_page(void **state)
{
    struct admin_page p;
    (void)state;
    assert_int_equal(admin_page_parse(NULL, 0, NULL, 0, &p, err, sizeof(err)), 0);
    assert_int_equal(p.page, 1);
    assert_int_equal(p.per_page, 100);
    assert_int_equal(p.offset, 0);

    assert_int_equal(admin_page_parse("3", 1, "20", 1, &p, err, sizeof(err)), 0);
    assert_int_equal(p.offset, 40);
    assert_int_equal(p.per_page, 20);
    assert_int_equal(admin_page_parse("1", 1, "1000", 1, &p, err, sizeof(err)), 0);

    assert_int_equal(admin_page_parse("0", 1, NULL, 0, &p, err, sizeof(err)), RC_EINVAL);
    assert_non_null(strstr(err, "_page:"));
    assert_int_equal(admin_page_parse("-1", 1, NULL, 0, &p, err, sizeof(err)), RC_EINVAL);
    assert_int_equal(admin_page_parse("1.5", 1, NULL, 0, &p, err, sizeof(err)), RC_EINVAL);
    assert_string_equal(err, "_page: must be an integer");
    assert_int_equal(admin_page_parse("", 1, NULL, 0, &p, err, sizeof(err)), RC_EINVAL);
    assert_int_equal(admin_page_parse(" 1", 1, NULL, 0, &p, err, sizeof(err)), RC_EINVAL);
    assert_int_equal(admin_page_parse("99999999999999999999999", 1, NULL, 0, &p, err, sizeof(err)),
                     RC_EINVAL);
    assert_int_equal(admin_page_parse("2", 2, NULL, 0, &p, err, sizeof(err)), RC_EINVAL);
    assert_string_equal(err, "_page: given more than once");

    assert_int_equal(admin_page_parse(NULL, 0, "0", 1, &p, err, sizeof(err)), RC_EINVAL);
    assert_non_null(strstr(err, "_max_per_page:"));
    assert_int_equal(admin_page_parse(NULL, 0, "1001", 1, &p, err, sizeof(err)), RC_EINVAL);
    assert_string_equal(err, "_max_per_page: must be between 1 and 1000");
    assert_int_equal(admin_page_parse(NULL, 0, "abc", 1, &p, err, sizeof(err)), RC_EINVAL);
    assert_int_equal(admin_page_parse(NULL, 0, "5", 2, &p, err, sizeof(err)), RC_EINVAL);
}

static void test_bool(void **state)
{
    bool v;
    (void)state;
    assert_int_equal(admin_bool_parse("include_revoked", NULL, 0, &v, err, sizeof(err)), 0);
    assert_false(v);
    assert_int_equal(admin_bool_parse("include_revoked", "true", 1, &v, err, sizeof(err)), 0);
    assert_true(v);
    assert_int_equal(admin_bool_parse("include_revoked", "0", 1, &v, err, sizeof(err)), 0);
    assert_false(v);
    assert_int_equal(admin_bool_parse("include_revoked", "yes", 1, &v, err, sizeof(err)),
                     RC_EINVAL);
    assert_string_equal(err, "include_revoked: must be true or false");
    assert_int_equal(admin_bool_parse("include_revoked", "true", 2, &v, err, sizeof(err)),
                     RC_EINVAL);
}

static void test_render_access(void **state)
{
    struct store_access a;
    struct jsonw w;
    struct buf b;
    (void)state;
    memset(&a, 0, sizeof(a));
    snprintf(a.client_id, sizeof(a.client_id), "0b6f3c4e-8d1a-4c2b-9f3e-5a6b7c8d9e0f");
    snprintf(a.account_id, sizeof(a.account_id), "acme");
    snprintf(a.name, sizeof(a.name), "CI \"pipeline\"");
    a.environments = "";
    a.actions = "project.list flag.read";
    a.created_at = 1764780000;
    memset(a.secret_hash, 0xab, sizeof(a.secret_hash));
    buf_init(&b, 4096);
    jsonw_init(&w, &b);
    admin_render_access(&w, &a, NULL);
    assert_int_equal(jsonw_finish(&w), 0);
    assert_string_equal(buf_str(&b),
                        "{\"client_id\":\"0b6f3c4e-8d1a-4c2b-9f3e-5a6b7c8d9e0f\","
                        "\"account_id\":\"acme\",\"name\":\"CI \\\"pipeline\\\"\","
                        "\"environments\":[],\"actions\":[\"project.list\",\"flag.read\"],"
                        "\"created_at\":\"2025-12-03T16:40:00Z\",\"last_used_at\":null,"
                        "\"revoked_at\":null}");
    assert_null(strstr(buf_str(&b), "secret"));
    buf_reset(&b);
    a.environments = "prod dev";
    jsonw_init(&w, &b);
    admin_render_access(&w, &a, "00ff");
    assert_int_equal(jsonw_finish(&w), 0);
    assert_non_null(strstr(buf_str(&b), "\"client_secret\":\"00ff\""));
    assert_non_null(strstr(buf_str(&b), "\"environments\":[\"prod\",\"dev\"]"));
    buf_cleanup(&b);
}

static const char *header_of(const struct http_response *res, const char *name)
{
    for (int i = 0; i < res->nheaders; i++)
        if (!strcmp(res->headers[i].name, name))
            return res->headers[i].value;
    return NULL;
}

/* A database that cannot be reached is "retry shortly" (503), not a fault (500), on both
 * backends: whatever the store says RC_EUNAVAIL for. */
static void test_reply_store_errors(void **state)
{
    (void)state;
    static const struct {
        int rc, status;
        const char *error;
    } cases[] = {
        {RC_EINVAL, 400, "invalid_request"},
        {RC_ENOTFOUND, 404, "not_found"},
        {RC_ECONFLICT, 409, "conflict"},
        {RC_ESTORE, 500, "server_error"},
        {RC_EUNAVAIL, 503, "temporarily_unavailable"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_response res;
        char want[64];
        http_response_init(&res);
        admin_reply_rc(&res, cases[i].rc, "what failed");
        assert_int_equal(res.status, cases[i].status);
        snprintf(want, sizeof(want), "\"error\":\"%s\"", cases[i].error);
        assert_non_null(strstr(buf_str(&res.body), want));
        if (cases[i].rc == RC_EUNAVAIL) {
            assert_string_equal(header_of(&res, "Retry-After"), "1");
            assert_non_null(strstr(buf_str(&res.body), "database"));
        } else {
            assert_null(header_of(&res, "Retry-After"));
        }
        http_response_cleanup(&res);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_store_errors),
        cmocka_unit_test(test_utf8_length),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_envs),
        cmocka_unit_test(test_page),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_render_access),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
