/* SPDX-License-Identifier: MIT */
/* Unit tests of the JSON string escaping (common/jsonw.c), which copies runs of bytes that
 * need no escape whole: the escapes of RFC 8259 §7 for quotes, backslashes and control
 * bytes, valid UTF-8 kept, invalid UTF-8 (stray continuation bytes, overlong forms,
 * surrogates, cut sequences) replaced by U+FFFD; the same output as a byte-at-a-time
 * reference on random inputs; and the buffer's cap (common/buf.c) honoured at any size. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/jsonw.h"

static char *escaped(const char *s, size_t len)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(json_escape_append(&b, s, len), 0);
    return buf_steal(&b);
}

static void expect(const char *in, size_t len, const char *want)
{
    char *got = escaped(in, len);
    assert_string_equal(got, want);
    free(got);
}

#define EXPECT(lit, want) expect(lit, sizeof(lit) - 1, want)

static void test_escapes(void **state)
{
    (void)state;
    EXPECT("", "\"\"");
    EXPECT("eyJhbGciOiJFZERTQSJ9.e30.c2ln", "\"eyJhbGciOiJFZERTQSJ9.e30.c2ln\"");
    EXPECT("a\"b\\c", "\"a\\\"b\\\\c\"");
    EXPECT("\x01\n\x1f\x7f", "\"\\u0001\\u000a\\u001f\\u007f\"");
    EXPECT("\0x", "\"\\u0000x\"");
    EXPECT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
           "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    EXPECT("a\x80z", "\"a\\ufffdz\"");                              /* a stray continuation byte */
    EXPECT("\xc0\xaf", "\"\\ufffd\\ufffd\"");                       /* an overlong '/' */
    EXPECT("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");            /* a UTF-16 surrogate */
    EXPECT("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* past U+10FFFF */
    EXPECT("ok\xe2\x82", "\"ok\\ufffd\\ufffd\"");                   /* cut at the end */
    EXPECT("\xe2\x82z", "\"\\ufffd\\ufffdz\"");                     /* cut before an ASCII byte */
    EXPECT("\xff\xfe", "\"\\ufffd\\ufffd\"");
}

/* The escaping as it was written before runs: one byte (or sequence) at a time. */
static size_t ref_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
    else
        return 0;
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

static void reference(const unsigned char *p, size_t len, struct buf *out)
{
    static const char hex[] = "0123456789abcdef";
    assert_int_equal(buf_append_char(out, '"'), 0);
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        size_t n = c >= 0x80 ? ref_utf8_len(p + i, len - i) : 1;
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (c == '"' || c == '\\') {
            char two[2] = {'\\', (char)c};
            assert_int_equal(buf_append(out, two, 2), 0);
        } else if (c < 0x20 || c == 0x7f) {
            assert_int_equal(buf_append(out, esc, 6), 0);
        } else if (n) {
            assert_int_equal(buf_append(out, p + i, n), 0);
            i += n;
            continue;
        } else {
            assert_int_equal(buf_append(out, "\\ufffd", 6), 0);
        }
        i++;
    }
    assert_int_equal(buf_append_char(out, '"'), 0);
}

static void test_same_as_byte_at_a_time(void **state)
{
    (void)state;
    /* bytes drawn mostly from the interesting ones, so that sequences do form; in every
     * other round mostly plain ones, so that whole words are plain or have one odd byte at
     * any place (the test of eight bytes at once) */
    static const unsigned char pool[] = {'a',  'Z',  '.',  ' ',  '"',  '\\', 0x00, 0x1f,
                                         0x7f, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef,
                                         0xf0, 0xf4, 0xf5, 0xa0, 0x9f, 0x90, 0x8f, 0x20,
                                         0x21, 0x23, 0x5b, 0x5d, 0x7e, 0x01, 0xff};
    unsigned seed = 42;
    unsigned char in[64];
    for (int round = 0; round < 40000; round++) {
        size_t len = (size_t)(rand_r(&seed) % sizeof(in));
        for (size_t i = 0; i < len; i++) {
            unsigned r = (unsigned)rand_r(&seed);
            bool odd = round % 2 == 0 || r % 16 == 0;
            in[i] = odd ? pool[(r >> 4) % sizeof(pool)] : (unsigned char)(0x20 + (r >> 4) % 0x5f);
        }
        struct buf want;
        buf_init(&want, 1 << 16);
        reference(in, len, &want);
        char *got = escaped((const char *)in, len);
        assert_string_equal(got, buf_str(&want));
        free(got);
        buf_cleanup(&want);
    }
}

static void test_buffer_cap(void **state)
{
    (void)state;
    for (size_t max = 0; max < 3000; max += 97) {
        struct buf b;
        buf_init(&b, max);
        size_t total = 0;
        for (;;) {
            int rc = buf_append(&b, "0123456789", 10);
            if (rc) {
                assert_int_equal(rc, RC_ELIMIT);
                break;
            }
            total += 10;
        }
        assert_int_equal(b.len, total); /* a refused append changes nothing */
        assert_true(total <= max && max - total < 10);
        assert_true(b.cap <= max + 1);
        buf_cleanup(&b);
    }
    /* an escape that does not fit leaves the error, not an overrun */
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(json_escape_append(&b, "abcdefghij", 10), RC_ELIMIT);
    assert_true(b.len <= 8);
    buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_same_as_byte_at_a_time),
        cmocka_unit_test(test_buffer_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
