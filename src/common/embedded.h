/* SPDX-License-Identifier: MIT */
/* Files compiled into the binary by scripts/embed.py (SQL migrations, panel assets). */
#ifndef RCAUTH_EMBEDDED_H
#define RCAUTH_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
    const char *name; /* last two path parts, e.g. "sqlite/001_init.sql" */
    const char *data; /* NUL-terminated */
    size_t len;
};

/* The SQL migrations, sorted by name; the table ends with a NULL name. */
extern const struct embedded_file store_migration_files[];
extern const size_t store_migration_count;

#endif
