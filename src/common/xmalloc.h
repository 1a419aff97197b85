/* SPDX-License-Identifier: MIT */
/* Allocation that aborts on out-of-memory: sizes are bounded by callers instead. */
#ifndef RCAUTH_XMALLOC_H
#define RCAUTH_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
