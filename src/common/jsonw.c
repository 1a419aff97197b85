/* SPDX-License-Identifier: MIT */
/* JSON writer: commas, nesting and string escaping for hand-shaped responses. */
#include "common/jsonw.h"
#include "common/swar.h"
#include "common/timeutil.h"

#include <string.h>

void jsonw_init(struct jsonw *w, struct buf *out)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
    if (!w->err)
        w->err = buf_append(w->out, s, n);
}

/* A value or key is about to be written at the current level. */
static void separate(struct jsonw *w)
{
    if (w->need_comma[w->depth])
        put(w, ",", 1);
    w->need_comma[w->depth] = true;
}

static void open(struct jsonw *w, char c)
{
    separate(w);
    put(w, &c, 1);
    if (w->depth + 1 >= JSONW_DEPTH) {
        w->err = RC_ELIMIT;
        return;
    }
    w->need_comma[++w->depth] = false;
}

static void close_(struct jsonw *w, char c)
{
    if (w->depth > 0)
        w->depth--;
    put(w, &c, 1);
}

void jsonw_object_begin(struct jsonw *w)
{
    open(w, '{');
}

void jsonw_object_end(struct jsonw *w)
{
    close_(w, '}');
}

void jsonw_array_begin(struct jsonw *w)
{
    open(w, '[');
}

void jsonw_array_end(struct jsonw *w)
{
    close_(w, ']');
}

void jsonw_key(struct jsonw *w, const char *key)
{
    separate(w);
    if (!w->err)
        w->err = json_escape_append(w->out, key, strlen(key));
    put(w, ":", 1);
    /* the value that follows must not add a comma */
    w->need_comma[w->depth] = false;
}

void jsonw_string_len(struct jsonw *w, const char *s, size_t len)
{
    separate(w);
    if (!w->err)
        w->err = json_escape_append(w->out, s, len);
}

void jsonw_string(struct jsonw *w, const char *s)
{
    jsonw_string_len(w, s, strlen(s));
}

/* Decimal digits by hand: formatting through vsnprintf cost more than the rest of a
 * small answer. */
void jsonw_int(struct jsonw *w, int64_t v)
{
    char digits[24];
    char *p = digits + sizeof(digits);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    separate(w);
    put(w, p, (size_t)(digits + sizeof(digits) - p));
}

void jsonw_bool(struct jsonw *w, bool v)
{
    separate(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(struct jsonw *w)
{
    separate(w);
    put(w, "null", 4);
}

void jsonw_raw(struct jsonw *w, const char *json)
{
    separate(w);
    put(w, json, strlen(json));
}

void jsonw_kv_string(struct jsonw *w, const char *key, const char *s)
{
    jsonw_key(w, key);
    jsonw_string(w, s);
}

void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v)
{
    jsonw_key(w, key);
    jsonw_int(w, v);
}

void jsonw_kv_bool(struct jsonw *w, const char *key, bool v)
{
    jsonw_key(w, key);
    jsonw_bool(w, v);
}

void jsonw_kv_time(struct jsonw *w, const char *key, int64_t t)
{
    jsonw_key(w, key);
    if (!t) {
        jsonw_null(w);
        return;
    }
    char iso[32];
    time_format_iso8601(t, iso, sizeof(iso));
    jsonw_string(w, iso);
}

int jsonw_finish(const struct jsonw *w)
{
    return w->err;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

/* Bytes that go into a JSON string as they are (RFC 8259 §7): printable ASCII but the quote
 * and the backslash. DEL is escaped too, as it always was here. A table: this is the inner
 * loop of every answer. */
static const bool plain[256] = {[' ' ... '!'] = true, ['#' ... '['] = true, [']' ... '~'] = true};

/* Whether all 8 bytes of w are plain: no byte below 0x20, none at 0x7f or above, no '"',
 * no '\\'. */
static bool word_is_plain(uint64_t w)
{
    uint64_t del_or_high =
        (w | (w + SWAR_ONES)) & SWAR_HIGH; /* no carry between bytes without a high bit */
    return (swar_bytes_below(w, 0x20) | del_or_high | swar_bytes_equal(w, '"') |
            swar_bytes_equal(w, '\\')) == 0;
}

/* The length of the run at s that needs no escaping: plain bytes and valid UTF-8; eight at
 * a time while they are plain ASCII (a JWT is). */
static size_t plain_run(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint64_t w;
        if (n - i >= sizeof(w)) {
            memcpy(&w, s + i, sizeof(w));
            if (word_is_plain(w)) {
                i += sizeof(w);
                continue;
            }
        }
        if (plain[s[i]]) {
            i++;
            continue;
        }
        size_t seq = s[i] >= 0x80 ? utf8_seq_len(s + i, n - i) : 0;
        if (!seq)
            break;
        i += seq;
    }
    return i;
}

/* Runs that need nothing are copied whole: a JWT or a scope is one run. */
int json_escape_append(struct buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    int rc = buf_append_char(out, '"');
    size_t i = 0;
    while (!rc && i < len) {
        size_t run = plain_run(p + i, len - i);
        if (run) {
            rc = buf_append(out, p + i, run);
            i += run;
            continue;
        }
        unsigned char c = p[i++];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            rc = buf_append(out, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = buf_append(out, esc, 6);
        } else {
            rc = buf_append(out, "\\ufffd", 6); /* not valid UTF-8 */
        }
    }
    if (!rc)
        rc = buf_append_char(out, '"');
    return rc;
}
