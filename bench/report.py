#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The table of bench/run.sh, from its plan (KEY LABEL URL FILE STATUS SUBSTRING PID per line)
and its results (KEY and the JSON of bench/wrk_run.py per line, one line per run).
Usage: report.py PLAN RESULTS --meta NAME=VALUE…
Each figure is the median over the runs; errors are the total over the runs. Then the
machine-readable lines, one figure each. Exit status 3 when the ceiling, the bound or an
rcauth measurement had errors, else 0."""
import argparse
import json
import statistics
import sys

# Rows compared with the ceiling: itself, the bound of issuance (hello-world + signing) and
# rcauth's; an error in any of them makes the exit status 3.
CEILING_SHARE = ("ceiling", "bound", "issue", "verify", "authorize")
# rcauth's figure each peer row is compared with, and the name of its vs.* line.
PEERS = {
    "oidc_opaque": ("issue", "vs.oidc_opaque"),
    "oidc_jwt": ("issue", "vs.oidc_jwt"),
    "oidc_introspect": ("verify", "vs.oidc_introspect"),
    "glewlwyd": ("issue", "vs.glewlwyd"),
    "glewlwyd_low": ("issue", "vs.glewlwyd_low"),
}


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def summarise(runs):
    med = lambda k: statistics.median(r[k] for r in runs)  # noqa: E731
    return {
        "rps": med("rps"), "min": min(r["rps"] for r in runs), "max": max(r["rps"] for r in runs),
        "p50": med("p50_ms"), "p99": med("p99_ms"), "errors": sum(r["errors"] for r in runs),
        "load1": med("load1"), "other": med("other_cores"), "server": med("server_cores"),
        "cpu_us": statistics.median(r["server_cores"] / r["rps"] * 1e6 for r in runs if r["rps"]),
        "wrk_us": statistics.median(r["wrk_cores"] / r["rps"] * 1e6 for r in runs if r["rps"]),
        "n": len(runs),
    }


def load_runs(path):
    """KEY → the list of wrk_run.py results of that measurement, from a results file."""
    runs = {}
    with open(path) as f:
        for line in f:
            key, js = line.rstrip("\n").split("\t", 1)
            runs.setdefault(key, []).append(json.loads(js))
    return runs


def meta_args(argv, *positional):
    """The positional file arguments and the --meta NAME=VALUE pairs, as a dict."""
    ap = argparse.ArgumentParser()
    for name in positional:
        ap.add_argument(name)
    ap.add_argument("--meta", nargs="*", default=[])
    a = ap.parse_args(argv)
    return a, dict(m.split("=", 1) for m in a.meta)


def table_head(fmt, *names):
    """Prints a table's column names and a rule under them."""
    head = fmt % names
    print(head)
    print("-" * len(head))


def fmt_rps(v):
    return "{:,.0f}".format(v)


def main():
    a, meta = meta_args(sys.argv[1:], "plan", "results")
    labels = {}
    with open(a.plan) as f:
        for line in f:
            key, label = line.split("\t")[:2]
            labels[key] = label
    s = {k: summarise(v) for k, v in load_runs(a.results).items()}

    def ratio(x, y):
        return s[x]["rps"] / s[y]["rps"] if x in s and y in s and s[y]["rps"] else None

    print()
    print("rcauth benchmark — commit %s; %s cores (%s); load average before %s, after %s" % (
        meta.get("commit", "?"), meta.get("cores", "?"), cpu_model(), meta.get("load_before", "?"),
        meta.get("load_after", "?")))
    print("wrk -t2 -c64 -d%ss --timeout 10s on loopback, sharing the cores with the server; "
          "median of %s runs (interleaved rounds)" % (meta.get("duration", "?"), meta.get("runs", "?")))
    print("rcauth: SQLite, EdDSA JWTs, HMAC-SHA-256 secrets, %s accesses, %s live tokens" % (
        meta.get("accesses", "?"), meta.get("tokens", "?")))
    print()
    table_head("%-46s %9s %17s %7s %7s %7s %7s %7s %7s %6s %6s %6s", "measurement", "req/s",
               "runs min–max", "p50 ms", "p99 ms", "errors", "÷ceil", "rc÷it", "cpu µs", "wrk µs",
               "load1", "other")
    flagged = False
    for key, label in labels.items():
        if key not in s:
            continue
        r = s[key]
        c = ratio(key, "ceiling") if key in CEILING_SHARE else None
        vs = ratio(PEERS[key][0], key) if key in PEERS else None
        err = "%d" % r["errors"] + (" !" if r["errors"] else "  ")
        flagged |= r["errors"] > 0
        print("%-46s %9s %17s %7.2f %7.2f %7s %7s %7s %7.1f %6.1f %6.2f %6.2f" % (
            label[:46], fmt_rps(r["rps"]), "%s–%s" % (fmt_rps(r["min"]), fmt_rps(r["max"])),
            r["p50"], r["p99"], err, "%.2f" % c if c is not None else "",
            "%.1f" % vs if vs is not None else "", r["cpu_us"], r["wrk_us"], r["load1"], r["other"]))
    print()
    print("÷ceil: that row ÷ hello-world. rc÷it: rcauth issuance (introspection row: verification)"
          " ÷ that row.")
    if "bound" in s:
        print("hello-world + one Ed25519 signature: the same server signing a 400-byte message per"
              " answer (libsodium):")
        print("the most issuance could reach on this machine if it did nothing but sign.")
    print("cpu µs: the server's CPU time (user + system, all threads) per request answered: less"
          " sensitive to the")
    print("machine's other load than req/s, and what an optimisation changes first. wrk µs: the"
          " same for wrk.")
    print("load1: 1-min load average when the run started (wrk and the server alone make it ~2-3)."
          " other: cores used")
    print("meanwhile by other processes or stolen from this VM; above ~0.3 the figure is noisy.")
    if flagged:
        print("! errors = answers with status ≥ 400 + socket errors (timeouts included): such a "
              "figure is not a valid throughput.")
    if any(k.startswith("oidc") for k in s):
        print("node-oidc-provider: one Node process, in-memory store, client secrets in plain "
              "text, %s clients." % meta.get("oidc_clients", "?"))
    if any(k.startswith("glewlwyd") for k in s):
        print("Glewlwyd: SQLite, RS256 JWTs, PBKDF2-hashed client secrets, %s clients per row." %
              meta.get("glw_clients", "?"))
    print()

    lines = [("ratio.issue", ratio("issue", "ceiling")), ("ratio.verify", ratio("verify", "ceiling")),
             ("ratio.authorize", ratio("authorize", "ceiling")),
             ("ratio.bound", ratio("bound", "ceiling")),
             ("ratio.issue_of_bound", ratio("issue", "bound"))]
    lines += [(name, ratio(ours, key)) for key, (ours, name) in PEERS.items()]
    for name, v in lines:
        if v is not None:
            print("%s=%.2f" % (name, v) if v < 100 else "%s=%.0f" % (name, v))
    for key in ("issue", "verify", "authorize"):
        if key in s:
            print("p99_ms.%s=%.2f" % (key, s[key]["p99"]))
    for key in CEILING_SHARE:
        if key in s:
            print("rps.%s=%.0f" % (key, s[key]["rps"]))
    for key in CEILING_SHARE:
        if key in s:
            print("cpu_us.%s=%.1f" % (key, s[key]["cpu_us"]))
    bad = [k for k in CEILING_SHARE if k in s and s[k]["errors"]]
    for k in labels:
        if k in s and s[k]["errors"]:
            print("errors.%s=%d" % (k, s[k]["errors"]))
    return 3 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
