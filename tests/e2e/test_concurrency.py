# SPDX-License-Identifier: MIT
"""Acceptance 10: 32 threads issuing and verifying tokens in parallel for ~5 s — no
error, and no answer meant for another client (each verification's client_id, account and
scope match the requester)."""

import random
import threading
import time

import requests

import helpers

THREADS = 32
DURATION = 5.0


def test_parallel_issue_and_verify(server, admin):
    base = server.base
    accts = [admin.create_account(name="conc-%d" % i) for i in range(4)]
    pool = []
    for i in range(8):
        acct = accts[i % 4]
        actions = [helpers.CATALOG[(i * 5 + j) % len(helpers.CATALOG)] for j in range(1 + i % 3)]
        pool.append((acct["id"], admin.create_access(acct["id"], actions=actions),
                     " ".join(helpers.catalog_order(actions)) + " env:*"))

    errors = []
    counts = [0] * THREADS
    start = threading.Barrier(THREADS)
    deadline = [0.0]

    def worker(n):
        rnd = random.Random(n)
        s = requests.Session()
        acct_id, access, want_scope = pool[n % len(pool)]
        try:
            start.wait(30)
            while time.monotonic() < deadline[0]:
                exp = rnd.choice([0, 1800, 43200])
                r = helpers.token_request(base, acct_id, access["client_id"],
                                          access["client_secret"], expires_in=exp, session=s,
                                          headers={"Authorization": "Bearer undefined"})
                if r.status_code != 200:
                    errors.append(("issue", n, r.status_code, r.text[:200]))
                    continue
                d = r.json()
                if d.get("scope") != want_scope or d.get("expires_in") != exp:
                    errors.append(("issue-answer", n, d))
                    continue
                v = helpers.verify(base, d["access_token"], session=s)
                if v.status_code != 200:
                    errors.append(("verify", n, v.status_code, v.text[:200]))
                    continue
                vj = v.json()
                if (vj.get("client_id") != access["client_id"] or vj.get("account") != acct_id
                        or vj.get("scope") != want_scope):
                    errors.append(("wrong-answer", n, access["client_id"], acct_id, vj))
                counts[n] += 1
        except Exception as e:  # noqa: BLE001 - report any failure of a worker
            errors.append(("exception", n, repr(e)))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    deadline[0] = time.monotonic() + DURATION + 1
    for t in threads:
        t.start()
    for t in threads:
        t.join(DURATION + 60)
    assert not any(t.is_alive() for t in threads), "workers stuck"
    assert not errors, "%d errors, first: %r" % (len(errors), errors[:5])
    assert all(c > 0 for c in counts), counts
    assert server.alive()
    print("concurrency: %d issue+verify pairs in ~%.0f s" % (sum(counts), DURATION))


def test_parallel_refresh_of_one_token_works_at_most_once(server, admin):
    """Rotation under a race: 16 threads present the same refresh token at once; at most
    one gets a new token, the others invalid_grant."""
    acct = admin.create_account()
    a = admin.create_access(acct["id"])
    d = helpers.get_token(server.base, acct["id"], a)
    results = []
    barrier = threading.Barrier(16)

    def worker():
        barrier.wait(30)
        r = helpers.refresh_request(server.base, acct["id"], a["client_id"], d["refresh_token"])
        results.append((r.status_code, r.json().get("error")))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ok = [x for x in results if x[0] == 200]
    assert len(results) == 16, results
    assert len(ok) <= 1, results
    assert all(x == (400, "invalid_grant") for x in results if x[0] != 200), results
