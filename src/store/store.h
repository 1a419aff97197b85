/* SPDX-License-Identifier: MIT */
/* The storage interface: one constant table of functions per backend (curl vtls style).
 * Callers see only this header; store_sqlite*.c and store_pg*.c implement it.
 *
 * Threads: a struct store may be used from many threads at once; a backend keeps one
 * connection per thread (opened on first use, reopened after the database restarts) and its
 * prepared statements with it.
 * Strings in the structs below are NUL-terminated; fixed arrays are sized for the spec's
 * limits. Pointers marked "owned" are freed by the matching *_cleanup() function.
 * Every function returns 0 or a negative enum rc_err:
 *   RC_ENOTFOUND  no such row,  RC_ECONFLICT  unique id/name taken,  RC_ESTORE  db failure,
 *   RC_EUNAVAIL   the database cannot be reached now (down, restarting, locked or timed out:
 *                 the call failed within seconds, and retrying later may succeed).
 * Times are Unix seconds; 0 means "never" / "not set". */
#ifndef RCAUTH_STORE_H
#define RCAUTH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rc.h"

#define STORE_ID_SIZE 65    /* account/env ids: up to 64 chars of [A-Za-z0-9_-] */
#define STORE_NAME_SIZE 801 /* names: up to 200 UTF-8 chars = 800 bytes */
#define STORE_CLIENT_ID_SIZE 37
#define STORE_KID_SIZE 48
#define STORE_ALG_SIZE 8
#define STORE_PUBKEY_MAX 128 /* Ed25519: 32 bytes; P-256 uncompressed: 65 */
#define STORE_SEALED_MAX 256 /* secretbox nonce + MAC + private key (PKCS#8 DER for ES256) */
#define STORE_EVENT_SIZE 32
#define STORE_JTI_SIZE 40 /* an access token's jti: 22 base64url chars today */

struct store_account {
    char id[STORE_ID_SIZE];
    char name[STORE_NAME_SIZE];
    int64_t created_at;
};

struct store_env {
    char id[STORE_ID_SIZE];
    char account_id[STORE_ID_SIZE];
    char name[STORE_NAME_SIZE];
    bool is_main;
    int64_t created_at;
};

struct store_access {
    char client_id[STORE_CLIENT_ID_SIZE];
    char account_id[STORE_ID_SIZE];
    char name[STORE_NAME_SIZE];
    char *environments;      /* owned; env ids separated by one space; "" = all environments */
    char *actions;           /* owned; action names separated by one space, catalog order */
    uint8_t secret_hash[32]; /* HMAC-SHA-256(server key, secret) */
    int64_t created_at;
    int64_t last_used_at;
    int64_t revoked_at;
};

/* An access used at a time, for access_touch. */
struct store_touch {
    char client_id[STORE_CLIENT_ID_SIZE];
    int64_t at;
};

struct store_admin_key {
    char id[STORE_ID_SIZE];
    char name[STORE_NAME_SIZE];
    uint8_t key_hash[32]; /* HMAC-SHA-256(server key, key) */
    int64_t created_at;
    int64_t last_used_at;
    int64_t revoked_at;
};

struct store_signing_key {
    char kid[STORE_KID_SIZE];
    char alg[STORE_ALG_SIZE]; /* "EdDSA" or "ES256" */
    uint8_t public_key[STORE_PUBKEY_MAX];
    uint32_t public_len;
    uint8_t sealed_private[STORE_SEALED_MAX]; /* sealed with the server key */
    uint32_t sealed_len;
    int64_t created_at;
    /* Lifetime (SPEC §4; the rule is src/token's): the reservation the instances signing
     * with the key record before they sign, and when an admin retired it. */
    int64_t retired_at;       /* 0 = not retired */
    int64_t max_exp;          /* no token it signed expires later; 0 = none reserved */
    bool signed_non_expiring; /* it may have signed a token without exp */
};

struct store_audit_event {
    int64_t id;
    char account_id[STORE_ID_SIZE]; /* "" for server-wide events (admin keys, signing keys) */
    int64_t at;
    char actor[STORE_ID_SIZE];    /* admin key id, "cli", or "" */
    char event[STORE_EVENT_SIZE]; /* access.created, auth.failed, … (SPEC §6) */
    char subject[STORE_ID_SIZE];  /* client id, admin key id, kid… */
    int64_t count;                /* aggregated events (auth.failed per minute); else 1 */
    char *detail;                 /* owned; a JSON object as text, or NULL */
};

/* Outcomes of refresh_rotate(). */
enum store_refresh_result {
    STORE_REFRESH_ROTATED = 0, /* presented generation was current; chain moved to gen + 1 */
    STORE_REFRESH_SPENT,       /* presented generation already used: chain is now revoked */
    STORE_REFRESH_REVOKED,     /* chain was revoked before */
};

/* A single access token revoked by its client (RFC 7009), until it can no longer be live. */
struct store_revoked_token {
    int64_t seq; /* given by the store, see revoked_token_list() */
    char jti[STORE_JTI_SIZE];
    char client_id[STORE_CLIENT_ID_SIZE];
    int64_t exp; /* the token's expiry; 0 = it never expires */
    int64_t revoked_at;
};

/* Called by a backend's own thread when another process (or this one) committed a change
 * that bumps the revision, or when changes may have been missed (after a reconnection). */
typedef void (*store_change_cb)(void *ctx);

/* List callbacks: called once per row, in order; return non-zero to stop early.
 * The row is borrowed for the duration of the call. */
typedef int (*store_account_cb)(void *ctx, const struct store_account *row);
typedef int (*store_env_cb)(void *ctx, const struct store_env *row);
typedef int (*store_access_cb)(void *ctx, const struct store_access *row);
typedef int (*store_admin_key_cb)(void *ctx, const struct store_admin_key *row);
typedef int (*store_signing_key_cb)(void *ctx, const struct store_signing_key *row);
typedef int (*store_audit_cb)(void *ctx, const struct store_audit_event *row);
typedef int (*store_revoked_token_cb)(void *ctx, const struct store_revoked_token *row);

struct store;

struct store_ops {
    const char *name;       /* "sqlite", "postgres" */
    const char *migrations; /* where its embedded migrations are: "sqlite/", "pg/" */

    void (*close)(struct store *s);
    /* Apply pending migrations (idempotent). RC_ECONFLICT (logged), applying nothing, when
     * the database records a version newer than this binary's migrations: a newer rcauth
     * migrated it, and this one would misread it. */
    int (*migrate)(struct store *s) RC_MUST_CHECK;
    /* The newest migration version the database records; 0 for a new database. */
    int (*schema_version)(struct store *s, int64_t *out) RC_MUST_CHECK;
    /* 0 when the database answers. */
    int (*ping)(struct store *s) RC_MUST_CHECK;
    /* A counter bumped by every change to accounts, environments, accesses, admin keys,
     * signing keys and revoked tokens, by any process; caches compare it to know they are
     * stale. */
    int (*revision)(struct store *s, int64_t *out) RC_MUST_CHECK;
    /* Optional (NULL when the backend has no change notifications: poll revision instead).
     * Start a thread that calls cb(ctx) soon after any revision bump is committed, by any
     * process, and after each reconnection of its own connection; close() stops it. At most
     * one watcher per store. */
    int (*watch)(struct store *s, store_change_cb cb, void *ctx) RC_MUST_CHECK;

    /* RC_ECONFLICT when the id exists. */
    int (*account_create)(struct store *s, const struct store_account *a) RC_MUST_CHECK;
    int (*account_get)(struct store *s, const char *id, struct store_account *out) RC_MUST_CHECK;
    /* Ordered by created_at, id. *total = all rows. */
    int (*account_list)(struct store *s, int64_t offset, int64_t limit, store_account_cb cb,
                        void *ctx, int64_t *total) RC_MUST_CHECK;

    /* RC_ECONFLICT when the id is taken or the account already has an env of that name.
     * When e->is_main, the account's other environments stop being main (one transaction). */
    int (*env_create)(struct store *s, const struct store_env *e) RC_MUST_CHECK;
    int (*env_get)(struct store *s, const char *account_id, const char *env_id,
                   struct store_env *out) RC_MUST_CHECK;
    int (*env_list)(struct store *s, const char *account_id, int64_t offset, int64_t limit,
                    store_env_cb cb, void *ctx, int64_t *total) RC_MUST_CHECK;

    /* The admin writes below take an optional audit event (NULL for none; its id and count
     * are ignored), appended in the same transaction as the change, so that the trail and
     * the data never disagree. */
    int (*access_create)(struct store *s, const struct store_access *a,
                         const struct store_audit_event *audit) RC_MUST_CHECK;
    /* Any access, revoked or not. out must be released with store_access_cleanup(). */
    int (*access_get)(struct store *s, const char *client_id,
                      struct store_access *out) RC_MUST_CHECK;
    /* Accesses of an account, ordered by created_at, client_id. */
    int (*access_list)(struct store *s, const char *account_id, bool include_revoked,
                       int64_t offset, int64_t limit, store_access_cb cb, void *ctx,
                       int64_t *total) RC_MUST_CHECK;
    /* Sets revoked_at if not yet set (revoking twice keeps the first time, and writes audit
     * only the first time, even when two processes revoke at once). */
    int (*access_revoke)(struct store *s, const char *client_id, int64_t at,
                         const struct store_audit_event *audit) RC_MUST_CHECK;
    /* RC_ENOTFOUND also when the access is revoked. */
    int (*access_set_secret)(struct store *s, const char *client_id, const uint8_t secret_hash[32],
                             const struct store_audit_event *audit) RC_MUST_CHECK;
    /* Raise each access's last_used_at to its at (never lowers it; unknown client ids are
     * skipped), in one transaction that does not bump the revision. */
    int (*access_touch)(struct store *s, const struct store_touch *t, size_t n) RC_MUST_CHECK;

    int (*admin_key_create)(struct store *s, const struct store_admin_key *k,
                            const struct store_audit_event *audit) RC_MUST_CHECK;
    /* The admin key with that hash, revoked or not. */
    int (*admin_key_find)(struct store *s, const uint8_t key_hash[32],
                          struct store_admin_key *out) RC_MUST_CHECK;
    int (*admin_key_list)(struct store *s, store_admin_key_cb cb, void *ctx) RC_MUST_CHECK;
    /* Like access_revoke: the first time only, audit is written. */
    int (*admin_key_revoke)(struct store *s, const char *id, int64_t at,
                            const struct store_audit_event *audit) RC_MUST_CHECK;
    /* Does not bump the revision. */
    int (*admin_key_touch)(struct store *s, const char *id, int64_t at) RC_MUST_CHECK;

    int (*signing_key_add)(struct store *s, const struct store_signing_key *k) RC_MUST_CHECK;
    /* Every key, oldest first (created_at, then insertion order), retired ones included. */
    int (*signing_key_list)(struct store *s, store_signing_key_cb cb, void *ctx) RC_MUST_CHECK;
    /* Record key kid's reservation: raise max_exp to max_exp (never lowers it) and set
     * signed_non_expiring when non_expiring (never clears it), in one statement, so that
     * instances writing at once cannot lose each other's. Durable when it returns 0: the
     * caller signs only then. Does not bump the revision (instances read it when they
     * reload). An unknown kid changes nothing. */
    int (*signing_key_note)(struct store *s, const char *kid, int64_t max_exp,
                            bool non_expiring) RC_MUST_CHECK;
    /* Set retired_at if not yet set (retiring twice keeps the first time); bumps the
     * revision. RC_ENOTFOUND for an unknown kid. */
    int (*signing_key_retire)(struct store *s, const char *kid, int64_t at) RC_MUST_CHECK;

    /* Atomically move refresh chain chain_id (created on first use, for client_id) from
     * generation presented_gen to presented_gen + 1; see enum store_refresh_result. A chain
     * that does not exist yet is at generation 0. A presented generation below the current
     * one is reuse of a spent token: the chain is revoked. */
    int (*refresh_rotate)(struct store *s, const char *chain_id, const char *client_id,
                          int64_t presented_gen, int64_t at,
                          enum store_refresh_result *result) RC_MUST_CHECK;
    /* The chain's current generation (0 for a chain never redeemed, which is not stored
     * yet) and whether it is revoked. Reads only. */
    int (*refresh_get)(struct store *s, const char *chain_id, int64_t *generation,
                       bool *revoked) RC_MUST_CHECK;
    /* Revoke chain chain_id of client_id (RFC 7009), storing it revoked when it was never
     * redeemed. Revoking twice keeps it revoked; audit (may be NULL) is appended in the same
     * transaction only by the call that revoked it, even when several revoke it at once. */
    int (*refresh_revoke)(struct store *s, const char *chain_id, const char *client_id, int64_t at,
                          const struct store_audit_event *audit) RC_MUST_CHECK;

    /* Record a revoked access token (t->seq ignored); a jti already recorded stays as it was.
     * Bumps the revision, so other processes load the row within a second. */
    int (*revoked_token_add)(struct store *s, const struct store_revoked_token *t) RC_MUST_CHECK;
    /* The same, appending audit (may be NULL) in the same transaction only when this call
     * recorded the jti: a token revoked at once through several instances is audited once. */
    int (*revoked_token_record)(struct store *s, const struct store_revoked_token *t,
                                const struct store_audit_event *audit) RC_MUST_CHECK;
    /* Rows with seq > after_seq, by increasing seq. A backend must hand out seq in commit
     * order (a reader that has seen seq N never later meets a new row at or below N): SQLite
     * serialises writers; PostgreSQL must serialise these inserts (e.g. a transaction-level
     * advisory lock) so that a sequence value taken earlier never commits later. */
    int (*revoked_token_list)(struct store *s, int64_t after_seq, store_revoked_token_cb cb,
                              void *ctx) RC_MUST_CHECK;
    /* Delete the rows that no longer matter: tokens expired by now (0 < exp <= now) and
     * tokens of revoked accesses (the access check refuses them). *removed (may be NULL)
     * receives the count. Does not bump the revision. */
    int (*revoked_token_prune)(struct store *s, int64_t now, int64_t *removed) RC_MUST_CHECK;

    /* Append an event (e->id and e->count ignored: count 1). */
    int (*audit_add)(struct store *s, const struct store_audit_event *e) RC_MUST_CHECK;
    /* Add count to the event (account, event, subject) of the minute containing at, creating
     * it if needed (auth.failed aggregation). */
    int (*audit_add_aggregated)(struct store *s, const struct store_audit_event *e,
                                int64_t count) RC_MUST_CHECK;
    /* Newest first. */
    int (*audit_list)(struct store *s, const char *account_id, int64_t offset, int64_t limit,
                      store_audit_cb cb, void *ctx, int64_t *total) RC_MUST_CHECK;
};

/* Every backend's handle starts with this. */
struct store {
    const struct store_ops *ops;
};

/* Open the store named by location: "postgres://…" or "postgresql://…" for PostgreSQL,
 * otherwise the path of a SQLite database file (created if absent). Migrations are not run.
 * *out: caller frees with store_close(). */
int store_open(const char *location, struct store **out) RC_MUST_CHECK;
/* Close and free; NULL is a no-op. */
void store_close(struct store *s);
/* The newest migration version this binary has for s's backend. */
int64_t store_schema_known(const struct store *s);

void store_access_cleanup(struct store_access *a);
void store_audit_event_cleanup(struct store_audit_event *e);

/* true when location names a PostgreSQL database: "postgres://…" or "postgresql://…", the
 * scheme in any case (RFC 3986 §3.1). */
bool store_location_is_pg(const char *location);
/* 0 when location can be opened as a store; else RC_EINVAL with why (a one-line message
 * that never holds the location, which may carry a password): another scheme than
 * PostgreSQL's (named), a value that looks like a libpq "key=value" string (its first '='
 * comes before any '/'), or a PostgreSQL URL that is malformed (store_pg_url_check). */
int store_location_check(const char *location, char *why, size_t size) RC_MUST_CHECK;
/* location fit for a message or a log line: a URL keeps its scheme, host, port and path
 * (not its user, password or query); a path that holds '@' (a URL without its scheme?)
 * is not shown. */
void store_location_describe(const char *location, char *out, size_t size);

/* The SQLite backend (store_sqlite.c). */
int store_sqlite_open(const char *path, struct store **out) RC_MUST_CHECK;
/* The PostgreSQL backend (store_pg.c): conninfo is a libpq URI. Connects once to fail early
 * (RC_EUNAVAIL when the server cannot be reached; RC_EINVAL, logged without the URL, when it
 * is malformed). */
int store_pg_open(const char *conninfo, struct store **out) RC_MUST_CHECK;
/* 0 when url is a PostgreSQL URL that libpq parses as its writer meant it; else RC_EINVAL
 * with why saying what is wrong, and where, without echoing any of it (store_pg_url.c). */
int store_pg_url_check(const char *url, char *why, size_t size) RC_MUST_CHECK;

#endif
