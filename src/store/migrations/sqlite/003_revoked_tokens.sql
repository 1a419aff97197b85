-- SPDX-License-Identifier: MIT
-- Single access tokens revoked by their client (RFC 7009). Independent of migration 002, so
-- it applies whether 002 ran before it or runs after it (each version is applied when it is
-- not yet recorded in schema_migrations). Times are Unix seconds, 0 = never.
--
-- seq orders the rows for incremental loading by other processes: AUTOINCREMENT never
-- reuses a value, even after pruning deletes the newest rows.
CREATE TABLE revoked_tokens (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    jti TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    exp INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER NOT NULL DEFAULT 0
);
