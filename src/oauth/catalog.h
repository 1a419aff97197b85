/* SPDX-License-Identifier: MIT */
/* The action catalog of the Remote Control API (SPEC §5) and sets of actions as bitsets.
 * The catalog is process-wide: built-in actions, plus extensions added from the config
 * before any thread starts; read-only afterwards. */
#ifndef RCAUTH_CATALOG_H
#define RCAUTH_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/rc.h"

#define CATALOG_MAX 256

struct action_set {
    uint64_t bits[CATALOG_MAX / 64];
};

/* Number of actions in the catalog. */
int catalog_count(void);
/* Name of action i (0 ≤ i < catalog_count()), in catalog order. */
const char *catalog_name(int i);
/* Index of an action name, or -1. */
int catalog_find(const char *name, size_t len);
/* Add an action (lowercase words joined by '.' and '_'); RC_EINVAL for a bad name,
 * RC_ECONFLICT if present, RC_ELIMIT when full. Only before threads start. */
int catalog_add(const char *name) RC_MUST_CHECK;

void action_set_clear(struct action_set *s);
void action_set_add(struct action_set *s, int i);
bool action_set_has(const struct action_set *s, int i);
bool action_set_is_empty(const struct action_set *s);
/* true when every action of a is in b. */
bool action_set_is_subset(const struct action_set *a, const struct action_set *b);
/* Parse names separated by single or multiple spaces. RC_EINVAL on an unknown name; then
 * *bad (if not NULL) points at it within s and *bad_len is its length. */
int action_set_parse(const char *s, struct action_set *out, const char **bad,
                     size_t *bad_len) RC_MUST_CHECK;
/* Append the names in catalog order separated by one space. */
int action_set_format(const struct action_set *s, struct buf *out) RC_MUST_CHECK;

#endif
