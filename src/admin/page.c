/* SPDX-License-Identifier: MIT */
/* Query parameters of admin lists: _page and _max_per_page (the Remote Control API's
 * convention, SPEC §6) and boolean flags such as include_revoked. Pure functions over the
 * raw values; the handlers fetch them from the request. */
#include "admin/admin.h"

#include <stdio.h>
#include <string.h>

#define PAGE_LIMIT 1000000000LL /* keeps (page - 1) * per_page far from overflow */

static int fail(char *err, size_t errsz, const char *field, const char *why)
{
    if (errsz)
        snprintf(err, errsz, "%s: %s", field, why);
    return RC_EINVAL;
}

/* A plain decimal integer in [min, max]: digits only, no sign, no spaces. */
static int parse_int(const char *field, const char *s, int count, int64_t min, int64_t max,
                     int64_t *out, char *err, size_t errsz)
{
    int64_t v = 0;
    if (count > 1)
        return fail(err, errsz, field, "given more than once");
    if (*s == '\0' || strspn(s, "0123456789") != strlen(s))
        return fail(err, errsz, field, "must be an integer");
    for (const char *p = s; *p && v <= max; p++)
        v = v * 10 + (*p - '0');
    if (v < min || v > max) {
        char why[64];
        snprintf(why, sizeof(why), "must be between %lld and %lld", (long long)min, (long long)max);
        return fail(err, errsz, field, why);
    }
    *out = v;
    return 0;
}

int admin_page_parse(const char *page, int page_count, const char *per_page, int per_page_count,
                     struct admin_page *out, char *err, size_t errsz)
{
    int rc;
    out->page = 1;
    out->per_page = ADMIN_PAGE_DEFAULT;
    if (page) {
        rc = parse_int("_page", page, page_count, 1, PAGE_LIMIT, &out->page, err, errsz);
        if (rc)
            return rc;
    }
    if (per_page) {
        rc = parse_int("_max_per_page", per_page, per_page_count, 1, ADMIN_PAGE_MAX, &out->per_page,
                       err, errsz);
        if (rc)
            return rc;
    }
    out->offset = (out->page - 1) * out->per_page;
    return 0;
}

int admin_bool_parse(const char *field, const char *value, int count, bool *out, char *err,
                     size_t errsz)
{
    *out = false;
    if (!value)
        return 0;
    if (count > 1)
        return fail(err, errsz, field, "given more than once");
    if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
        return 0;
    return fail(err, errsz, field, "must be true or false");
}
