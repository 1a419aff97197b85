/* SPDX-License-Identifier: MIT */
/* The PostgreSQL URL, and the secrets it carries: checking that libpq reads it as its writer
 * meant it (so that no part of a password ends up as a host, port or database name, which
 * libpq's messages quote), and redacting its user, password and whole text from every
 * message that libpq writes (a server's "password authentication failed for user …", a
 * parse error quoting the URL). SPEC §7: never a secret in a log line. */
#include "store/store_pg_int.h"
#include "common/xmalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

char *store_pg_url_normalize(const char *url)
{
    /* libpq knows the schemes in lower case only (RFC 3986 §3.1: any case) */
    char *copy = xstrdup(url);
    for (char *p = copy; *p && *p != ':'; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

/* libpq's URL parse errors (fe-connect.c) quote the URL or a part of it: say what they mean
 * in our words instead. */
static const struct {
    const char *libpq;
    const char *ours;
} parse_errors[] = {
    {"IPv6 host address may not be empty", "an IPv6 host address is empty"},
    {"IPv6", "an IPv6 host address lacks its closing ']'"},
    {"unexpected character", "an unexpected character follows the host"},
    {"extra key/value separator", "a query parameter has more than one '='"},
    {"missing key/value separator", "a query parameter has no '='"},
    {"invalid URI query parameter", "a query parameter is not a libpq connection parameter"},
    {"percent-encoded", "a '%' is not followed by two hex digits, or encodes a NUL"},
};

static void parse_error(const char *err, char *why, size_t size)
{
    const char *what = "libpq cannot parse it";
    for (size_t i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
        if (err && strstr(err, parse_errors[i].libpq)) {
            what = parse_errors[i].ours;
            break;
        }
    }
    const char *at = err ? strstr(err, "at position ") : NULL;
    long pos = at ? strtol(at + 12, NULL, 10) : 0; /* libpq counts from 1 */
    if (pos > 0)
        snprintf(why, size, "the --db URL is malformed: %s (character %ld)", what, pos);
    else
        snprintf(why, size, "the --db URL is malformed: %s", what);
}

/* Every element of a comma-separated port list is digits (or empty: the default). */
static bool ports_are_numbers(const char *ports)
{
    for (const char *p = ports; *p; p++)
        if (*p != ',' && !isdigit((unsigned char)*p))
            return false;
    return true;
}

/* libpq ends the user part at the first '@' or '/': a password holding one of them unencoded
 * leaves the rest as host, port or database ("postgres://u:p@ss@h/db" has host "ss@h"), and
 * a URL without '@' takes "user:password" for host and port. */
static const char *misread(const PQconninfoOption *opts)
{
    for (const PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val)
            continue;
        if ((!strcmp(o->keyword, "host") || !strcmp(o->keyword, "dbname")) && strchr(o->val, '@'))
            return "its host or database name holds '@' (in a user or password, write @ as %40 "
                   "and / as %2F)";
        if (!strcmp(o->keyword, "port") && !ports_are_numbers(o->val))
            return "its port is not a number (user:password@ goes before the host)";
    }
    return NULL;
}

int store_pg_url_check(const char *url, char *why, size_t size)
{
    char *conninfo = store_pg_url_normalize(url);
    char *err = NULL;
    int rc = 0;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    const char *wrong = opts ? misread(opts) : NULL;
    if (!opts) {
        parse_error(err, why, size);
        rc = RC_EINVAL;
    } else if (wrong) {
        snprintf(why, size, "the --db URL is malformed: %s", wrong);
        rc = RC_EINVAL;
    }
    PQconninfoFree(opts);
    PQfreemem(err);
    free(conninfo);
    return rc;
}

/* ---- redaction ------------------------------------------------------------------------- */

static void redact_add(struct pg_redact *r, const char *v, size_t len)
{
    if (len == 0 || r->n == PG_REDACT_MAX)
        return;
    for (int i = 0; i < r->n; i++)
        if (strlen(r->items[i]) == len && !memcmp(r->items[i], v, len))
            return;
    r->items[r->n++] = xstrndup(v, len);
}

static int longest_first(const void *a, const void *b)
{
    size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);
    return x < y ? 1 : x > y ? -1 : 0;
}

void store_pg_redact_init(struct pg_redact *r, const char *url)
{
    memset(r, 0, sizeof(*r));
    redact_add(r, url, strlen(url));
    char *conninfo = store_pg_url_normalize(url);
    redact_add(r, conninfo, strlen(conninfo));
    /* as written (percent-encoded): the user part, up to libpq's first '@' before a '/' */
    const char *start = strstr(conninfo, "://");
    if (start) {
        start += 3;
        size_t n = strcspn(start, "@/");
        if (start[n] == '@') {
            size_t user = strcspn(start, ":@");
            redact_add(r, start, n);
            redact_add(r, start, user);
            if (user < n)
                redact_add(r, start + user + 1, n - user - 1);
        }
    }
    /* as libpq uses them (decoded; the query's user= and password= win) */
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (o->val && (!strcmp(o->keyword, "user") || !strcmp(o->keyword, "password")))
            redact_add(r, o->val, strlen(o->val));
    PQconninfoFree(opts);
    free(conninfo);
    qsort(r->items, (size_t)r->n, sizeof(r->items[0]), longest_first);
}

void store_pg_redact_cleanup(struct pg_redact *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->items[i]);
    memset(r, 0, sizeof(*r));
}

void store_pg_redact(const struct pg_redact *r, const char *in, char *out, size_t size)
{
    size_t o = 0;
    while (*in && *in != '\n' && o + 1 < size) {
        int hit = -1;
        for (int i = 0; i < r->n && hit < 0; i++)
            if (!strncmp(in, r->items[i], strlen(r->items[i])))
                hit = i;
        if (hit < 0) {
            out[o++] = *in++;
            continue;
        }
        in += strlen(r->items[hit]);
        for (const char *m = "***"; *m && o + 1 < size; m++)
            out[o++] = *m;
    }
    out[o] = '\0';
}
