/* SPDX-License-Identifier: MIT */
/* Fixed-window failure counters in one open-addressing table of fixed size, with a lock per
 * stripe of slots. The table never grows: when a key finds no free or stale slot among its
 * few probes, it takes the slot whose window is oldest, so a flood of random keys costs
 * bounded memory and can at worst make the table forget old counters, never crash it. */
#include "oauth/throttle.h"
#include "common/xmalloc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS (1u << 16) /* ~6 MiB */
#define STRIPES 64
#define PROBES 8
#define KEY_MAX 80

struct slot {
    uint64_t hash; /* 0 = empty */
    int64_t window_start;
    int32_t count;
    char key[KEY_MAX]; /* kind letter + the key, cut */
};

struct throttle {
    struct throttle_limits limits;
    uint8_t hash_key[crypto_shorthash_KEYBYTES]; /* random: keys cannot be chosen to collide */
    pthread_mutex_t locks[STRIPES];
    struct slot *slots;
};

struct throttle *throttle_new(const struct throttle_limits *limits)
{
    struct throttle *t = xcalloc(1, sizeof(*t));
    t->limits = *limits;
    crypto_shorthash_keygen(t->hash_key);
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&t->locks[i], NULL);
    t->slots = xcalloc(SLOTS, sizeof(*t->slots));
    return t;
}

void throttle_free(struct throttle *t)
{
    if (!t)
        return;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&t->locks[i]);
    free(t->slots);
    free(t);
}

static int limit_of(const struct throttle *t, enum throttle_kind kind)
{
    return kind == THROTTLE_CLIENT ? t->limits.per_client : t->limits.per_address;
}

/* How much a slot is worth keeping: an empty or stale one nothing, else its window start
 * (the oldest window goes first). */
static int64_t keep_value(const struct throttle *t, const struct slot *s, int64_t now)
{
    if (s->hash == 0 || now - s->window_start >= t->limits.window)
        return INT64_MIN;
    return s->window_start;
}

/* The slot of key among its probes (all in one stripe): its own, else the least worth
 * keeping, reset for key. */
static struct slot *find_slot(struct throttle *t, uint64_t hash, const char *key, int64_t now)
{
    size_t first = (size_t)(hash % (SLOTS / PROBES)) * PROBES;
    struct slot *victim = &t->slots[first];
    for (size_t i = first; i < first + PROBES; i++) {
        struct slot *s = &t->slots[i];
        if (s->hash == hash && !strcmp(s->key, key))
            return s;
        if (keep_value(t, s, now) < keep_value(t, victim, now))
            victim = s;
    }
    memset(victim, 0, sizeof(*victim));
    victim->hash = hash;
    snprintf(victim->key, sizeof(victim->key), "%s", key);
    victim->window_start = now;
    return victim;
}

/* An IPv6 address counts as its /64, the block one host or customer usually holds: else a
 * single client could pick a new address for every attempt. */
static void address_key(const char *addr, char *out, size_t size)
{
    struct in6_addr a;
    if (strchr(addr, ':') && inet_pton(AF_INET6, addr, &a) == 1 && !IN6_IS_ADDR_V4MAPPED(&a)) {
        memset(a.s6_addr + 8, 0, 8);
        char text[INET6_ADDRSTRLEN];
        if (inet_ntop(AF_INET6, &a, text, sizeof(text))) {
            snprintf(out, size, "%s/64", text);
            return;
        }
    }
    snprintf(out, size, "%s", addr);
}

int64_t throttle_fail(struct throttle *t, enum throttle_kind kind, const char *key, int64_t now,
                      bool *crossed)
{
    int limit = limit_of(t, kind);
    if (crossed)
        *crossed = false;
    if (limit <= 0 || !key || !*key)
        return 0;
    char addr[INET6_ADDRSTRLEN + 4];
    if (kind != THROTTLE_CLIENT) {
        address_key(key, addr, sizeof(addr));
        key = addr;
    }
    char k[KEY_MAX];
    snprintf(k, sizeof(k), "%c%s", "CAK"[kind], key);
    uint64_t hash;
    crypto_shorthash((uint8_t *)&hash, (const uint8_t *)k, strlen(k), t->hash_key);
    hash |= 1; /* never 0, the empty mark */

    /* PROBES slots in a row, starting at a multiple of PROBES: one stripe holds them all */
    size_t stripe = (size_t)(hash % (SLOTS / PROBES)) % STRIPES;
    int64_t retry = 0;
    pthread_mutex_lock(&t->locks[stripe]);
    struct slot *s = find_slot(t, hash, k, now);
    if (now - s->window_start >= t->limits.window) {
        s->window_start = now;
        s->count = 0;
    }
    if (s->count < INT32_MAX)
        s->count++;
    if (s->count > limit) {
        retry = s->window_start + t->limits.window - now;
        if (retry < 1)
            retry = 1;
        if (crossed)
            *crossed = s->count == limit + 1;
    }
    pthread_mutex_unlock(&t->locks[stripe]);
    return retry;
}
