#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""One wrk run, and what else the machine did meanwhile. Prints one JSON object:
  rps, p50_ms, p99_ms     wrk's requests/s and latency percentiles
  requests                requests completed
  non2xx, socket_errors   answers with a status ≥ 400 (wrk counts those) and connect, read,
                          write and timeout errors; errors = their sum
  load1                   the 1-minute load average when the run started
  server_cores            CPU used by the server process(es) (--pid), in cores
  wrk_cores               CPU used by wrk, in cores
  other_cores             CPU used by everything else (other processes, and time stolen
                          from this virtual machine), in cores: the noise next to the figure
  rss                     with --rss-every S: [seconds, VmRSS KiB, VmHWM KiB] of the first
                          --pid, sampled every S seconds while wrk runs (the first at 0 s)
Usage: wrk_run.py --url URL --requests FILE [--pid PID]… [--duration S] [--threads N]
                  [--connections N] [--timeout S] [--rss-every S]"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time

LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "requests.lua")
HZ = os.sysconf("SC_CLK_TCK")


def busy_ticks():
    """All CPUs' busy time from /proc/stat: user nice system irq softirq steal."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]


def proc_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (all threads)
    return total


def rss_kib(pid):
    """[VmRSS, VmHWM] of pid, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        v = dict(line.split(":", 1) for line in f)
    return [int(v["VmRSS"].split()[0]), int(v["VmHWM"].split()[0])]


def run_sampling(cmd, pid, every):
    """Runs cmd; meanwhile samples pid's memory every `every` seconds (never, when 0)."""
    samples, t0 = [], time.monotonic()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as p:
        while every:
            samples.append([round(time.monotonic() - t0)] + rss_kib(pid))
            try:
                p.wait(timeout=every)
                break
            except subprocess.TimeoutExpired:
                pass
        out = p.communicate()[0]
    return p.returncode, out, samples


def children_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def ms(out, label):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)\b" % label, out, re.M)
    if not m:
        sys.exit("wrk_run: no %s%% latency in wrk's output:\n%s" % (label, out))
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


def parse(out):
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if not rps or not total:
        sys.exit("wrk_run: cannot read wrk's output:\n" + out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r = {
        "rps": float(rps.group(1)),
        "p50_ms": ms(out, "50"),
        "p99_ms": ms(out, "99"),
        "requests": int(total.group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, sock.groups())) if sock else 0,
    }
    r["errors"] = r["non2xx"] + r["socket_errors"]
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--requests", required=True)
    ap.add_argument("--pid", type=int, action="append", default=[])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--timeout", type=int, default=10)
    ap.add_argument("--rss-every", type=int, default=0)
    a = ap.parse_args()

    cmd = ["wrk", "-t%d" % a.threads, "-c%d" % a.connections, "-d%ds" % a.duration,
           "--timeout", "%ds" % a.timeout, "--latency", "-s", LUA, a.url, "--",
           a.requests, str(a.threads)]
    with open("/proc/loadavg") as f:
        load1 = float(f.read().split()[0])
    t0, busy0, srv0, wrk0 = time.monotonic(), busy_ticks(), proc_ticks(a.pid), children_seconds()
    rc, out, samples = run_sampling(cmd, a.pid[0] if a.pid else 0, a.rss_every)
    elapsed = time.monotonic() - t0
    busy, srv = (busy_ticks() - busy0) / HZ, (proc_ticks(a.pid) - srv0) / HZ
    wrk_s = children_seconds() - wrk0
    if rc != 0:
        sys.exit("wrk_run: wrk failed (%d):\n%s" % (rc, out))
    r = parse(out)
    r.update(load1=load1, server_cores=round(srv / elapsed, 2), wrk_cores=round(wrk_s / elapsed, 2),
             other_cores=round(max(0.0, busy - srv - wrk_s) / elapsed, 2))
    if samples:
        r["rss"] = samples
    print(json.dumps(r))


if __name__ == "__main__":
    main()
