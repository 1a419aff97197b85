/* SPDX-License-Identifier: MIT */
/* Unit tests of the usage recorder (oauth/usage.c) over a fake store: an access used is
 * written once per flush with its latest time, then not again before USAGE_INTERVAL; two
 * client ids sharing a slot of the recorder's table are both written; a second with more
 * accesses than the recorder keeps refuses the rest, which are kept at their next use; and
 * failures are still aggregated per account, client id and minute. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/ids.h"
#include "oauth/usage.h"

#define T0 1800000000

struct fake {
    struct store base;
    char last_id[STORE_CLIENT_ID_SIZE];
    int64_t last_at;
    int touches;
    int batches;
    int64_t failed_count;
};

static int fake_touch(struct store *s, const struct store_touch *t, size_t n)
{
    struct fake *f = (struct fake *)s;
    assert_true(n >= 1 && n <= 1024); /* batches, each short enough to hold a lock */
    snprintf(f->last_id, sizeof(f->last_id), "%s", t[n - 1].client_id);
    f->last_at = t[n - 1].at;
    f->touches += (int)n;
    f->batches++;
    return 0;
}

static int fake_account_get(struct store *s, const char *id, struct store_account *out)
{
    (void)s;
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", id);
    return 0;
}

static int fake_audit(struct store *s, const struct store_audit_event *e, int64_t count)
{
    struct fake *f = (struct fake *)s;
    assert_string_equal(e->event, "auth.failed");
    f->failed_count += count;
    return 0;
}

static const struct store_ops fake_ops = {
    .name = "fake",
    .access_touch = fake_touch,
    .account_get = fake_account_get,
    .audit_add_aggregated = fake_audit,
};

static int setup(void **state)
{
    struct fake *f = calloc(1, sizeof(*f));
    f->base.ops = &fake_ops;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* Flush and return how many touches it wrote. */
static int flush(struct usage_recorder *u, struct fake *f)
{
    int before = f->touches;
    assert_int_equal(usage_flush(u, &f->base), 0);
    return f->touches - before;
}

static void test_once_per_interval(void **state)
{
    struct fake *f = *state;
    struct usage_recorder *u = usage_new();
    assert_true(usage_note_used(u, "client-a", T0));
    assert_true(usage_note_used(u, "client-a", T0)); /* the same second: folded */
    assert_int_equal(flush(u, f), 1);
    assert_string_equal(f->last_id, "client-a");
    assert_int_equal(f->last_at, T0);
    assert_int_equal(flush(u, f), 0); /* nothing new */

    assert_true(usage_note_used(u, "client-a", T0 + USAGE_INTERVAL - 1));
    assert_int_equal(flush(u, f), 0); /* recent enough */
    assert_true(usage_note_used(u, "client-a", T0 + USAGE_INTERVAL));
    assert_true(usage_note_used(u, "client-a", T0 + USAGE_INTERVAL)); /* queued once */
    assert_int_equal(flush(u, f), 1);
    assert_int_equal(f->last_at, T0 + USAGE_INTERVAL);

    assert_true(usage_note_used(u, "", T0)); /* no such access: nothing to write */
    assert_int_equal(flush(u, f), 0);
    usage_free(u);
}

static void test_ids_sharing_a_slot_are_both_written(void **state)
{
    struct fake *f = *state;
    struct usage_recorder *u = usage_new();
    /* two ids whose hashes differ but fall on the same slot of a 65,536-slot table */
    char a[32], b[32];
    static uint32_t seen[65536];
    static int owner[65536];
    memset(seen, 0, sizeof(seen));
    int found = 0;
    for (int i = 1; !found; i++) {
        snprintf(b, sizeof(b), "id-%d", i);
        uint32_t h = id_hash(b);
        if (seen[h & 0xffff] && seen[h & 0xffff] != h) {
            snprintf(a, sizeof(a), "id-%d", owner[h & 0xffff]);
            found = 1;
        } else {
            seen[h & 0xffff] = h;
            owner[h & 0xffff] = i;
        }
    }
    assert_true(usage_note_used(u, a, T0));
    assert_true(usage_note_used(u, b, T0 + 1));
    assert_true(usage_note_used(u, a, T0 + 2)); /* a's slot now says b: a is written again */
    assert_int_equal(flush(u, f), 2);
    assert_true(usage_note_used(u, b, T0 + 3));
    assert_int_equal(flush(u, f), 1);
    assert_string_equal(f->last_id, b);
    usage_free(u);
}

static void test_a_crowded_second(void **state)
{
    struct fake *f = *state;
    struct usage_recorder *u = usage_new();
    char id[32];
    int kept = 0, refused = 0;
    for (int i = 0; i < 10000; i++) {
        snprintf(id, sizeof(id), "id-%d", i);
        if (usage_note_used(u, id, T0))
            kept++;
        else
            refused++;
    }
    assert_int_equal(kept, 8192);
    assert_int_equal(refused, 10000 - 8192);
    int batches = f->batches;
    assert_int_equal(flush(u, f), kept);
    assert_int_equal(f->batches - batches, 8192 / 1024);
    /* the refused ones were not marked as written: their next use is kept */
    snprintf(id, sizeof(id), "id-%d", 9999);
    assert_true(usage_note_used(u, id, T0 + 1));
    snprintf(id, sizeof(id), "id-%d", 0);
    assert_true(usage_note_used(u, id, T0 + 1));
    assert_int_equal(flush(u, f), 1);
    assert_string_equal(f->last_id, "id-9999");
    usage_free(u);
}

static void test_failures_are_aggregated(void **state)
{
    struct fake *f = *state;
    struct usage_recorder *u = usage_new();
    for (int i = 0; i < 5; i++)
        usage_note_failure(u, "acme", "client-a", T0 + i);
    assert_int_equal(flush(u, f), 0);
    assert_int_equal(f->failed_count, 5);
    usage_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_once_per_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_sharing_a_slot_are_both_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_crowded_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures_are_aggregated, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
