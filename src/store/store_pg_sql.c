/* SPDX-License-Identifier: MIT */
/* The SQL of every statement of the PostgreSQL backend, prepared once per connection with
 * positional parameters (types inferred by the server). The schema is in
 * migrations/pg/NNN_*.sql. Booleans are SQL booleans here (0/1 integers in SQLite). */
#include "store/store_pg_int.h"

const char store_pg_channel[] = "rcauth_revision";

const char *const store_pg_sql[PQ_COUNT] = {
    [PQ_BEGIN] = "BEGIN",
    [PQ_BEGIN_READ] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    [PQ_COMMIT] = "COMMIT",
    [PQ_ROLLBACK] = "ROLLBACK",
    [PQ_PING] = "SELECT 1",
    [PQ_REVISION_GET] = "SELECT value FROM revision WHERE id = 1",
    /* The channel name is store_pg_channel's. */
    [PQ_REVISION_BUMP] = "WITH r AS (UPDATE revision SET value = value + 1 WHERE id = 1 "
                         "RETURNING value) SELECT pg_notify('rcauth_revision', value::text) FROM r",
    /* Any number: it only has to be the same for every rcauth migrating this database. */
    [PQ_MIGRATION_LOCK] = "SELECT pg_advisory_xact_lock(727270001)",
    [PQ_MIGRATION_TABLE] = "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint "
                           "PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
    [PQ_MIGRATION_APPLIED] = "SELECT 1 FROM schema_migrations WHERE version = $1",
    [PQ_MIGRATION_RECORD] =
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
    [PQ_MIGRATION_EXISTS] = "SELECT to_regclass('schema_migrations') IS NOT NULL",
    [PQ_MIGRATION_NEWEST] = "SELECT coalesce(max(version), 0) FROM schema_migrations",

    [PQ_ACCOUNT_INSERT] = "INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)",
    [PQ_ACCOUNT_GET] = "SELECT id, name, created_at FROM accounts WHERE id = $1",
    [PQ_ACCOUNT_COUNT] = "SELECT count(*) FROM accounts",
    [PQ_ACCOUNT_LIST] = "SELECT id, name, created_at FROM accounts ORDER BY created_at, id "
                        "LIMIT $1 OFFSET $2",

    [PQ_ENV_UNSET_MAIN] = "UPDATE environments SET is_main = false WHERE account_id = $1 "
                          "AND id <> $2 AND is_main",
    [PQ_ENV_INSERT] = "INSERT INTO environments (id, account_id, name, is_main, created_at) "
                      "VALUES ($1, $2, $3, $4, $5)",
    [PQ_ENV_GET] = "SELECT id, account_id, name, is_main, created_at FROM environments "
                   "WHERE account_id = $1 AND id = $2",
    [PQ_ENV_COUNT] = "SELECT count(*) FROM environments WHERE account_id = $1",
    [PQ_ENV_LIST] = "SELECT id, account_id, name, is_main, created_at FROM environments "
                    "WHERE account_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3",

    [PQ_ACCESS_INSERT] = "INSERT INTO accesses (client_id, account_id, name, environments, "
                         "actions, secret_hash, created_at, last_used_at, revoked_at) "
                         "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    [PQ_ACCESS_GET] = "SELECT client_id, account_id, name, environments, actions, secret_hash, "
                      "created_at, last_used_at, revoked_at FROM accesses WHERE client_id = $1",
    [PQ_ACCESS_EXISTS] = "SELECT 1 FROM accesses WHERE client_id = $1",
    [PQ_ACCESS_COUNT] =
        "SELECT count(*) FROM accesses WHERE account_id = $1 AND ($2 OR revoked_at = 0)",
    [PQ_ACCESS_LIST] = "SELECT client_id, account_id, name, environments, actions, secret_hash, "
                       "created_at, last_used_at, revoked_at FROM accesses "
                       "WHERE account_id = $1 AND ($2 OR revoked_at = 0) "
                       "ORDER BY created_at, client_id LIMIT $3 OFFSET $4",
    [PQ_ACCESS_REVOKE] =
        "UPDATE accesses SET revoked_at = $2 WHERE client_id = $1 AND revoked_at = 0",
    [PQ_ACCESS_SET_SECRET] =
        "UPDATE accesses SET secret_hash = $2 WHERE client_id = $1 AND revoked_at = 0",
    [PQ_ACCESS_TOUCH] =
        "UPDATE accesses SET last_used_at = $2 WHERE client_id = $1 AND last_used_at < $2",

    [PQ_ADMIN_KEY_INSERT] = "INSERT INTO admin_keys (id, name, key_hash, created_at, "
                            "last_used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
    [PQ_ADMIN_KEY_FIND] = "SELECT id, name, key_hash, created_at, last_used_at, revoked_at "
                          "FROM admin_keys WHERE key_hash = $1",
    [PQ_ADMIN_KEY_LIST] = "SELECT id, name, key_hash, created_at, last_used_at, revoked_at "
                          "FROM admin_keys ORDER BY created_at, id LIMIT $1 OFFSET $2",
    [PQ_ADMIN_KEY_EXISTS] = "SELECT 1 FROM admin_keys WHERE id = $1",
    [PQ_ADMIN_KEY_REVOKE] =
        "UPDATE admin_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at = 0",
    [PQ_ADMIN_KEY_TOUCH] =
        "UPDATE admin_keys SET last_used_at = $2 WHERE id = $1 AND last_used_at < $2",

    [PQ_SIGNING_KEY_INSERT] = "INSERT INTO signing_keys (kid, alg, public_key, sealed_private, "
                              "created_at, retired_at, max_exp, signed_non_expiring) "
                              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    [PQ_SIGNING_KEY_LIST] = "SELECT kid, alg, public_key, sealed_private, created_at, retired_at, "
                            "max_exp, signed_non_expiring FROM signing_keys "
                            "ORDER BY created_at, seq LIMIT $1 OFFSET $2",
    /* Only ever raises: instances flushing at once cannot lose each other's notes. */
    [PQ_SIGNING_KEY_NOTE] = "UPDATE signing_keys SET max_exp = greatest(max_exp, $2), "
                            "signed_non_expiring = signed_non_expiring OR $3 WHERE kid = $1",
    [PQ_SIGNING_KEY_EXISTS] = "SELECT 1 FROM signing_keys WHERE kid = $1",
    [PQ_SIGNING_KEY_RETIRE] =
        "UPDATE signing_keys SET retired_at = $2 WHERE kid = $1 AND retired_at = 0",

    [PQ_REFRESH_GET] = "SELECT generation, revoked FROM refresh_chains WHERE chain_id = $1",
    /* First redemption of a chain (generation 0 → 1): exactly one of concurrent callers
     * inserts the row. */
    [PQ_REFRESH_START] = "INSERT INTO refresh_chains (chain_id, client_id, generation, revoked, "
                         "updated_at) VALUES ($1, $2, 1, false, $3) ON CONFLICT (chain_id) "
                         "DO NOTHING RETURNING generation",
    /* Compare-and-swap: of concurrent callers presenting the current generation, exactly
     * one moves it forward (the others see no row and then a newer generation). */
    [PQ_REFRESH_ADVANCE] = "UPDATE refresh_chains SET generation = generation + 1, updated_at = $3 "
                           "WHERE chain_id = $1 AND generation = $2 AND NOT revoked "
                           "RETURNING generation",
    [PQ_REFRESH_REVOKE] =
        "UPDATE refresh_chains SET revoked = true, updated_at = $2 WHERE chain_id = $1",
    [PQ_REFRESH_REVOKE_UPSERT] =
        "INSERT INTO refresh_chains (chain_id, client_id, generation, revoked, updated_at) "
        "VALUES ($1, $2, 0, true, $3) ON CONFLICT (chain_id) DO UPDATE SET revoked = true, "
        "updated_at = excluded.updated_at WHERE NOT refresh_chains.revoked",

    [PQ_REVOKED_TOKEN_INSERT] = "INSERT INTO revoked_tokens (jti, client_id, exp, revoked_at) "
                                "VALUES ($1, $2, $3, $4) ON CONFLICT (jti) DO NOTHING",
    [PQ_REVOKED_TOKEN_LIST] = "SELECT seq, jti, client_id, exp, revoked_at FROM revoked_tokens "
                              "WHERE seq > $1 ORDER BY seq",
    [PQ_REVOKED_TOKEN_PRUNE] =
        "DELETE FROM revoked_tokens WHERE (exp <> 0 AND exp <= $1) OR EXISTS (SELECT 1 FROM "
        "accesses a WHERE a.client_id = revoked_tokens.client_id AND a.revoked_at <> 0)",

    [PQ_AUDIT_INSERT] = "INSERT INTO audit_events (account_id, at, actor, event, subject, count, "
                        "detail) VALUES ($1, $2, $3, $4, $5, 1, $6)",
    [PQ_AUDIT_AGGREGATE] = "INSERT INTO audit_events (account_id, at, actor, event, subject, "
                           "count, detail, aggregated) VALUES ($1, $2, $3, $4, $5, $6, $7, true) "
                           "ON CONFLICT (account_id, event, subject, at) WHERE aggregated "
                           "DO UPDATE SET count = audit_events.count + excluded.count",
    [PQ_AUDIT_COUNT] = "SELECT count(*) FROM audit_events WHERE account_id = $1",
    [PQ_AUDIT_LIST] = "SELECT id, account_id, at, actor, event, subject, count, detail "
                      "FROM audit_events WHERE account_id = $1 ORDER BY id DESC "
                      "LIMIT $2 OFFSET $3",
};
