/* SPDX-License-Identifier: MIT */
/* Time helpers. */
#include "common/timeutil.h"

#include <stdlib.h>
#include <time.h>

static int64_t clock_offset;

void time_init(void)
{
    const char *s = getenv("RCAUTH_TEST_CLOCK_OFFSET");
    if (s)
        clock_offset = strtoll(s, NULL, 10);
}

int64_t time_now(void)
{
    return (int64_t)time(NULL) + clock_offset;
}

int64_t time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void time_format_iso8601(int64_t t, char *out, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
