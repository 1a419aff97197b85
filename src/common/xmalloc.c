/* SPDX-License-Identifier: MIT */
/* Allocation wrappers: abort with a message when memory runs out (redis zmalloc style). */
#include "common/xmalloc.h"
#include "common/rc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"out of memory\",\"bytes\":%zu}\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

const char *rc_strerror(int err)
{
    switch (err) {
    case RC_OK:
        return "ok";
    case RC_EINVAL:
        return "invalid";
    case RC_ENOTFOUND:
        return "not_found";
    case RC_ECONFLICT:
        return "conflict";
    case RC_ESTORE:
        return "store_error";
    case RC_EIO:
        return "io_error";
    case RC_ECRYPTO:
        return "crypto_error";
    case RC_ELIMIT:
        return "limit";
    case RC_EUNAVAIL:
        return "store_unavailable";
    }
    return "unknown";
}
