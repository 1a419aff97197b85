/* SPDX-License-Identifier: MIT */
/* Scopes (SPEC §2): what a token request may narrow to, and the canonical scope string
 * "campaign.read campaign.toggle env:*" — actions in catalog order, then environments. */
#ifndef RCAUTH_SCOPE_H
#define RCAUTH_SCOPE_H

#include <stdbool.h>

#include "common/buf.h"
#include "oauth/access_cache.h"
#include "oauth/catalog.h"
#include "store/store.h"

#define SCOPE_MAX_ITEMS 512

struct granted_scope {
    struct action_set actions;
    bool all_envs;
    char **envs; /* owned, when !all_envs */
    int nenvs;
};

void scope_cleanup(struct granted_scope *g);

/* What access a gets for the requested scope (NULL, "" or "*" = all it has). A list with
 * only actions keeps all its environments; with only env:<id> items, all its actions.
 * An env:<id> of an all-environments access must be an environment of its account (checked
 * in st). RC_EINVAL when anything asked for is outside the access (invalid_scope); the
 * store's error when that check could not be made. */
int scope_grant(const struct cached_access *a, const char *requested, struct store *st,
                struct granted_scope *out) RC_MUST_CHECK;

/* Append the canonical scope string: single spaces, no empty item. */
int scope_format(const struct granted_scope *g, struct buf *out) RC_MUST_CHECK;

/* Read a scope string back (from a token we signed). RC_EINVAL on an unknown action. */
int scope_parse(const char *scope, struct granted_scope *out) RC_MUST_CHECK;

#endif
