#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes N accesses straight into an rcauth SQLite store, for the scale benchmark: creating a
million through the admin API would take most of an hour, here it takes seconds.
Usage: gen_store.py DATA_DIR TEMPLATE_CLIENT_ID N PER_ACCOUNT SAMPLE OUT
(N counts the template: N - 1 accesses are written.)

DATA_DIR holds rcauth.db (migrated) and server.key, with one account, its environment and
one access (TEMPLATE_CLIENT_ID) made by the rcauth CLI: the new rows copy that access's
actions and environments columns exactly as rcauth wrote them, so only the row layout is
assumed here, and each new access gets a random 256-bit secret stored as rcauth stores it,
HMAC-SHA-256 under the server key (src/app.c, app_hash_secret). The accesses go
PER_ACCOUNT to an account, each new account with one main environment, like the template's.
Stop every server on the store first (rows written behind its back are not in its caches).

Writes, for SAMPLE accesses drawn uniformly from the new ones: OUT/issue.req (their token
requests, for bench/requests.lua) and OUT/envs.tsv (each account's environment), the files
bench/setup.py rcauth-tokens reads. Whether rcauth takes these rows for real accesses is for
the caller to check by asking for tokens (bench/scale.sh does)."""
import hashlib
import hmac
import os
import random
import sqlite3
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from setup import issue_line, write_lines  # noqa: E402

B32 = "0123456789abcdefghijklmnopqrstuv"


def xid():
    """An id of the accounts' and environments' form: 20 characters of [0-9a-v]."""
    return "".join(B32[b & 31] for b in os.urandom(20))


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    data, template, n, per_account, sample, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    with open(os.path.join(data, "server.key")) as f:
        key = bytes.fromhex(f.read().strip())
    db = sqlite3.connect(os.path.join(data, "rcauth.db"), isolation_level=None)
    db.execute("PRAGMA cache_size = -262144")  # 256 MiB: the client_id index takes random inserts
    row = db.execute("SELECT account_id, environments, actions FROM accesses WHERE client_id = ?",
                     (template,)).fetchone()
    if not row:
        sys.exit("gen_store: no access %s in %s" % (template, data))
    acct0, envs_col, actions_col = row
    env0 = db.execute("SELECT id FROM environments WHERE account_id = ?", (acct0,)).fetchone()[0]
    now = int(time.time())

    accounts = [(acct0, env0)] + [(xid(), xid()) for _ in range((n - 1) // per_account)]
    picks = set(random.sample(range(1, n), min(sample, n - 1)))
    issue, t0 = [], time.monotonic()

    def rows():
        for i in range(1, n):  # 0 is the template
            acct = accounts[i // per_account][0]
            cid, secret = str(uuid.UUID(bytes=os.urandom(16), version=4)), os.urandom(32).hex()
            if i in picks:
                issue.append(issue_line(acct, cid, secret, 1800))
            yield (cid, acct, "bench-%d" % i, envs_col, actions_col,
                   hmac.digest(key, secret.encode(), hashlib.sha256), now)

    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)",
                   [(a, "bench-%d" % i, now) for i, (a, _) in enumerate(accounts) if i])
    db.executemany("INSERT INTO environments (id, account_id, name, is_main, created_at) "
                   "VALUES (?, ?, 'production', 1, ?)",
                   [(e, a, now) for i, (a, e) in enumerate(accounts) if i])
    db.executemany("INSERT INTO accesses (client_id, account_id, name, environments, actions, "
                   "secret_hash, created_at, last_used_at, revoked_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)", rows())
    db.execute("UPDATE revision SET value = value + 1 WHERE id = 1")
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    random.shuffle(issue)
    write_lines(os.path.join(out, "issue.req"), issue)
    write_lines(os.path.join(out, "envs.tsv"), ["%s\t%s" % a for a in accounts])
    print("gen_store: %d accesses in %d accounts in %.1f s" % (
        n, len(accounts), time.monotonic() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
