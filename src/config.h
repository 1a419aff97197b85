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
    char *data_dir;              /* --data, RCAUTH_DATA; default "./rcauth-data" */
    char *db;                    /* --db, RCAUTH_DB; default <data_dir>/rcauth.db */
    char *listen;                /* --listen, RCAUTH_LISTEN; default "127.0.0.1:8080" */
    char *public_url;            /* --public-url, RCAUTH_PUBLIC_URL; default "http://" + listen */
    char *config_file;           /* --config, RCAUTH_CONFIG; INI file, optional */
    int64_t max_token_lifetime;  /* seconds; 0 = none; [tokens] max_lifetime */
    bool refresh_tokens;         /* issue refresh tokens; default true */
    int threads;                 /* 0 = cores */
    int64_t recheck_interval_ms; /* between polls of the store's revision; default 250 */
    int throttle_client;         /* failed authentications per client id and window (20) */
    int throttle_address;        /* … per source address (100); 0 = no throttling */
    int throttle_window;         /* seconds (60) */
    char *tls_cert;              /* --tls-cert FILE (PEM); with tls_key: HTTPS only */
    char *tls_key;               /* --tls-key FILE (PEM) */
    int max_connections;         /* open connections at once (4096) */
    int max_connections_per_address; /* … from one address (128); 0 = no cap */
    char *log_level;                 /* debug|info|warn|error */
    char *extra_actions;             /* space-separated actions added to the catalog */
    char *signing_alg;               /* --signing-alg: "EdDSA" (default) or "ES256" */
    int64_t panel_session_idle;      /* seconds a panel session lives unused; default 1800 */
    int64_t panel_session_lifetime;  /* seconds a panel session lives at most; default 43200 */
    int64_t key_reserve; /* --key-reserve: seconds the signing key's reservation runs ahead
                          * of now; default 3600 */
    /* public_url was made from listen; while serving, read it with config_public_url() */
    bool public_url_derived;
    char *public_url_unbound; /* the one config_bind_port() replaced; freed on cleanup */
};

void config_init_defaults(struct config *c);
void config_cleanup(struct config *c);
/* Set one option by its long name ("data", "db", "listen", "public-url", "config",
 * "max-token-lifetime", "refresh-tokens", "threads", "recheck-interval", "throttle-client",
 * "throttle-address", "throttle-window", "tls-cert", "tls-key", "max-connections",
 * "max-connections-per-address", "log-level",
 * "actions", "signing-alg", "panel-session-idle", "panel-session-lifetime", "key-reserve").
 * RC_EINVAL with a message in err (size errsz) for a bad value or unknown name. */
int config_set(struct config *c, const char *name, const char *value, char *err,
               size_t errsz) RC_MUST_CHECK;
/* Split a listen address, "host:port" or "[ipv6]:port", into host (size bytes, without the
 * brackets) and port (0 picks a free one). RC_EINVAL when it has not that form; config_set()
 * also requires an IP address literal. */
int config_listen_split(const char *listen, char *host, size_t size, int *port) RC_MUST_CHECK;
/* Apply the INI file (if c->config_file or RCAUTH_CONFIG names one) and RCAUTH_* variables,
 * then fill the derived defaults (db, public_url). Flags already set keep priority: call
 * this after the flags have been collected into `flags`, which are applied last. */
int config_load(struct config *c, int nflags, const char *const *flag_names,
                const char *const *flag_values, char *err, size_t errsz) RC_MUST_CHECK;

/* The public URL (borrowed): safe in threads that run while config_bind_port() replaces it. */
const char *config_public_url(const struct config *c);
/* The server bound port, asked for as port 0 in listen: a public URL made from listen takes
 * it (the issuer of tokens and metadata must name a port that answers). Once, at start. */
void config_bind_port(struct config *c, int port);

#endif
