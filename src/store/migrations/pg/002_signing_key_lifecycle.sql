-- SPDX-License-Identifier: MIT
-- rcauth PostgreSQL schema, version 2: the lifetime of signing keys (SPEC §4), as
-- sqlite/002_signing_key_lifecycle.sql. The instances that sign record here, about once a
-- second, the latest exp each key signed and whether it ever signed a token that does not
-- expire; retired_at is set by an admin. Times are Unix seconds, 0 = never.

ALTER TABLE signing_keys ADD COLUMN retired_at bigint NOT NULL DEFAULT 0;
ALTER TABLE signing_keys ADD COLUMN max_exp bigint NOT NULL DEFAULT 0;
ALTER TABLE signing_keys ADD COLUMN signed_non_expiring boolean NOT NULL DEFAULT false;

-- Nothing recorded what the keys made before this version signed, and tokens that do not
-- expire are the default: keep them until an admin retires them.
UPDATE signing_keys SET signed_non_expiring = true;
