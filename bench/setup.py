#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark fixtures: on a running rcauth (BASE), with an admin key (ADMIN_KEY), create
one account and N accesses, then write two files for the wrk scripts:
  creds.txt   one line per access: "<path>\t<JSON token request body>"
  tokens.txt  one access token per line, M of them spread over the accesses.
Usage: setup.py BASE ADMIN_KEY OUTDIR N_ACCESSES N_TOKENS"""
import concurrent.futures
import json
import os
import sys

import requests

base, admin_key, outdir, n_accesses, n_tokens = sys.argv[1], sys.argv[2], sys.argv[3], \
    int(sys.argv[4]), int(sys.argv[5])
s = requests.Session()
s.headers["Authorization"] = "Bearer " + admin_key


def post(path, doc):
    r = s.post(base + "/admin/v1" + path, json=doc)
    r.raise_for_status()
    return r.json()


acct = post("/accounts", {"name": "bench"})["id"]
actions = ["campaign.list", "campaign.read", "campaign.toggle", "flag.list", "flag.read"]


def make_access(i):
    a = post("/accounts/%s/accesses" % acct, {"name": "bench-%d" % i, "actions": actions})
    return a["client_id"], a["client_secret"]


with concurrent.futures.ThreadPoolExecutor(8) as pool:
    creds = list(pool.map(make_access, range(n_accesses)))

bodies = [json.dumps({"grant_type": "client_credentials", "scope": "*", "client_id": cid,
                      "client_secret": secret}, separators=(",", ":")) for cid, secret in creds]
with open(os.path.join(outdir, "creds.txt"), "w") as f:
    for b in bodies:
        f.write("/%s/token?expires_in=3600\t%s\n" % (acct, b))


def get_token(i):
    r = requests.post(base + "/%s/token?expires_in=3600" % acct, data=bodies[i % len(bodies)],
                      headers={"Content-Type": "application/json"})
    r.raise_for_status()
    return r.json()["access_token"]


with concurrent.futures.ThreadPoolExecutor(8) as pool:
    tokens = list(pool.map(get_token, range(n_tokens)))
with open(os.path.join(outdir, "tokens.txt"), "w") as f:
    f.write("\n".join(tokens) + "\n")
