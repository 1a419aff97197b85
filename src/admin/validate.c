/* SPDX-License-Identifier: MIT */
/* Validation of what admins send (SPEC §1): names, ids, action lists, environment lists.
 * Pure functions: whether an environment belongs to an account is checked by service.c. */
#include "admin/admin.h"

#include <stdio.h>
#include <string.h>

#include "common/ids.h"

#define ECHO_MAX 64 /* at most this many bytes of a bad value are quoted back */

static const char *const reserved[] = {"admin",   "token",  "authorize",
                                       "healthz", "readyz", "metrics"};

static int fail(char *err, size_t errsz, const char *field, const char *why)
{
    if (errsz)
        snprintf(err, errsz, "%s: %s", field, why);
    return RC_EINVAL;
}

/* Length of the UTF-8 sequence starting at s (at most left bytes) and its code point, or 0
 * when it is not a valid, shortest-form encoding (RFC 3629 §4). */
static size_t utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
    size_t n;
    uint32_t min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2, min = 0x80, *cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3, min = 0x800, *cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, *cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* Code points of s, or -1 when invalid; *control set when a control character is met. */
static long utf8_scan(const char *s, size_t len, bool *control)
{
    const unsigned char *p = (const unsigned char *)s;
    long count = 0;
    *control = false;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n == 0)
            return -1;
        if (is_control(cp))
            *control = true;
        i += n;
        count++;
    }
    return count;
}

long admin_utf8_length(const char *s, size_t len)
{
    bool control;
    return utf8_scan(s, len, &control);
}

int admin_check_name(const char *field, const char *s, size_t len, char *err, size_t errsz)
{
    bool control;
    long n = utf8_scan(s, len, &control);
    if (n < 0)
        return fail(err, errsz, field, "must be valid UTF-8");
    if (n < 1 || n > ADMIN_NAME_MAX_CHARS)
        return fail(err, errsz, field, "must be 1 to 200 characters");
    if (control)
        return fail(err, errsz, field, "must not contain control characters");
    return 0;
}

bool admin_id_is_reserved(const char *id)
{
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(id, reserved[i]) == 0)
            return true;
    return false;
}

int admin_check_id(const char *field, const char *id, bool reserved_too, char *err, size_t errsz)
{
    if (!id_is_valid_name_id(id))
        return fail(err, errsz, field, "must be 1 to 64 characters of A-Z a-z 0-9 _ -");
    if (reserved_too && admin_id_is_reserved(id))
        return fail(err, errsz, field, "is a reserved word");
    return 0;
}

/* "<field>: <why> "<value>"", the value cut to ECHO_MAX bytes. */
static int fail_value(char *err, size_t errsz, const char *field, const char *why,
                      const char *value, size_t len)
{
    if (errsz)
        snprintf(err, errsz, "%s: %s \"%.*s\"", field, why, (int)(len > ECHO_MAX ? ECHO_MAX : len),
                 value);
    return RC_EINVAL;
}

int admin_actions_parse(const char *const *names, size_t n, struct action_set *out, char *err,
                        size_t errsz)
{
    action_set_clear(out);
    if (n == 0)
        return fail(err, errsz, "actions", "at least one action is required");
    if (n > ADMIN_MAX_LIST_ITEMS)
        return fail(err, errsz, "actions", "too many items");
    for (size_t i = 0; i < n; i++) {
        int idx = catalog_find(names[i], strlen(names[i]));
        if (idx < 0)
            return fail_value(err, errsz, "actions", "unknown action", names[i], strlen(names[i]));
        action_set_add(out, idx);
    }
    return 0;
}

static bool seen_before(const char *const *ids, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(ids[j], ids[i]) == 0)
            return true;
    return false;
}

int admin_envs_join(const char *const *ids, size_t n, struct buf *out, char *err, size_t errsz)
{
    if (n > ADMIN_MAX_LIST_ITEMS)
        return fail(err, errsz, "environments", "too many items");
    for (size_t i = 0; i < n; i++) {
        if (!id_is_valid_name_id(ids[i]))
            return fail_value(err, errsz, "environments", "unknown environment", ids[i],
                              strlen(ids[i]));
        if (seen_before(ids, i))
            continue;
        if ((out->len && buf_append_char(out, ' ')) || buf_append_str(out, ids[i]))
            return fail(err, errsz, "environments", "too long");
    }
    return 0;
}
