/* SPDX-License-Identifier: MIT */
/* libFuzzer: the gate's route mapper. Input: the method on the first line, the request
 * target on the rest. A match must name a catalog action and ids of the allowed shape, and
 * the query string must never change the answer. */
#include "fuzz_common.h"
#include "gate/gate.h"
#include "oauth/catalog.h"

#include <assert.h>
#include <stdio.h>

static bool is_id(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 64 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789_-.~") == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *input = fuzz_strndup(data, size);
    char *f[2];
    fuzz_fields(input, f, 2);
    struct gate_route r;
    int rc = gate_route_map(f[0], f[1], &r);
    if (rc == 0) {
        assert(catalog_find(r.action, strlen(r.action)) >= 0);
        assert(is_id(r.account_id));
        assert(!r.env_id[0] || is_id(r.env_id));
    }
    /* the same target with any query gives the same answer */
    if (!strchr(f[1], '?') && strlen(f[1]) < 4096) {
        char with_query[4200];
        snprintf(with_query, sizeof(with_query), "%s?_page=0&_max_per_page=9999&a/b=..", f[1]);
        struct gate_route q;
        int rc2 = gate_route_map(f[0], with_query, &q);
        assert(rc2 == rc);
        assert(rc || (q.action == r.action && !strcmp(q.account_id, r.account_id) &&
                      !strcmp(q.env_id, r.env_id)));
    }
    free(input);
    return 0;
}
