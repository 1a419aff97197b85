/* SPDX-License-Identifier: MIT */
/* Fixed tables of atomic counters. A route gets its slot on first use (the router has a few
 * dozen patterns); statuses are folded into the handful rcauth answers, "other" for the
 * rest; latencies go into cumulative-ready buckets. */
#include "common/metrics.h"

#include <stdio.h>
#include <string.h>

#define MAX_ROUTES 96

static const int statuses[] = {200, 201, 204, 304, 400, 401, 403, 404,
                               405, 409, 413, 429, 500, 501, 503, 0 /* other */};
#define NSTATUS (int)(sizeof(statuses) / sizeof(statuses[0]))

/* Upper bounds in microseconds; a last implicit bucket is +Inf. The slow end tells a
 * store that stalls (a request gives up on PostgreSQL after about 2.3 s) from one that
 * hangs, and a request that took up to the 10 s a request may take to arrive. */
static const int64_t bounds_us[] = {250,   500,    1000,   2500,    5000,    10000,   25000,
                                    50000, 100000, 250000, 1000000, 2500000, 5000000, 10000000};
#define NBUCKET (int)(sizeof(bounds_us) / sizeof(bounds_us[0]) + 1)

struct route_slot {
    const char *route; /* set once (compare-and-swap from NULL) */
    uint64_t by_status[NSTATUS];
    uint64_t buckets[NBUCKET];
    uint64_t sum_us;
};

static struct route_slot slots[MAX_ROUTES];
static uint64_t counters[METRIC_COUNTER_COUNT];

static const char *const counter_names[METRIC_COUNTER_COUNT][2] = {
    [METRIC_TOKENS_ISSUED] = {"rcauth_tokens_issued_total", "Access tokens issued."},
    [METRIC_AUTH_FAILURES] = {"rcauth_auth_failures_total",
                              "Failed client and admin-key authentications."},
    [METRIC_THROTTLED] = {"rcauth_throttled_total", "Failed authentications answered 429."},
    [METRIC_ACCESS_CACHE_HITS] = {"rcauth_access_cache_hits_total",
                                  "Access lookups answered from memory."},
    [METRIC_ACCESS_CACHE_MISSES] = {"rcauth_access_cache_misses_total",
                                    "Access lookups that read the store."},
};

static struct route_slot *slot_of(const char *route)
{
    if (!route)
        route = "none";
    for (int i = 0; i < MAX_ROUTES; i++) {
        const char *cur = __atomic_load_n(&slots[i].route, __ATOMIC_ACQUIRE);
        if (cur == NULL) {
            const char *expected = NULL;
            if (__atomic_compare_exchange_n(&slots[i].route, &expected, route, false,
                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                return &slots[i];
            cur = expected;
        }
        if (cur == route || !strcmp(cur, route))
            return &slots[i];
    }
    return NULL; /* more routes than slots: not counted */
}

void metrics_observe(const char *route, int status, int64_t micros)
{
    struct route_slot *s = slot_of(route);
    if (!s)
        return;
    int si = 0;
    while (statuses[si] && statuses[si] != status)
        si++;
    int b = 0;
    while (b < NBUCKET - 1 && micros > bounds_us[b])
        b++;
    __atomic_add_fetch(&s->by_status[si], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->buckets[b], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->sum_us, (uint64_t)(micros > 0 ? micros : 0), __ATOMIC_RELAXED);
}

void metrics_inc(enum metric_counter c)
{
    __atomic_add_fetch(&counters[c], 1, __ATOMIC_RELAXED);
}

static uint64_t load(const uint64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

/* The route of slot i, or NULL past the last slot in use. */
static const char *route_at(int i)
{
    return i < MAX_ROUTES ? __atomic_load_n(&slots[i].route, __ATOMIC_ACQUIRE) : NULL;
}

/* Route patterns hold only [A-Za-z0-9/{}._-]: nothing to escape in a label value. */
static int format_requests(struct buf *out)
{
    int rc = buf_appendf(out, "# HELP rcauth_requests_total Requests answered, by route and "
                              "status.\n# TYPE rcauth_requests_total counter\n");
    for (int i = 0; !rc && route_at(i); i++)
        for (int si = 0; !rc && si < NSTATUS; si++) {
            uint64_t n = load(&slots[i].by_status[si]);
            if (!n)
                continue;
            char st[8] = "other";
            if (statuses[si])
                snprintf(st, sizeof(st), "%d", statuses[si]);
            rc = buf_appendf(out, "rcauth_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                             slots[i].route, st, (unsigned long long)n);
        }
    return rc;
}

static int format_latency(struct buf *out)
{
    int rc = buf_appendf(out, "# HELP rcauth_request_duration_seconds Time to answer, by "
                              "route.\n# TYPE rcauth_request_duration_seconds histogram\n");
    for (int i = 0; !rc && route_at(i); i++) {
        const char *r = route_at(i);
        uint64_t cum = 0;
        for (int b = 0; !rc && b < NBUCKET; b++) {
            cum += load(&slots[i].buckets[b]);
            if (b < NBUCKET - 1)
                rc = buf_appendf(out,
                                 "rcauth_request_duration_seconds_bucket{route=\"%s\","
                                 "le=\"%g\"} %llu\n",
                                 r, (double)bounds_us[b] / 1e6, (unsigned long long)cum);
            else
                rc = buf_appendf(out,
                                 "rcauth_request_duration_seconds_bucket{route=\"%s\","
                                 "le=\"+Inf\"} %llu\n",
                                 r, (unsigned long long)cum);
        }
        if (!rc)
            rc = buf_appendf(out,
                             "rcauth_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                             "rcauth_request_duration_seconds_count{route=\"%s\"} %llu\n",
                             r, (double)load(&slots[i].sum_us) / 1e6, r, (unsigned long long)cum);
    }
    return rc;
}

int metrics_format(struct buf *out)
{
    int rc = format_requests(out);
    if (!rc)
        rc = format_latency(out);
    for (int c = 0; !rc && c < METRIC_COUNTER_COUNT; c++)
        rc = buf_appendf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counter_names[c][0],
                         counter_names[c][1], counter_names[c][0], counter_names[c][0],
                         (unsigned long long)load(&counters[c]));
    return rc;
}
