-- SPDX-License-Identifier: MIT
-- rcauth SQLite schema, version 1. Applied inside a transaction by store_sqlite.c, which
-- records it in schema_migrations; no BEGIN/COMMIT here. Times are Unix seconds, 0 = never.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX accounts_created ON accounts (created_at, id);

CREATE TABLE environments (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    is_main INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account_id, name),
    UNIQUE (account_id, id)
);

-- environments and actions: space-separated lists; environments '' = all of the account's.
CREATE TABLE accesses (
    client_id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    environments TEXT NOT NULL DEFAULT '',
    actions TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX accesses_account ON accesses (account_id, created_at, client_id);

CREATE TABLE admin_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    key_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    alg TEXT NOT NULL,
    public_key BLOB NOT NULL,
    sealed_private BLOB NOT NULL,
    created_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE refresh_chains (
    chain_id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0,
    revoked INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refresh_chains_client ON refresh_chains (client_id);

-- aggregated = 1 marks per-minute counters (auth.failed): at is then the minute's start, and
-- the partial unique index below is the upsert target that keeps one row per minute.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL DEFAULT '',
    at INTEGER NOT NULL DEFAULT 0,
    actor TEXT NOT NULL DEFAULT '',
    event TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL DEFAULT 1,
    detail TEXT,
    aggregated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX audit_events_account ON audit_events (account_id, id);
CREATE UNIQUE INDEX audit_events_bucket ON audit_events (account_id, event, subject, at)
    WHERE aggregated = 1;

-- One row: bumped by every change that caches must see (accounts, environments, accesses,
-- admin keys, signing keys).
CREATE TABLE revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO revision (id, value) VALUES (1, 0);
