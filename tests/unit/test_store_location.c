/* SPDX-License-Identifier: MIT */
/* Unit tests of store locations (store.c, store_pg_url.c), with no database: which --db
 * values are refused and that the reason never holds the value; that a URL is described
 * without its user, password or query; and that the redaction of libpq's messages removes
 * every form of the URL's user and password (SPEC §7: never a secret in a log line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "store/store.h"
#include "store/store_pg_int.h"

#define PW "S3cr3t-pw_XYZ"

static void assert_refused(const char *location, const char *says)
{
    char why[256] = "";
    assert_int_equal(store_location_check(location, why, sizeof(why)), RC_EINVAL);
    if (!strstr(why, says))
        fail_msg("%s: '%s' does not say '%s'", location, why, says);
    if (strstr(why, PW) || strstr(why, "hunter2"))
        fail_msg("%s: '%s' holds the password", location, why);
}

static void assert_accepted(const char *location)
{
    char why[256] = "";
    if (store_location_check(location, why, sizeof(why)) != 0)
        fail_msg("%s refused: %s", location, why);
}

static void test_location_check(void **state)
{
    (void)state;
    assert_accepted("postgres://rcauth:" PW "@db.internal:5432/rcauth?sslmode=verify-full");
    assert_accepted("postgresql://rcauth:p%40ss%2Fword@[::1]:5432/rcauth");
    assert_accepted("Postgres://h/db");
    assert_accepted("POSTGRESQL://u@h1:1,h2:2/db");
    assert_accepted("postgresql:///db?host=/var/run/postgresql");
    assert_accepted("postgres://rcauth:p:q?r@h/db"); /* libpq reads ':' and '?' in a password */
    assert_accepted("./rcauth-data/rcauth.db");
    assert_accepted("/srv/a=b/rcauth.db");

    assert_refused("postgres://rcauth:" PW "@[::1/rcauth", "IPv6 host address lacks");
    assert_refused("postgres://rcauth:" PW "%@127.0.0.1:5432/rcauth", "'%'");
    assert_refused("postgres://rcauth:" PW "%00@h/db", "'%'");
    assert_refused("postgres://rcauth:" PW "@[]/db", "empty");
    assert_refused("postgres://rcauth:" PW "@[::1]x/db", "character 38");
    assert_refused("postgres://h/db?password=" PW "=x", "more than one '='");
    assert_refused("postgres://h/db?" PW, "no '='");
    assert_refused("postgres://h/db?pasword=" PW, "not a libpq connection parameter");
    assert_refused("postgres://rcauth:" PW "@oops@h/db", "holds '@'");
    assert_refused("postgres://rcauth:" PW "/x@h/db", "holds '@'");
    assert_refused("postgres://rcauth:" PW "/h/db", "port is not a number");
    assert_refused("mysql://rcauth:" PW "@h/db", "unsupported scheme 'mysql'");
    assert_refused("file://" PW, "unsupported scheme 'file'");
    assert_refused("host=h password=hunter2 dbname=rcauth", "key=value");
    assert_refused(" password = hunter2", "key=value");
}

static void assert_describes(const char *location, const char *want)
{
    char out[256];
    store_location_describe(location, out, sizeof(out));
    assert_string_equal(out, want);
}

static void test_describe(void **state)
{
    (void)state;
    assert_describes("postgres://rcauth:" PW "@db:5432/rcauth?password=" PW,
                     "postgres://db:5432/rcauth");
    assert_describes("Postgres://u:p?q@h/db", "Postgres://h/db");
    assert_describes("postgresql://h/db#x", "postgresql://h/db");
    assert_describes("postgresql://h", "postgresql://h");
    assert_describes("./data/rcauth.db", "./data/rcauth.db");
    assert_describes("u:" PW "@h/db", "(a path holding '@', not shown)");
}

static void assert_redacts(const char *url, const char *message, const char *want)
{
    struct pg_redact r;
    char out[256];
    store_pg_redact_init(&r, url);
    store_pg_redact(&r, message, out, sizeof(out));
    store_pg_redact_cleanup(&r);
    assert_string_equal(out, want);
}

static void test_redact(void **state)
{
    (void)state;
    const char *url = "postgres://rcauth:p%40" PW "@127.0.0.1:5432/rcauth";
    assert_redacts(url, "FATAL:  password authentication failed for user \"rcauth\"\nmore",
                   "FATAL:  password authentication failed for user \"***\"");
    /* the whole URL, as written and with its scheme lowered, and the password decoded */
    assert_redacts(url, "bad URI: \"postgres://rcauth:p%40" PW "@127.0.0.1:5432/rcauth\"",
                   "bad URI: \"***\"");
    assert_redacts("POSTGRES://u:v@h/d", "in \"postgres://u:v@h/d\" and \"POSTGRES://u:v@h/d\"",
                   "in \"***\" and \"***\"");
    assert_redacts(url, "token \"p@" PW "\" and \"p%40" PW "\"", "token \"***\" and \"***\"");
    /* the query's user and password are the ones libpq uses */
    assert_redacts("postgres://h/db?user=alice&password=hunter2", "role \"alice\" with hunter2",
                   "role \"***\" with ***");
    /* a message that holds none of them is left alone */
    assert_redacts(url, "connection to server at \"127.0.0.1\", port 5432 failed",
                   "connection to server at \"127.0.0.1\", port 5432 failed");
    /* cut short, never in the middle of a secret */
    struct pg_redact r;
    char small[8];
    store_pg_redact_init(&r, url);
    store_pg_redact(&r, "ab rcauth rcauth", small, sizeof(small));
    store_pg_redact_cleanup(&r);
    assert_string_equal(small, "ab *** ");
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_location_check),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_redact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
