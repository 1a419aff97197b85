/* SPDX-License-Identifier: MIT */
/* The action catalog (SPEC §5) and action bitsets. The built-in names come first, in the
 * spec's order, which is also the order scopes list them in. */
#include "oauth/catalog.h"

#include <string.h>

static const char *const builtin[] = {
    "project.list",
    "project.create",
    "project.read",
    "project.update",
    "project.toggle",
    "project.delete",
    "campaign.list",
    "campaign.create",
    "campaign.read",
    "campaign.update",
    "campaign.toggle",
    "campaign.delete",
    "variation_group.list",
    "variation_group.create",
    "variation_group.read",
    "variation_group.update",
    "variation_group.delete",
    "variation.list",
    "variation.create",
    "variation.read",
    "variation.update",
    "variation.delete",
    "flag.list",
    "flag.create",
    "flag.read",
    "flag.update",
    "flag.delete",
    "flag_usage.list",
    "flag_usage.create",
    "goal.list",
    "goal.create",
    "goal.read",
    "goal.update",
    "goal.delete",
    "targeting_key.list",
    "targeting_key.create",
    "targeting_key.read",
    "targeting_key.update",
    "targeting_key.delete",
    "environment.list",
    "environment.read",
    "environment.panic",
    "environment.user.list",
    "environment.user.put",
    "environment.user.delete",
};

#define BUILTIN_COUNT ((int)(sizeof(builtin) / sizeof(builtin[0])))
#define ACTION_NAME_MAX 64

/* Extensions from the config; written before threads start, read-only after. */
static char extra[CATALOG_MAX - BUILTIN_COUNT][ACTION_NAME_MAX + 1];
static int extra_count;

int catalog_count(void)
{
    return BUILTIN_COUNT + extra_count;
}

const char *catalog_name(int i)
{
    return i < BUILTIN_COUNT ? builtin[i] : extra[i - BUILTIN_COUNT];
}

int catalog_find(const char *name, size_t len)
{
    for (int i = 0; i < catalog_count(); i++) {
        const char *n = catalog_name(i);
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return i;
    }
    return -1;
}

/* Lowercase words joined by '.', words of [a-z0-9_]; at least two words. */
static bool is_valid_action_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ACTION_NAME_MAX || s[0] == '.' || s[n - 1] == '.' || !strchr(s, '.'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                  (c == '.' && s[i + 1] != '.');
        if (!ok)
            return false;
    }
    return true;
}

int catalog_add(const char *name)
{
    if (!is_valid_action_name(name))
        return RC_EINVAL;
    if (catalog_find(name, strlen(name)) >= 0)
        return RC_ECONFLICT;
    if (catalog_count() >= CATALOG_MAX)
        return RC_ELIMIT;
    memcpy(extra[extra_count++], name, strlen(name) + 1);
    return 0;
}

void action_set_clear(struct action_set *s)
{
    memset(s, 0, sizeof(*s));
}

void action_set_add(struct action_set *s, int i)
{
    s->bits[i / 64] |= (uint64_t)1 << (i % 64);
}

bool action_set_has(const struct action_set *s, int i)
{
    return (s->bits[i / 64] >> (i % 64)) & 1;
}

bool action_set_is_empty(const struct action_set *s)
{
    for (int i = 0; i < CATALOG_MAX / 64; i++)
        if (s->bits[i])
            return false;
    return true;
}

bool action_set_is_subset(const struct action_set *a, const struct action_set *b)
{
    for (int i = 0; i < CATALOG_MAX / 64; i++)
        if (a->bits[i] & ~b->bits[i])
            return false;
    return true;
}

int action_set_parse(const char *s, struct action_set *out, const char **bad, size_t *bad_len)
{
    action_set_clear(out);
    while (*s) {
        while (*s == ' ')
            s++;
        size_t len = strcspn(s, " ");
        if (!len)
            break;
        int i = catalog_find(s, len);
        if (i < 0) {
            if (bad)
                *bad = s;
            if (bad_len)
                *bad_len = len;
            return RC_EINVAL;
        }
        action_set_add(out, i);
        s += len;
    }
    return 0;
}

int action_set_format(const struct action_set *s, struct buf *out)
{
    bool first = true;
    int rc = 0;
    for (int i = 0; i < catalog_count() && !rc; i++) {
        if (!action_set_has(s, i))
            continue;
        if (!first)
            rc = buf_append_char(out, ' ');
        if (!rc)
            rc = buf_append_str(out, catalog_name(i));
        first = false;
    }
    return rc;
}
