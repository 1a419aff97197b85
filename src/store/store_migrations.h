/* SPDX-License-Identifier: MIT */
/* Private to the store backends: the embedded migrations of one backend ("sqlite/",
 * "pg/"), in version order, and the loop that applies them one transaction each, after
 * checking that the database is not newer than them. */
#ifndef RCAUTH_STORE_MIGRATIONS_H
#define RCAUTH_STORE_MIGRATIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/embedded.h"
#include "store/store.h"

struct store_migration {
    const struct embedded_file *file;
    int64_t version; /* from the name: "pg/003_revoked_tokens.sql" → 3 */
    bool applied;    /* set by apply() when this run applied it */
};

/* Apply one migration in its own transaction, unless the store records its version as
 * applied; set m->applied when this call applied it. */
typedef int (*store_migration_apply_fn)(struct store *s, struct store_migration *m);

/* Every embedded migration of s's backend (s->ops->migrations), in version order, through
 * apply(), logging each one applied. RC_EINVAL (logged) when a name does not start with a
 * version; RC_ECONFLICT (logged), applying nothing, when the database records a version
 * newer than the newest embedded one. */
int store_migrations_run(struct store *s, store_migration_apply_fn apply) RC_MUST_CHECK;

#endif
