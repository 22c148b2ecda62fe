#!/usr/bin/env python
"""Benchmark modtrace's core tracer against the untraced run and against
``torch.package.analyze.trace_dependencies`` (where torch is importable).

    python benchmarks/bench_core.py [--repeat N] [--quick] [--only TEXT] [--no-torch]

Every workload is run by three variants, interleaved in this one process:

* ``untraced``: the workload itself;
* ``modtrace``: ``modtrace.trace(call, [()])``;
* ``torch.package``: ``torch.package.analyze.trace_dependencies(call, [()])``.

One untimed warm-up run of each variant comes first (imports, caches). Then
each repetition runs every variant once, in an order that rotates from one
repetition to the next, with a ``gc.collect()`` before each timed run. A
variant's ratio is the median over the repetitions of its time divided by the
untraced time of the same repetition (paired, so that slow phases of a noisy
machine cancel out); the bracket gives the interquartile range of those ratios.

Every traced run's result is compared with the untraced one. A tracer that
raises, or that makes the program do something else (a test that errors because
the tracer's callback raised inside it), is reported as ``crashed: <error>``
and is not run again on that workload.
"""

import argparse
import gc
import json
import math
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import bench_workloads as W  # noqa: E402

import modtrace  # noqa: E402

perf_counter = time.perf_counter
try:
    import resource
except ImportError:  # not on Windows
    resource = None


def cpu_time():
    """CPU time of this process and of its waited-for children (test_json's
    test_tool runs ``python -m json.tool`` child processes)."""
    t = time.process_time()
    if resource is not None:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        t += ru.ru_utime + ru.ru_stime
    return t


#: the clock the runs are timed with (--clock): wall time, or CPU time (steadier
#: on a busy machine: time spent waiting for a core is left out)
CLOCKS = {"wall": time.perf_counter, "cpu": cpu_time}
clock = CLOCKS["wall"]

UNTRACED, MODTRACE, TORCH = "untraced", "modtrace", "torch.package"


class Crash(Exception):
    """A traced run did not do what the untraced run did."""


# -- variants ---------------------------------------------------------------------


def run_untraced(fn):
    t0 = clock()
    result = fn()
    return clock() - t0, result, None


def run_modtrace(fn):
    box = []

    def call():
        box.append(fn())

    t0 = clock()
    tr = modtrace.trace(call, [()])
    elapsed = clock() - t0
    return elapsed, box[0], tr


def make_run_torch(trace_dependencies):
    def run_torch(fn):
        box = []

        def call():
            box.append(fn())

        try:
            t0 = clock()
            mods = trace_dependencies(call, [()])
            elapsed = clock() - t0
        finally:
            # torch.package never removes its hook when the callable raises.
            if sys.getprofile() is not None:
                sys.setprofile(None)
        return elapsed, box[0], mods

    return run_torch


def load_torch():
    """torch.package's trace_dependencies and torch's version, or (None, why)."""
    try:
        import torch
        from torch.package.analyze import trace_dependencies
    except Exception as e:  # ImportError, or a broken install
        return None, "not importable (%s)" % type(e).__name__
    return trace_dependencies, torch.__version__


# -- workloads ----------------------------------------------------------------------


class Workload:
    def __init__(self, name, group, prepare):
        self.name = name
        self.group = group  # "call-heavy" or "program"
        self.prepare = prepare  # () -> fn, fresh for every run


def workloads(quick):
    out = []
    for name, (fn, size) in W.CALL_HEAVY.items():
        n = max(1, size // 4) if quick else size
        out.append(Workload(name, "call-heavy", lambda fn=fn, n=n: (lambda: fn(n))))
    for name, (module, exclude) in W.PROGRAMS.items():
        out.append(Workload(name, "program", lambda m=module, x=exclude: W.suite_runner(m, x)))
    return out


def describe_difference(expected, got):
    """(message, detail): why ``got`` (a traced run's result) is not ``expected``."""
    if isinstance(expected, W.SuiteOutcome) and isinstance(got, W.SuiteOutcome):
        known = {p[:2] for p in expected.problems}
        for kind, test_id, text in got.problems:
            if (kind, test_id) in known:
                continue
            lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
            last = lines[-1] if lines else kind
            if "trace_dependencies" in text:
                detail = "the tracer's callback raised inside %s; tracing stopped there and the run went on untraced" % test_id
            else:
                detail = "new %s in %s (not in the untraced run)" % (kind, test_id)
            return last, detail
    return "different result: %r, expected %r" % (got, expected), None


def one_run(variant_fn, fn, expected):
    """Run once; return (seconds, extra) or raise Crash(message, detail)."""
    try:
        elapsed, result, extra = variant_fn(fn)
    except Exception as e:
        raise Crash("%s: %s" % (type(e).__name__, e), None) from e
    if expected is not None and result != expected:
        msg, detail = describe_difference(expected, result)
        raise Crash(msg, detail)
    return elapsed, result, extra


# -- measuring -----------------------------------------------------------------------


class Measure:
    def __init__(self, variants):
        self.times = {v: [] for v in variants}  # per repetition; None when not run
        self.crash = {}  # variant -> (message, detail)
        self.modules = {}  # variant -> number of modules reported
        self.backend = None
        self.internal_errors = 0


def measure(work, variants, repeat, log):
    m = Measure(list(variants))
    names = list(variants)
    # Warm-up: the untraced run first gives the reference result.
    fn = work.prepare()
    _, expected, _ = run_untraced(fn)
    for v in names[1:]:
        fn = work.prepare()
        try:
            _, _, extra = one_run(variants[v], fn, expected)
            record_extra(m, v, extra)
        except Crash as c:
            m.crash[v] = c.args
    for rep in range(repeat):
        k = rep % len(names)
        order = names[k:] + names[:k]
        row = {}
        for v in order:
            if v in m.crash:
                continue
            fn = work.prepare()
            gc.collect()
            try:
                elapsed, _, extra = one_run(variants[v], fn, expected)
            except Crash as c:
                m.crash[v] = c.args
                continue
            record_extra(m, v, extra)
            row[v] = elapsed
        for v in names:
            m.times[v].append(row.get(v))
        log(".")
    return m


def record_extra(m, variant, extra):
    if variant == MODTRACE:
        m.modules[variant] = len(extra.names())
        m.backend = extra.meta.get("backend")
        m.internal_errors = max(m.internal_errors, extra.meta.get("internal_errors", 0))
    elif variant == TORCH:
        m.modules[variant] = len(extra)


def ratios(m, variant):
    out = []
    for base, t in zip(m.times[UNTRACED], m.times.get(variant, ())):
        if base and t is not None:
            out.append(t / base)
    return out


def min_ratio(m, variant):
    """The fastest traced run over the fastest untraced run."""
    base = [t for t in m.times[UNTRACED] if t is not None]
    runs = [t for t in m.times.get(variant, ()) if t is not None]
    return min(runs) / min(base)


def summary(values):
    """(median, q1, q3) of ``values``."""
    med = statistics.median(values)
    if len(values) >= 4:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    else:
        q1, q3 = min(values), max(values)
    return med, q1, q3


# -- reporting -------------------------------------------------------------------------


def cell(m, variant):
    if variant in m.crash:
        return "crashed: " + m.crash[variant][0]
    r = ratios(m, variant)
    if not r:
        return "n/a"
    med, q1, q3 = summary(r)
    return "%.2fx [%.2f-%.2f] min %.2fx" % (med, q1, q3, min_ratio(m, variant))


def table(rows, header):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    fmt = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    lines = [fmt(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [fmt(r) for r in rows]
    return "\n".join(lines)


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def targets(results, version, have_torch):
    """The targets of issue 2, point 6, checked on this run."""
    lines = []
    med = {}
    for work, m in results:
        for v in (MODTRACE, TORCH):
            r = ratios(m, v) if v not in m.crash else []
            med[(work.name, v)] = summary(r)[0] if r else None

    def verdict(ok):
        return "MET" if ok else "NOT MET"

    if version >= (3, 12):
        vals = [(w.name, med[(w.name, MODTRACE)]) for w, _ in results]
        vals = [(n, x) for n, x in vals if x is not None]
        worst = max(vals, key=lambda p: p[1]) if vals else None
        ok = bool(vals) and all(x <= 1.05 for _, x in vals)
        lines.append(
            "Python 3.12+: modtrace at most 1.05x on every workload: %s (worst: %s %.2fx)"
            % (verdict(ok), worst[0], worst[1])
        )
        return lines
    label = "Python 3.11" if version[:2] == (3, 11) else "Python %d.%d (3.11's targets, for information)" % version[:2]
    vals = [(w.name, med[(w.name, MODTRACE)]) for w, _ in results if w.group == "call-heavy"]
    vals = [(n, x) for n, x in vals if x is not None]
    if vals:
        worst = max(vals, key=lambda p: p[1])
        lines.append(
            "%s: modtrace at most 3x on call-heavy code: %s (worst: %s %.2fx)"
            % (label, verdict(all(x <= 3 for _, x in vals)), worst[0], worst[1])
        )
    if have_torch:
        cmp, bad = [], []
        for w, m in results:
            mt, tt = med[(w.name, MODTRACE)], med[(w.name, TORCH)]
            if mt is None:
                continue
            if tt is None:
                cmp.append("%s: torch.package %s" % (w.name, "crashed" if TORCH in m.crash else "n/a"))
                continue
            cmp.append("%s %.2fx < %.2fx" % (w.name, mt, tt) if mt < tt else "%s %.2fx >= %.2fx" % (w.name, mt, tt))
            if mt >= tt:
                bad.append(w.name)
        lines.append("%s: modtrace below torch.package's ratio in the same run: %s" % (label, verdict(not bad)))
        lines.extend("    " + c for c in cmp)
    else:
        lines.append("%s: modtrace below torch.package's ratio: not checked (torch not importable)" % label)
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=None, help="timed repetitions per workload (default 11, --quick 3)")
    ap.add_argument("--quick", action="store_true", help="a quarter of the call-heavy work and 3 repetitions")
    ap.add_argument("--only", action="append", default=[], help="run the workloads whose name contains TEXT")
    ap.add_argument("--no-torch", action="store_true", help="leave torch.package out even where importable")
    ap.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="time with the wall clock (default) or with the CPU time of the process and its children "
        "(steadier on a busy machine)",
    )
    ap.add_argument("--json", metavar="PATH", help="also write the raw timings as JSON")
    args = ap.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    repeat = args.repeat if args.repeat is not None else (3 if args.quick else 11)

    variants = {UNTRACED: run_untraced, MODTRACE: run_modtrace}
    torch_fn, torch_info = (None, "left out (--no-torch)") if args.no_torch else load_torch()
    if torch_fn is not None:
        variants[TORCH] = make_run_torch(torch_fn)

    works = [w for w in workloads(args.quick) if not args.only or any(o in w.name for o in args.only)]

    def log(s):
        sys.stderr.write(s)
        sys.stderr.flush()

    results = []
    for work in works:
        log("%-26s" % work.name)
        t0 = perf_counter()
        results.append((work, measure(work, variants, repeat, log)))
        log(" %.0f s\n" % (perf_counter() - t0))

    backend = next((m.backend for _, m in results if m.backend), None)
    print(
        "Python %s (%s) on %s; modtrace %s (%s), backend: %s; torch.package: %s"
        % (
            platform.python_version(),
            platform.python_implementation(),
            platform.machine(),
            modtrace.__version__,
            os.path.dirname(os.path.abspath(modtrace.__file__)),
            backend,
            torch_info if torch_fn is None else "torch " + torch_info,
        )
    )
    print(
        "%s clock; %d interleaved repetitions (rotating order) after 1 warm-up; ratio = median of per-repetition "
        "(traced s / untraced s) [interquartile range], then the ratio of the fastest runs; json C speedups: %s"
        % (args.clock, repeat, "on" if W.json_speedups() else "OFF")
    )
    print()
    header = ["workload", "untraced s" + ("" if args.clock == "wall" else " (cpu)"), "modtrace x"] + (["torch.package x"] if TORCH in variants else [])
    rows = []
    for work, m in results:
        base = [t for t in m.times[UNTRACED] if t is not None]
        row = [work.name, "%.3f" % statistics.median(base), cell(m, MODTRACE)]
        if TORCH in variants:
            row.append(cell(m, TORCH))
        rows.append(row)
    heavy = [(w, m) for w, m in results if w.group == "call-heavy"]
    if len(heavy) > 1:
        row = ["call-heavy, geometric mean", ""]
        for v in [MODTRACE] + ([TORCH] if TORCH in variants else []):
            meds = [summary(ratios(m, v))[0] for _, m in heavy if v not in m.crash and ratios(m, v)]
            row.append("%.2fx" % geomean(meds) if len(meds) == len(heavy) else "n/a")
        rows.append(row)
    if TORCH not in variants:
        header.append("torch.package x")
        for row in rows:
            row.append("n/a" if row[1] else "")
    print(table(rows, header))

    notes = []
    for work, m in results:
        for v, (msg, detail) in sorted(m.crash.items()):
            if detail:
                notes.append("%s, %s: %s" % (work.name, v, detail))
        if m.internal_errors:
            notes.append("%s, modtrace: %d internal errors (trace.meta)" % (work.name, m.internal_errors))
    print()
    print(
        "modules reported: "
        + "; ".join(
            "%s: %s" % (w.name, ", ".join("%s %s" % (v, n) for v, n in sorted(m.modules.items())))
            for w, m in results
        )
    )
    for n in notes:
        print("note: " + n)
    print()
    for line in targets(results, sys.version_info, torch_fn is not None):
        print(line)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "python": platform.python_version(),
                    "backend": backend,
                    "torch": torch_info,
                    "repeat": repeat,
                    "clock": args.clock,
                    "quick": args.quick,
                    "workloads": {
                        w.name: {"times": m.times, "crash": m.crash, "modules": m.modules} for w, m in results
                    },
                },
                f,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
