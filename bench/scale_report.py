#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The report of bench/scale.sh, from its results (KEY and the JSON of bench/wrk_run.py per
line; keys issue.small, issue.big, issue_same.big, verify.small, verify.big, mixed) and its
--meta NAME=VALUE
pairs (startup_ms.*, rss_start.*, rss_after_runs.* as "VmRSS VmHWM" in KiB, build_s.*,
db_mib.*, and the run's settings). Prints a table, the memory series of the mixed load and
the machine-readable scale.* lines. Exit status 3 when a measurement had errors."""
import sys

from report import cpu_model, load_runs, meta_args, summarise, table_head


def mib(kib):
    return int(kib) / 1024


def slope_per_min(samples):
    """Least-squares slope of VmRSS (MiB per minute) over the second half of the samples:
    the first half holds the warm-up, when caches fill."""
    pts = samples[len(samples) // 2:]
    if len(pts) < 2:
        return 0.0
    xs, ys = [p[0] / 60 for p in pts], [mib(p[1]) for p in pts]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def main():
    a, m = meta_args(sys.argv[1:], "results")
    runs = load_runs(a.results)
    s = {k: summarise(v) for k, v in runs.items()}
    mixed = runs["mixed"][0]
    rss = {k: [mib(x) for x in v.split()] for k, v in m.items() if k.startswith("rss_")}

    print()
    print("rcauth scale — commit %s; %s cores (%s); load average before %s, after %s" % (
        m["commit"], m["cores"], cpu_model(), m["load_before"], m["load_after"]))
    print("wrk -t2 -c64 -d%ss, median of %s runs (interleaved); issuance over %s accesses of "
          "the store (at most), verification over %s tokens" % (
              m["duration"], m["runs"], m["spread"], m["tokens"]))
    print()
    table_head("%-22s %8s %9s %8s %9s %8s %7s %9s %8s %7s %11s %11s", "store", "db MiB",
               "built s", "start ms", "issue/s", "p99 ms", "cpu µs", "verify/s", "p99 ms",
               "cpu µs", "RSS start", "RSS after")
    for size in ("small", "big"):
        i, v = s["issue." + size], s["verify." + size]
        print("%-22s %8s %9s %8s %9s %8.2f %7.1f %9s %8.2f %7.1f %7.1f MiB %7.1f MiB" % (
            "%s accesses" % "{:,}".format(int(m["accesses." + size])), m["db_mib." + size],
            m["build_s." + size], m["startup_ms." + size], "{:,.0f}".format(i["rps"]), i["p99"],
            i["cpu_us"], "{:,.0f}".format(v["rps"]), v["p99"], v["cpu_us"],
            rss["rss_start." + size][0], rss["rss_after_runs." + size][0]))
    same = s["issue_same.big"]
    print("%-22s %8s %9s %8s %9s %8.2f %7.1f   (issuance over %s of its accesses)" % (
        "", "", "", "", "{:,.0f}".format(same["rps"]), same["p99"], same["cpu_us"],
        "{:,}".format(int(m["accesses.small"]))))
    rs = same["rps"] / s["issue.small"]["rps"]
    ri = s["issue.big"]["rps"] / s["issue.small"]["rps"]
    rv = s["verify.big"]["rps"] / s["verify.small"]["rps"]
    ci = s["issue.big"]["cpu_us"] / s["issue.small"]["cpu_us"]
    cv = s["verify.big"]["cpu_us"] / s["verify.small"]["cpu_us"]
    print("%-22s %8s %9s %8s %9.2f %8s %7.2f %9.2f %8s %7.2f" % (
        "big ÷ small", "", "", "", ri, "", ci, rv, "", cv))
    print("%-22s %8s %9s %8s %9.2f %8s %7.2f   (the same working set)" % (
        "", "", "", "", rs, "", same["cpu_us"] / s["issue.small"]["cpu_us"]))
    print("cpu µs: rcauth's CPU time per request (user + system, all threads), steadier than req/s"
          " on a shared machine.")
    errors = {k: v["errors"] for k, v in s.items() if v["errors"]}
    for k, n in errors.items():
        print("! %s: %d errors (status ≥ 400 or socket errors): not a valid figure" % (k, n))
    print("load1 per measurement (median): " + ", ".join(
        "%s %.2f" % (k, v["load1"]) for k, v in s.items()) + "; other cores: " + ", ".join(
        "%s %.2f" % (k, v["other"]) for k, v in s.items()))

    samples = mixed.get("rss", [])
    print()
    print("Mixed load on the big store, %s min: issue, verify and /authorize in turn, a secret "
          "rotation every %s requests" % (m["minutes"], m["admin_every"]))
    print("  %s req/s, p50 %.2f ms, p99 %.2f ms, %d errors, load1 %.2f, other cores %.2f" % (
        "{:,.0f}".format(mixed["rps"]), mixed["p50_ms"], mixed["p99_ms"], mixed["errors"],
        mixed["load1"], mixed["other_cores"]))
    print("  VmRSS (MiB) by second: " + ", ".join("%d:%.1f" % (t, mib(r)) for t, r, _ in samples))
    hwm = max([mib(h) for _, _, h in samples] + [rss["rss_after_runs.big"][1]])
    slope = slope_per_min(samples)
    print("  VmHWM %.1f MiB; VmRSS slope over the second half %+.2f MiB/min" % (hwm, slope))
    print()
    print("scale.issue_ratio=%.2f" % ri)
    print("scale.issue_same_set_ratio=%.2f" % rs)
    print("scale.verify_ratio=%.2f" % rv)
    print("scale.issue_cpu_ratio=%.2f" % ci)
    print("scale.verify_cpu_ratio=%.2f" % cv)
    print("scale.startup_ms=%s" % m["startup_ms.big"])
    print("scale.rss_start_mib=%.1f" % rss["rss_start.big"][0])
    print("scale.rss_end_mib=%.1f" % (mib(samples[-1][1]) if samples else 0))
    print("scale.hwm_mib=%.1f" % hwm)
    print("scale.rss_slope_mib_per_min=%.2f" % slope)
    for k, n in errors.items():
        print("errors.%s=%d" % (k, n))
    return 3 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
