/* SPDX-License-Identifier: MIT */
/* Process-wide metrics for GET /metrics (Prometheus text format 0.0.4): requests by route
 * and status with a latency histogram, and a few named counters. Updates are relaxed atomic
 * increments, never a lock. Nothing here ever holds a token, a secret or a client id:
 * routes are the router's patterns ("/{account}/token"), not paths. */
#ifndef RCAUTH_METRICS_H
#define RCAUTH_METRICS_H

#include <stdint.h>

#include "common/buf.h"
#include "common/rc.h"

enum metric_counter {
    METRIC_TOKENS_ISSUED,       /* access tokens signed (token endpoint) */
    METRIC_AUTH_FAILURES,       /* failed client or admin-key authentications */
    METRIC_THROTTLED,           /* failures answered 429 */
    METRIC_ACCESS_CACHE_HITS,   /* access lookups answered from memory */
    METRIC_ACCESS_CACHE_MISSES, /* … that read the store */
    METRIC_COUNTER_COUNT,
};

/* One answered request: route is the matched pattern (a string that lives as long as the
 * process) or NULL when no route matched; micros is the time from the request line to the
 * answer. */
void metrics_observe(const char *route, int status, int64_t micros);
void metrics_inc(enum metric_counter c);
/* Append the whole exposition to out. */
int metrics_format(struct buf *out) RC_MUST_CHECK;

#endif
