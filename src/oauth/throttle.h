/* SPDX-License-Identifier: MIT */
/* Throttling of failed authentications (SPEC §7): fixed windows of counters, per client id
 * and per source address, in memory. Only failures are counted and only failures are
 * refused: a request with the right credentials is never throttled, so an attacker guessing
 * a client's secret cannot lock the client out. Each process counts on its own. */
#ifndef RCAUTH_THROTTLE_H
#define RCAUTH_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

enum throttle_kind {
    THROTTLE_CLIENT,  /* a client id at the token, introspection and revocation endpoints */
    THROTTLE_ADDRESS, /* a source address, for client authentication */
    THROTTLE_ADMIN,   /* a source address, for admin keys (API, panel sign-in) */
};

struct throttle_limits {
    int per_client;  /* failures per client id and window; 0 = no limit */
    int per_address; /* failures per address and window (clients, and admin keys apart) */
    int window;      /* seconds */
};

struct throttle;

/* Caller frees with throttle_free(). */
struct throttle *throttle_new(const struct throttle_limits *limits);
void throttle_free(struct throttle *t);

/* Count one failure of key (a client id or an address — an IPv6 one counts as its /64;
 * longer keys are cut) at time now.
 * Returns the seconds until the key's window ends when the key is over its limit with this
 * failure (the caller answers 429 with Retry-After), else 0. *crossed (may be NULL) is set
 * when this is the failure that went over, so that it is logged and audited once. */
int64_t throttle_fail(struct throttle *t, enum throttle_kind kind, const char *key, int64_t now,
                      bool *crossed);

#endif
