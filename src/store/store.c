/* SPDX-License-Identifier: MIT */
/* Picks the backend for a location, and the helpers shared by every backend. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

int store_open(const char *location, struct store **out)
{
    if (strncmp(location, "postgres://", 11) == 0 || strncmp(location, "postgresql://", 13) == 0)
        return RC_EINVAL; /* the PostgreSQL backend comes with its own issue */
    return store_sqlite_open(location, out);
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
