/* SPDX-License-Identifier: MIT */
/* Server configuration: defaults, then an INI file, then RCAUTH_* environment variables,
 * then command-line flags (each later source wins). */
#ifndef RCAUTH_CONFIG_H
#define RCAUTH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rc.h"

struct config {
    char *data_dir;             /* --data, RCAUTH_DATA; default "./rcauth-data" */
    char *db;                   /* --db, RCAUTH_DB; default <data_dir>/rcauth.db */
    char *listen;               /* --listen, RCAUTH_LISTEN; default "127.0.0.1:8080" */
    char *public_url;           /* --public-url, RCAUTH_PUBLIC_URL; default "http://" + listen */
    char *config_file;          /* --config, RCAUTH_CONFIG; INI file, optional */
    int64_t max_token_lifetime; /* seconds; 0 = none; [tokens] max_lifetime */
    bool refresh_tokens;        /* issue refresh tokens; default true */
    int threads;                /* 0 = cores */
    int recheck_interval;       /* seconds between polls of the store's revision; default 1 */
    char *log_level;            /* debug|info|warn|error */
    char *extra_actions;        /* space-separated actions added to the catalog */
    char *signing_alg;          /* --signing-alg: "EdDSA" (default) or "ES256" */
    int64_t key_reserve;        /* --key-reserve: seconds the signing key's reservation runs
                                 * ahead of now; default 3600 */
};

void config_init_defaults(struct config *c);
void config_cleanup(struct config *c);
/* Set one option by its long name ("data", "db", "listen", "public-url", "config",
 * "max-token-lifetime", "refresh-tokens", "threads", "recheck-interval", "log-level", "actions",
 * "signing-alg", "key-reserve").
 * RC_EINVAL with a message in err (size errsz) for a bad value or unknown name. */
int config_set(struct config *c, const char *name, const char *value, char *err,
               size_t errsz) RC_MUST_CHECK;
/* Apply the INI file (if c->config_file or RCAUTH_CONFIG names one) and RCAUTH_* variables,
 * then fill the derived defaults (db, public_url). Flags already set keep priority: call
 * this after the flags have been collected into `flags`, which are applied last. */
int config_load(struct config *c, int nflags, const char *const *flag_names,
                const char *const *flag_values, char *err, size_t errsz) RC_MUST_CHECK;

#endif
