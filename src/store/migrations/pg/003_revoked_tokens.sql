-- SPDX-License-Identifier: MIT
-- Single access tokens revoked by their client (RFC 7009), as sqlite/003_revoked_tokens.sql.
-- Times are Unix seconds, 0 = never.
--
-- seq orders the rows for incremental loading by other processes. A sequence alone hands
-- out values in call order, not commit order; store_pg.c inserts only after taking the
-- revision row's lock (held to commit), so values are taken in commit order too.
CREATE TABLE revoked_tokens (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    jti text NOT NULL UNIQUE,
    client_id text NOT NULL,
    exp bigint NOT NULL DEFAULT 0,
    revoked_at bigint NOT NULL DEFAULT 0
);
