/* SPDX-License-Identifier: MIT */
/* Picks the backend for a location, and the helpers shared by every backend. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool store_location_is_pg(const char *location)
{
    return strncmp(location, "postgres://", 11) == 0 || strncmp(location, "postgresql://", 13) == 0;
}

int store_open(const char *location, struct store **out)
{
    if (store_location_is_pg(location))
        return store_pg_open(location, out);
    return store_sqlite_open(location, out);
}

/* "postgres://user:secret@host:5432/db?…" → "postgres://host:5432/db": the user part may
 * hold a password, and the query string may too (password=…). */
void store_location_describe(const char *location, char *out, size_t size)
{
    if (!store_location_is_pg(location)) {
        snprintf(out, size, "%s", location);
        return;
    }
    const char *scheme_end = strstr(location, "://") + 3;
    const char *host = scheme_end;
    size_t authority = strcspn(scheme_end, "/?#");
    const char *at = memrchr(scheme_end, '@', authority); /* the last: "@" may be in a password */
    if (at)
        host = at + 1;
    snprintf(out, size, "%.*s%.*s", (int)(scheme_end - location), location,
             (int)strcspn(host, "?#"), host);
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}

void store_access_cleanup(struct store_access *a)
{
    free(a->environments);
    free(a->actions);
    a->environments = NULL;
    a->actions = NULL;
}

void store_audit_event_cleanup(struct store_audit_event *e)
{
    free(e->detail);
    e->detail = NULL;
}
