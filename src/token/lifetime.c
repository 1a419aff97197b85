/* SPDX-License-Identifier: MIT */
/* The lifetime rule of signing keys (SPEC §4), as one pure function so that every caller —
 * the loader that decides what verifies, the JWKS, the key listing, retirement — applies the
 * same rule at the same time to the same facts. The facts come from the store and from what
 * this process noted; the key ring (keyring.c) gathers them. */
#include "token/keyring_int.h"

#include <string.h>

/* The next key of f[i]'s algorithm in list order, or n. */
static size_t successor(const struct key_fate *f, size_t n, size_t i)
{
    size_t j = i + 1;
    while (j < n && strcmp(f[j].alg, f[i].alg) != 0)
        j++;
    return j;
}

void keyring_judge(struct key_fate *f, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        struct key_fate *k = &f[i];
        size_t next = successor(f, n, i);
        k->rotated_at = next < n ? f[next].created_at : 0;
        k->current = next == n && k->retired_at == 0;
        k->drop_at = 0;
        if (k->retired_at) {
            k->published = false;
        } else if (k->current || k->non_expiring) {
            /* a token without exp can be live forever: only the admin can end it */
            k->published = true;
        } else {
            int64_t last = k->max_exp > k->rotated_at ? k->max_exp : k->rotated_at;
            k->drop_at = last + KEY_GRACE_SECONDS;
            k->published = now < k->drop_at;
        }
    }
}
