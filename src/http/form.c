/* SPDX-License-Identifier: MIT */
/* application/x-www-form-urlencoded parsing (WHATWG URL §5.1) and percent-decoding.
 * Stricter than WHATWG on purpose: a malformed %-escape or an encoded NUL is an error
 * instead of being kept literally, so that credentials are never silently altered.
 * Which parameters are allowed or required is the caller's business. */
#include "http/http.h"

#include "common/xmalloc.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int http_url_decode(char *s, bool plus_is_space)
{
    /* most values (tokens, ids) have nothing to decode: start at the first that has */
    char *out = s + strcspn(s, plus_is_space ? "%+" : "%");
    const char *in = out;

    for (; *in; in++) {
        if (*in == '+' && plus_is_space) {
            *out++ = ' ';
            continue;
        }
        if (*in != '%') {
            *out++ = *in;
            continue;
        }
        int hi = hex_value(in[1]);
        int lo = hi < 0 ? -1 : hex_value(in[2]);
        if (lo < 0 || (hi == 0 && lo == 0))
            return RC_EINVAL;
        *out++ = (char)(hi * 16 + lo);
        in += 2;
    }
    /* Zero what decoding freed, so that no encoded copy of a secret lingers after the
     * string (http_form_cleanup relies on it to find what to wipe). */
    memset(out, 0, (size_t)(in - out));
    return 0;
}

/* Items are separated by '&'; empty ones are skipped (WHATWG). */
static size_t count_items(const char *s, size_t len)
{
    const char *end = s + len;
    size_t n = 0;

    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        if (!amp)
            amp = end;
        if (amp > s)
            n++;
        s = amp + 1;
    }
    return n;
}

/* Split one NUL-terminated item at its first '=' and decode both halves in place. */
static int parse_item(char *item, struct http_kv *kv)
{
    char *eq = strchr(item, '=');
    int rc;

    kv->name = item;
    kv->value = "";
    if (eq) {
        *eq = '\0';
        kv->value = eq + 1;
    }
    rc = http_url_decode(item, true);
    if (rc == 0 && eq)
        rc = http_url_decode(eq + 1, true);
    return rc;
}

static int split_items(struct http_form *form, size_t len)
{
    char *p = form->storage;
    char *end = p + len;

    while (p < end) {
        char *amp = memchr(p, '&', (size_t)(end - p));
        char *next = amp ? amp + 1 : end;
        if (amp)
            *amp = '\0';
        if (*p) {
            int rc = parse_item(p, &form->items[form->n]);
            form->n++;
            if (rc)
                return rc;
        }
        p = next;
    }
    return 0;
}

int http_form_parse(const char *body, size_t len, struct http_form *form)
{
    int rc = 0;
    size_t n;

    memset(form, 0, sizeof(*form));
    if (memchr(body, '\0', len)) {
        rc = RC_EINVAL; /* a raw NUL would cut an item short without notice */
        goto out;
    }
    n = count_items(body, len);
    if (n > HTTP_FORM_MAX_ITEMS) {
        rc = RC_ELIMIT;
        goto out;
    }
    /* one block: the items, then the decoded copy they point into */
    form->items = xmalloc((n ? n : 1) * sizeof(*form->items) + len + 1);
    form->storage = (char *)(form->items + (n ? n : 1));
    memcpy(form->storage, body, len);
    form->storage[len] = '\0';
    rc = split_items(form, len);
out:
    if (rc && form->storage) {
        sodium_memzero(form->storage, len);
        form->n = 0;
    }
    if (rc)
        http_form_cleanup(form);
    return rc;
}

void http_form_cleanup(struct http_form *form)
{
    /* Form bodies carry client secrets. Decoding zeroes the bytes it frees, so the
     * parsed storage ends with the last item's value. */
    if (form->storage && form->n > 0) {
        const char *last = form->items[form->n - 1].value;
        if (!*last)
            last = form->items[form->n - 1].name;
        sodium_memzero(form->storage, (size_t)(last + strlen(last) - form->storage));
    }
    free(form->items); /* storage included */
    memset(form, 0, sizeof(*form));
}

const char *http_form_get(const struct http_form *form, const char *name, int *count)
{
    const char *first = NULL;
    int n = 0;

    for (size_t i = 0; i < form->n; i++) {
        if (strcmp(form->items[i].name, name) != 0)
            continue;
        if (!first)
            first = form->items[i].value;
        n++;
    }
    if (count)
        *count = n;
    return first;
}
