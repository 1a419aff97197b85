/* SPDX-License-Identifier: MIT */
/* A small JSON writer for fixed-shape responses: it tracks commas and escapes strings,
 * appending to a struct buf. Errors (the buffer cap) are sticky: check jsonw_finish(). */
#ifndef RCAUTH_JSONW_H
#define RCAUTH_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define JSONW_DEPTH 16

struct jsonw {
    struct buf *out; /* borrowed */
    int err;
    int depth;
    bool need_comma[JSONW_DEPTH];
};

void jsonw_init(struct jsonw *w, struct buf *out);
void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
/* Inside an object: write "key": — then exactly one value call must follow. */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_string(struct jsonw *w, const char *s);
void jsonw_string_len(struct jsonw *w, const char *s, size_t len);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* Append already-encoded JSON as one value. */
void jsonw_raw(struct jsonw *w, const char *json);

/* Shorthands for "key": value inside an object. */
void jsonw_kv_string(struct jsonw *w, const char *key, const char *s);
void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v);
void jsonw_kv_bool(struct jsonw *w, const char *key, bool v);
/* "key": null when t is 0, else the ISO 8601 UTC time (2026-12-03T21:31:14Z). */
void jsonw_kv_time(struct jsonw *w, const char *key, int64_t t);

/* 0, or the first error met (RC_ELIMIT). */
int jsonw_finish(const struct jsonw *w) RC_MUST_CHECK;

/* Append s as a JSON string literal with quotes; invalid UTF-8 bytes become U+FFFD. */
int json_escape_append(struct buf *out, const char *s, size_t len) RC_MUST_CHECK;

#endif
