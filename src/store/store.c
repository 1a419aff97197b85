/* SPDX-License-Identifier: MIT */
/* Picks the backend for a location, refuses locations that are neither a PostgreSQL URL nor
 * a file path, says where a store is without its secrets, and the helpers shared by every
 * backend. A location may carry a password, so no message here ever holds one whole. */
#include "store/store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Length of location's "scheme://" prefix (RFC 3986 §3.1: a letter, then letters, digits,
 * '+', '-', '.'); 0 when it has none. */
static size_t scheme_prefix(const char *location)
{
    size_t n = 0;
    if (!isalpha((unsigned char)location[0]))
        return 0;
    while (isalnum((unsigned char)location[n]) || strchr("+-.", location[n]))
        n++;
    return strncmp(location + n, "://", 3) == 0 ? n + 3 : 0;
}

bool store_location_is_pg(const char *location)
{
    return strncasecmp(location, "postgres://", 11) == 0 ||
           strncasecmp(location, "postgresql://", 13) == 0;
}

int store_location_check(const char *location, char *why, size_t size)
{
    size_t scheme = scheme_prefix(location);
    if (store_location_is_pg(location))
        return store_pg_url_check(location, why, size);
    if (scheme) {
        size_t name = scheme - 3 > 20 ? 20 : scheme - 3;
        snprintf(why, size,
                 "--db: unsupported scheme '%.*s' (a postgres:// URL or a SQLite file path)",
                 (int)name, location);
        return RC_EINVAL;
    }
    /* "host=… password=… dbname=…" would otherwise become a SQLite file named after it */
    if (location[strcspn(location, "=/")] == '=') {
        snprintf(why, size, "--db looks like a libpq key=value string: give a postgres:// URL");
        return RC_EINVAL;
    }
    return 0;
}

int store_open(const char *location, struct store **out)
{
    char why[256];
    if (store_location_check(location, why, sizeof(why)))
        return RC_EINVAL;
    if (store_location_is_pg(location))
        return store_pg_open(location, out);
    return store_sqlite_open(location, out);
}

/* "postgres://user:secret@host:5432/db?…" → "postgres://host:5432/db": the user part may
 * hold a password, and the query string may too (password=…). The user part ends at the
 * first '@' before any '/', as libpq reads it; store_pg_url_check() refuses URLs that this
 * reading would get wrong. */
void store_location_describe(const char *location, char *out, size_t size)
{
    if (!store_location_is_pg(location)) {
        if (strchr(location, '@'))
            snprintf(out, size, "(a path holding '@', not shown)");
        else
            snprintf(out, size, "%s", location);
        return;
    }
    const char *scheme_end = strstr(location, "://") + 3;
    const char *host = scheme_end + strcspn(scheme_end, "@/");
    host = *host == '@' ? host + 1 : scheme_end;
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
