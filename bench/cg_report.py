#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Per-request costs from a callgrind profile of rcauth (bench/profile.sh).
Usage: cg_report.py PREFIX REQUESTS SECONDS [TOP]
PREFIX-NN are the per-thread files of `valgrind --tool=callgrind --separate-threads=yes` on a
server that answered REQUESTS requests in SECONDS. Only the threads that ran requests (those
that called on_request) are counted per request, so start-up, shut-down and the background
thread (whose once-a-second work is given apart, per second) do not blur the figures. Prints,
per request: instructions (Ir); the functions with the most inclusive cost (their callees
included) and with the most self cost, each with its main callers; the calls of the
allocator and of a few costly library functions, and who asks for them. Reads callgrind's
own file format (names compressed as "(id)")."""
import glob
import collections
import os
import sys

WATCH = ["malloc", "calloc", "realloc", "free", "posix_memalign", "sqlite3_step",
         "crypto_sign_ed25519_detached", "crypto_sign_ed25519_verify_detached",
         "crypto_auth_hmacsha256", "randombytes_buf", "json_loadb", "json_loads",
         "pthread_mutex_lock", "clock_gettime", "vsnprintf", "__libc_sendmsg", "send"]


class Profile:
    def __init__(self):
        self.self_ir = collections.Counter()
        self.out_ir = collections.Counter()  # cost of the calls a function makes
        self.calls = collections.Counter()  # callee → times called
        self.edges = collections.Counter()  # (caller, callee) → inclusive cost of those calls
        self.edge_calls = collections.Counter()  # (caller, callee) → times called
        self.total = 0

    def load(self, path):
        names = {}

        def resolve(kind, rest):
            rest = rest.strip()
            if rest.startswith("("):
                ident, _, name = rest.partition(")")
                key = (kind, ident + ")")
                if name.strip():
                    names[key] = name.strip()
                return names.get(key, rest)
            return rest

        ob = fn = cob = callee = None
        pending = 0
        with open(path) as f:
            for line in f:
                head, _, rest = line.partition("=")
                if head == "ob":
                    ob = os.path.basename(resolve("ob", rest))
                elif head == "fn":
                    fn = "%s [%s]" % (resolve("fn", rest), ob)
                elif head == "cob":
                    cob = os.path.basename(resolve("ob", rest))
                elif head == "cfn":
                    callee = "%s [%s]" % (resolve("fn", rest), cob or ob)
                elif head in ("fl", "fi", "fe", "cfi", "cfl"):
                    resolve("fl", rest)  # file names share one table; kept for later refs
                elif head == "calls":
                    pending = int(rest.split()[0])
                elif line[:1] in "0123456789+-*" and fn:
                    cost = int(line.split()[-1]) if len(line.split()) > 1 else 0
                    if pending:
                        self.calls[callee] += pending
                        self.edges[(fn, callee)] += cost
                        self.edge_calls[(fn, callee)] += pending
                        self.out_ir[fn] += cost
                        pending, cob = 0, None
                    else:
                        self.self_ir[fn] += cost
                        self.total += cost

    def inclusive(self, fn):
        return self.self_ir[fn] + self.out_ir[fn]


# Helpers whose calls are credited to their callers: allocation wrappers, the byte buffer,
# the JSON writer, the SQLite backend's plumbing.
WRAPPERS = ("xmalloc", "xcalloc", "xrealloc", "xstrdup", "xstrndup", "reserve", "buf_", "jsonw_",
            "json_escape_append", "store_sqlite_")


def sites(prof, names, depth=12):
    """Calls of the functions called `names`, credited to the rcauth function that asked for
    them: through allocation wrappers and library internals (jansson, libc…), shared among
    their callers by call counts; libmicrohttpd's own calls are its own."""
    callers = collections.defaultdict(list)
    for (caller, callee), n in prof.edge_calls.items():
        callers[callee].append((caller, n))
    credit = collections.Counter()

    def walk(fn, count, d):
        name, ob = fn.rpartition(" [")[0], fn.rpartition(" [")[2].rstrip("]")
        if ob == "rcauth" and not name.startswith(WRAPPERS):
            credit[name] += count
        elif ob.startswith("libmicrohttpd") or d == 0 or not callers[fn]:
            credit["%s (%s)" % (name if ob == "rcauth" else "internal", ob.split(".so")[0])] += count
        else:
            total = sum(n for _, n in callers[fn])
            for caller, n in callers[fn]:
                walk(caller, count * n / total, d - 1)

    for fn in list(prof.calls):
        if fn.rpartition(" [")[0] in names:
            for caller, n in callers[fn]:
                walk(caller, n, depth)
    return credit


def short(fn):
    name, _, ob = fn.rpartition(" [")
    return "%s (%s)" % (name, ob.rstrip("]").split(".so")[0]) if ob else fn


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    run, other, n, secs = Profile(), Profile(), int(sys.argv[2]), float(sys.argv[3])
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 15
    files = sorted(glob.glob(sys.argv[1] + "-*"))
    if not files:
        sys.exit("cg_report: no %s-NN files" % sys.argv[1])
    for path in files:
        with open(path) as f:
            serves = " on_request\n" in f.read()
        (run if serves else other).load(path)
    per_req = run.total / n

    def share(v):
        return "%5.1f%%" % (100 * v / (per_req * n)) if per_req else "-"

    def callers(fn, k=3):
        c = [(cost, caller) for (caller, callee), cost in run.edges.items() if callee == fn]
        c.sort(reverse=True)
        total = sum(x for x, _ in c) or 1
        return ", ".join("%s %.0f%%" % (short(who).split(" (")[0], 100 * x / total) for x, who in c[:k])

    print("instructions per request: %.0f (%d requests, request threads only); other threads "
          "(start-up, the once-a-second background work): %.0f Ir per second" % (
              per_req, n, other.total / secs))
    print()
    print("top inclusive cost (function and what it calls), per request:")
    incl = sorted(((run.inclusive(f), f) for f in run.self_ir), reverse=True)
    skip = ("start_thread", "0x", "on_request", "respond", "http_router_dispatch", "clone")
    shown = 0
    for v, f in incl:
        if shown == top:
            break
        if any(short(f).startswith(s) for s in skip):
            continue
        shown += 1
        print("  %s %9.0f Ir  %s" % (share(v), v / n, short(f)))
    print()
    print("top self cost (the function's own instructions), per request, with its main callers:")
    for v, f in sorted(((run.self_ir[f], f) for f in run.self_ir), reverse=True)[:top]:
        print("  %s %9.0f Ir  %s  ← %s" % (share(v), v / n, short(f), callers(f)))
    print()
    print("calls per request:")
    counts = collections.Counter()
    for fn, c in run.calls.items():
        name = fn.rpartition(" [")[0]
        if name in WATCH:
            counts[name] += c
    print("  " + ", ".join("%s %.1f" % (k, counts[k] / n) for k in WATCH if counts[k]))
    for title, names in (("allocations (malloc, calloc, realloc)", {"malloc", "calloc", "realloc"}),
                         ("sqlite3_step", {"sqlite3_step"})):
        run_s = sites(run, names)
        per = sorted((v / n, k) for k, v in run_s.items())
        per = [(v, k) for v, k in reversed(per) if v >= 0.05]
        if per:
            print("%s per request, by the rcauth function that asks: " % title + ", ".join(
                "%s %.1f" % (k, v) for v, k in per[:top]))


if __name__ == "__main__":
    main()
