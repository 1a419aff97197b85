/* SPDX-License-Identifier: MIT */
/* Wall-clock and monotonic time, and ISO 8601 formatting. */
#ifndef RCAUTH_TIMEUTIL_H
#define RCAUTH_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since the Unix epoch. Tests may shift it with RCAUTH_TEST_CLOCK_OFFSET (seconds),
 * read once at start; see time_init(). */
int64_t time_now(void);
/* Monotonic microseconds, for latency. */
int64_t time_mono_us(void);
/* Read the test clock offset from the environment; call once before threads start. */
void time_init(void);
/* Write t as 2026-12-03T21:31:14Z into out (at least 21 bytes). */
void time_format_iso8601(int64_t t, char *out, size_t size);

#endif
