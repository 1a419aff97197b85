/* SPDX-License-Identifier: MIT */
/* Files compiled into the binary by scripts/embed.py (SQL migrations, panel assets). */
#ifndef RCAUTH_EMBEDDED_H
#define RCAUTH_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
    const char *name; /* last two path parts, e.g. "sqlite/001_init.sql", "web/panel.js" */
    const char *data; /* NUL-terminated */
    size_t len;
    const char *sha256; /* lowercase hex SHA-256 of data (the panel's ETags) */
};

/* The SQL migrations, sorted by name; the table ends with a NULL name. */
extern const struct embedded_file store_migration_files[];
extern const size_t store_migration_count;

/* The panel's assets (web/), sorted by name; the table ends with a NULL name. */
extern const struct embedded_file admin_panel_files[];
extern const size_t admin_panel_count;

#endif
