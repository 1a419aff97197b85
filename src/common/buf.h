/* SPDX-License-Identifier: MIT */
/* A growable byte buffer with a hard cap (curl dynbuf style). The data is always
 * NUL-terminated so it can be used as a C string. */
#ifndef RCAUTH_BUF_H
#define RCAUTH_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/rc.h"

struct buf {
    char *data; /* NULL until the first append; owned */
    size_t len;
    size_t cap;
    size_t max; /* appends that would pass this return RC_ELIMIT and change nothing */
};

/* Prepare an empty buffer in caller storage; max is the cap in bytes. */
void buf_init(struct buf *b, size_t max);
/* Free the data and leave the buffer empty (reusable). */
void buf_cleanup(struct buf *b);
/* Forget the contents, keep the allocation. */
void buf_reset(struct buf *b);
/* Cut the contents back to their first len bytes (len <= b->len): undo appends. */
void buf_truncate(struct buf *b, size_t len);

int buf_append(struct buf *b, const void *data, size_t len) RC_MUST_CHECK;
int buf_append_str(struct buf *b, const char *s) RC_MUST_CHECK;
int buf_append_char(struct buf *b, char c) RC_MUST_CHECK;
/* Append n bytes of room, and the NUL after them, for the caller to fill at once (an encoder
 * writing in place): where they go, or NULL past the cap, and then nothing changes. */
char *buf_extend(struct buf *b, size_t n);
int buf_appendf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))) RC_MUST_CHECK;

/* The contents as a C string ("" when empty); borrowed. */
const char *buf_str(const struct buf *b);
/* Hand the data over; caller frees. The buffer is left empty. */
char *buf_steal(struct buf *b);

#endif
