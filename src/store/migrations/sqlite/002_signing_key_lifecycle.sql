-- SPDX-License-Identifier: MIT
-- rcauth SQLite schema, version 2: the lifetime of signing keys (SPEC §4). A key that is no
-- longer the newest of its algorithm keeps verifying until no token it signed can be live;
-- the instances that sign record here, about once a second, the latest exp each key signed
-- and whether it ever signed a token that does not expire. retired_at is set by an admin
-- (`rcauth keys retire`, DELETE /admin/v1/keys/{kid}). Times are Unix seconds, 0 = never.

ALTER TABLE signing_keys ADD COLUMN retired_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signing_keys ADD COLUMN max_exp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signing_keys ADD COLUMN signed_non_expiring INTEGER NOT NULL DEFAULT 0;

-- Nothing recorded what the keys made before this version signed, and tokens that do not
-- expire are the default: keep them until an admin retires them.
UPDATE signing_keys SET signed_non_expiring = 1;
