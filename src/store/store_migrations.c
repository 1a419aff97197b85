/* SPDX-License-Identifier: MIT */
/* The embedded migrations of a backend, in version order, applied one at a time, never to a
 * database that a newer rcauth migrated; how a migration is applied and recorded is the
 * backend's business. */
#include "store/store_migrations.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "<prefix>001_init.sql" → 1; 0 when the base name does not start with digits and '_'. */
static int64_t migration_version(const char *base)
{
    if (*base < '0' || *base > '9')
        return 0;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(base, &end, 10);
    if (errno != 0 || *end != '_')
        return 0;
    return v;
}

static int migration_cmp(const void *a, const void *b)
{
    const struct store_migration *x = a, *y = b;
    return strcmp(x->file->name, y->file->name);
}

int64_t store_schema_known(const struct store *s)
{
    const char *prefix = s->ops->migrations;
    size_t plen = strlen(prefix);
    int64_t newest = 0;
    for (size_t i = 0; i < store_migration_count; i++) {
        const char *name = store_migration_files[i].name;
        int64_t v = strncmp(name, prefix, plen) == 0 ? migration_version(name + plen) : 0;
        if (v > newest)
            newest = v;
    }
    return newest;
}

/* A database migrated by a newer rcauth may hold what this one would misread or undo. */
static int check_not_newer(struct store *s)
{
    int64_t have = 0, known = store_schema_known(s);
    int rc = s->ops->schema_version(s, &have);
    if (rc == 0 && have > known) {
        char h[24], k[24];
        snprintf(h, sizeof(h), "%lld", (long long)have);
        snprintf(k, sizeof(k), "%lld", (long long)known);
        log_msg(LOG_ERROR, "the database schema is newer than this rcauth: upgrade rcauth",
                "schema_version", h, "known_version", k, NULL);
        rc = RC_ECONFLICT;
    }
    return rc;
}

int store_migrations_run(struct store *s, store_migration_apply_fn apply)
{
    const char *prefix = s->ops->migrations;
    struct store_migration *list = xcalloc(store_migration_count + 1, sizeof(*list));
    size_t n = 0, plen = strlen(prefix);
    int rc = check_not_newer(s);
    for (size_t i = 0; i < store_migration_count && !rc; i++) {
        const struct embedded_file *f = &store_migration_files[i];
        if (strncmp(f->name, prefix, plen) != 0)
            continue;
        list[n] = (struct store_migration){.file = f, .version = migration_version(f->name + plen)};
        if (list[n].version <= 0) {
            log_msg(LOG_ERROR, "bad migration name", "name", f->name, NULL);
            rc = RC_EINVAL;
            goto out;
        }
        n++;
    }
    qsort(list, n, sizeof(*list), migration_cmp);
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = apply(s, &list[i]);
        if (rc == 0 && list[i].applied)
            log_msg(LOG_INFO, "migration applied", "name", list[i].file->name, NULL);
    }
out:
    free(list);
    return rc;
}
