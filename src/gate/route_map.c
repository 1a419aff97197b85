/* SPDX-License-Identifier: MIT */
/* The Remote Control API route table of SPEC §9 and the mapper over it. The path is cut
 * into segments that point into the caller's string (no copy, no allocation) and matched
 * against each row in order; the first row whose segments match decides, and a method it
 * has no action for is a denial, never a fall-through to a later row. That is what keeps
 * "flags/usage" from ever meaning flag.read of a flag called "usage" (SPEC §12). */
#include "gate/gate.h"

#include <stdbool.h>
#include <string.h>

/* The longest route, A + account_environments/{env}/campaigns/{c}/variation_groups/{vg}/
 * variations/{id}, has 11 segments. A longer path matches nothing, so it is not split. */
#define MAX_SEGMENTS 11

/* RFC 9110 §9.3.4 and RFC 5789: PUT and PATCH both ask for the update action; HEAD is GET
 * without a body (§9.3.2). */
enum verb { VERB_GET, VERB_POST, VERB_UPDATE, VERB_DELETE };

struct row {
    /* Segments after /v1/accounts/{account_id}/: a literal, "{}" (any id) or "{env}" (the
     * environment id, which the token must cover). */
    const char *pattern;
    /* The action of each method column; NULL: that method is not in the table. */
    const char *get, *post, *update, *del;
};

#define E "account_environments/{env}/"
/* A resource's two rows: its collection and its items. */
#define COLLECTION(path, res) path, res ".list", res ".create", NULL, NULL
#define ITEM(path, res) path "/{}", res ".read", NULL, res ".update", res ".delete"

/* SPEC §9, row by row. Literal rows come before the "{}" rows they overlap (flags/usage
 * before flags/{}): the first match decides. */
static const struct row rows[] = {
    {COLLECTION("projects", "project")},
    {ITEM("projects", "project")},
    {"projects/{}/toggle", NULL, NULL, "project.toggle", NULL},
    {"flags/usage", "flag_usage.list", "flag_usage.create", NULL, NULL},
    {COLLECTION("flags", "flag")},
    {ITEM("flags", "flag")},
    {COLLECTION("targeting_keys", "targeting_key")},
    {ITEM("targeting_keys", "targeting_key")},
    {"account_environments", "environment.list", NULL, NULL, NULL},
    {"account_environments/{env}", "environment.read", NULL, NULL, NULL},
    {E "flags_usage", "flag_usage.list", "flag_usage.create", NULL, NULL},
    {E "panic", NULL, NULL, "environment.panic", NULL},
    {E "users", "environment.user.list", NULL, "environment.user.put", "environment.user.delete"},
    {COLLECTION(E "campaigns", "campaign")},
    {ITEM(E "campaigns", "campaign")},
    {E "campaigns/{}/toggle", NULL, NULL, "campaign.toggle", NULL},
    {COLLECTION(E "goals", "goal")},
    {ITEM(E "goals", "goal")},
    {COLLECTION(E "campaigns/{}/variation_groups", "variation_group")},
    {ITEM(E "campaigns/{}/variation_groups", "variation_group")},
    {COLLECTION(E "campaigns/{}/variation_groups/{}/variations", "variation")},
    {ITEM(E "campaigns/{}/variation_groups/{}/variations", "variation")},
};

static const char *action_of(const struct row *r, enum verb v)
{
    switch (v) {
    case VERB_GET:
        return r->get;
    case VERB_POST:
        return r->post;
    case VERB_UPDATE:
        return r->update;
    default:
        return r->del;
    }
}

struct span {
    const char *p;
    size_t n;
};

static int verb_of(const char *method)
{
    static const struct {
        const char *name;
        enum verb verb;
    } verbs[] = {{"GET", VERB_GET},    {"HEAD", VERB_GET},     {"POST", VERB_POST},
                 {"PUT", VERB_UPDATE}, {"PATCH", VERB_UPDATE}, {"DELETE", VERB_DELETE}};
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (!strcmp(method, verbs[i].name))
            return (int)verbs[i].verb;
    return -1;
}

/* RFC 3986 §2.3 unreserved characters: the only ones a segment may hold. Anything else,
 * '%' first, could be decoded or reinterpreted by the upstream into a path the gate did
 * not check. */
static bool is_unreserved(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* A segment an upstream would keep as it is: non-empty, unreserved characters only, and
 * not "." or ".." (RFC 3986 §5.2.4 would remove those). */
static bool segment_is_plain(const char *s, size_t n)
{
    if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_unreserved(s[i]))
            return false;
    return true;
}

/* Split the path of uri (up to '?') into segs; the count, or -1 when the path is not
 * "/" followed by plain segments, or has more than max of them. */
static int split_path(const char *uri, struct span *segs, int max)
{
    const char *end = uri + strcspn(uri, "?");
    const char *p = uri;
    int n = 0;

    if (*p != '/')
        return -1;
    while (p < end) {
        const char *s = ++p;
        while (p < end && *p != '/')
            p++;
        if (n == max || !segment_is_plain(s, (size_t)(p - s)))
            return -1;
        segs[n].p = s;
        segs[n].n = (size_t)(p - s);
        n++;
    }
    return n;
}

static bool span_is(struct span s, const char *lit, size_t n)
{
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Whether segs match pattern exactly; *env receives the "{env}" segment index, or -1. */
static bool row_matches(const char *pattern, const struct span *segs, int n, int *env)
{
    const char *p = pattern;
    int i = 0;

    *env = -1;
    for (;; i++) {
        size_t len = strcspn(p, "/");
        if (i == n)
            return false;
        if (span_is((struct span){p, len}, "{env}", 5))
            *env = i;
        else if (!span_is((struct span){p, len}, "{}", 2) && !span_is(segs[i], p, len))
            return false;
        if (p[len] == '\0')
            return i + 1 == n;
        p += len + 1;
    }
}

/* Copy an account or environment id; false when it cannot be one (SPEC §1: 64 chars). */
static bool copy_id(struct span s, char out[STORE_ID_SIZE])
{
    if (s.n >= STORE_ID_SIZE)
        return false;
    memcpy(out, s.p, s.n);
    out[s.n] = '\0';
    return true;
}

int gate_route_map(const char *method, const char *uri, struct gate_route *out)
{
    struct span segs[MAX_SEGMENTS];
    int verb = verb_of(method);
    int n = split_path(uri, segs, MAX_SEGMENTS);

    memset(out, 0, sizeof(*out));
    /* "/v1/accounts/{account_id}/" and at least one more segment. */
    if (verb < 0 || n < 4 || !span_is(segs[0], "v1", 2) || !span_is(segs[1], "accounts", 8) ||
        !copy_id(segs[2], out->account_id))
        return RC_ENOTFOUND;
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        int env;
        if (!row_matches(rows[r].pattern, segs + 3, n - 3, &env))
            continue;
        out->action = action_of(&rows[r], (enum verb)verb);
        if (!out->action || (env >= 0 && !copy_id(segs[3 + env], out->env_id)))
            break;
        return 0;
    }
    memset(out, 0, sizeof(*out));
    return RC_ENOTFOUND;
}
