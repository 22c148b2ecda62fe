#!/usr/bin/env python
"""Where modtrace's overhead goes, workload by workload (the workloads of
``bench_core.py``).

    python benchmarks/diagnose.py [--repeat N] [--quick] [--only TEXT]

1. Callbacks: how often the engine's Python callbacks (``on_code``,
   ``on_call_site``, ``on_import``) are entered during one traced run, and how
   long they take in all, against the extra time of the traced run. The wrappers
   are installed on ``modtrace.collect.engine.ENGINE`` (an instance attribute
   that the backends pick up when they activate); nothing in ``src/`` changes.

2. Floors, interleaved like bench_core.py (median of per-repetition ratios):

   * Python 3.10/3.11: the untraced run; a C profile function that does nothing
     (``_noop_profile.c``, compiled here with the interpreter's headers; the
     cost of *any* ``sys.setprofile``-style hook); modtrace's own C hook with
     every location already retired (its steady state: a pointer-set lookup per
     event); the full ``modtrace.trace``.
   * Python 3.12+: the untraced run; a bare ``sys.monitoring`` tool on the same
     events that returns DISABLE at once (the floor of the approach); the same
     plus a do-nothing PY_UNWIND callback (an event that cannot be disabled,
     which modtrace uses to follow module bodies); the full ``modtrace.trace``.

3. Python 3.10/3.11: the number of profile events per workload (counted with a
   Python profile function in a separate run) and the extra time per event.
   Python 3.12+: the number of PY_UNWIND events per workload.
"""

import argparse
import gc
import importlib.util
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from bench_core import CLOCKS, table, workloads  # noqa: E402

import modtrace  # noqa: E402
from modtrace.collect import engine as _engine  # noqa: E402

ENGINE = _engine.ENGINE
perf_counter = time.perf_counter
clock = CLOCKS["wall"]  # --clock


# -- 1. callbacks -------------------------------------------------------------------


class Counting:
    def __init__(self):
        self.calls = {}
        self.seconds = {}

    def wrap(self, name, fn):
        self.calls[name] = 0
        self.seconds[name] = 0.0

        def wrapper(*args):
            t0 = perf_counter()
            try:
                return fn(*args)
            finally:
                self.seconds[name] += perf_counter() - t0
                self.calls[name] += 1

        return wrapper


def count_callbacks(fn_factory):
    counting = Counting()
    names = ("on_code", "on_call_site", "on_import")
    originals = {n: getattr(ENGINE, n) for n in names}
    for n in names:
        setattr(ENGINE, n, counting.wrap(n, originals[n]))
    try:
        fn = fn_factory()
        t0 = perf_counter()
        tr = modtrace.trace(fn, [()])
        elapsed = perf_counter() - t0
    finally:
        for n in names:
            delattr(ENGINE, n)  # back to the class's methods
    return counting, elapsed, tr


# -- 2. floors ------------------------------------------------------------------------


def build_noop():
    """Compile _noop_profile.c for this interpreter; the module, or None."""
    src = os.path.join(HERE, "_noop_profile.c")
    out = os.path.join(tempfile.gettempdir(), "modtrace-bench-%s" % sys.implementation.cache_tag)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "_noop_profile" + sysconfig.get_config_var("EXT_SUFFIX"))
    if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(src):
        cc = os.environ.get("CC", "cc")
        cmd = [cc, "-O2", "-shared", "-fPIC", "-I" + sysconfig.get_paths()["include"], src, "-o", path]
        try:
            subprocess.run(cmd, check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as e:
            sys.stderr.write("cannot build the no-op profile hook: %s\n" % e)
            return None
    spec = importlib.util.spec_from_file_location("_noop_profile", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def timed(fn):
    t0 = clock()
    fn()
    return clock() - t0


def variants_profile():
    """The variants for Python 3.10/3.11: name -> run(fn_factory) -> seconds."""
    from modtrace.collect import _cprofile

    noop = build_noop()
    out = {"untraced": lambda make: timed(make())}
    if noop is not None:

        def with_noop(make):
            fn = make()
            noop.install()
            try:
                return timed(fn)
            finally:
                noop.uninstall()

        out["no-op C profile hook"] = with_noop

    retire_call, retire_c_call = (lambda frame: True), (lambda frame, func: True)
    try:
        hook = _cprofile.Hook(retire_call, retire_c_call, [])  # (on_call, on_c_call, deferred)
    except TypeError:
        hook = _cprofile.Hook(retire_call, retire_c_call)  # the first version's signature

    def with_retired_hook(make):
        fn = make()
        hook.active = True
        hook.install()
        try:
            return timed(fn)
        finally:
            sys.setprofile(None)
            hook.active = False

    out["modtrace C hook, all retired"] = with_retired_hook
    out["modtrace.trace"] = lambda make: timed(lambda fn=make(): modtrace.trace(fn, [()]))
    return out


def variants_monitoring():
    mon = sys.monitoring
    E = mon.events
    DISABLE = mon.DISABLE
    EVENTS = (E.PY_START, E.PY_RESUME, E.CALL)

    def bare_tool(make, unwind=False):
        """A tool on modtrace's events whose callbacks return DISABLE at once
        (with ``unwind``, also a PY_UNWIND callback, which cannot be disabled)."""
        fn = make()
        tool = next(t for t in (5, 4, 3, 2, 1, 0) if mon.get_tool(t) is None)
        mon.use_tool_id(tool, "bench-floor")

        def cb(*args):
            return DISABLE

        def on_unwind(code, offset, exc):
            pass

        events = EVENTS + ((E.PY_UNWIND,) if unwind else ())
        for ev in EVENTS:
            mon.register_callback(tool, ev, cb)
        if unwind:
            mon.register_callback(tool, E.PY_UNWIND, on_unwind)
        try:
            t0 = clock()
            mon.restart_events()
            mon.set_events(tool, sum(events))
            fn()
            mon.set_events(tool, 0)
            return clock() - t0
        finally:
            for ev in events:
                mon.register_callback(tool, ev, None)
            mon.free_tool_id(tool)

    return {
        "untraced": lambda make: timed(make()),
        "sys.monitoring, DISABLE at once": bare_tool,
        "same + PY_UNWIND callback": lambda make: bare_tool(make, unwind=True),
        "modtrace.trace": lambda make: timed(lambda fn=make(): modtrace.trace(fn, [()])),
    }


def count_unwinds(make):
    mon = sys.monitoring
    E = mon.events
    tool = next(t for t in (5, 4, 3, 2, 1, 0) if mon.get_tool(t) is None)
    mon.use_tool_id(tool, "bench-count")
    n = [0]

    def on_unwind(code, offset, exc):
        n[0] += 1

    fn = make()
    mon.register_callback(tool, E.PY_UNWIND, on_unwind)
    mon.set_events(tool, E.PY_UNWIND)
    try:
        fn()
    finally:
        mon.set_events(tool, 0)
        mon.register_callback(tool, E.PY_UNWIND, None)
        mon.free_tool_id(tool)
    return n[0]


def floors(work, variants, repeat):
    names = list(variants)
    for v in names:  # warm-up
        variants[v](work.prepare)
    times = {v: [] for v in names}
    for rep in range(repeat):
        k = rep % len(names)
        for v in names[k:] + names[:k]:
            gc.collect()
            times[v].append(variants[v](work.prepare))
    base = times["untraced"]
    return {v: statistics.median(t / b for t, b in zip(times[v], base)) for v in names}, statistics.median(base)


# -- 3. events --------------------------------------------------------------------------


def count_events(make):
    counts = {}

    def prof(frame, event, arg):
        counts[event] = counts.get(event, 0) + 1

    fn = make()
    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=None, help="repetitions for the floors (default 9, --quick 3)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="as in bench_core.py")
    args = ap.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    repeat = args.repeat if args.repeat is not None else (3 if args.quick else 9)
    works = [w for w in workloads(args.quick) if not args.only or any(o in w.name for o in args.only)]
    profile_backend = sys.version_info < (3, 12)

    print("Python %s, %s clock" % (sys.version.split()[0], args.clock))
    print()
    print("1. Python callbacks entered during one traced run (inclusive time, wrappers' own cost included)")
    rows = []
    for work in works:
        base = min(timed(work.prepare()) for _ in range(3))
        modtrace.trace(work.prepare(), [()])  # warm-up
        counting, _, tr = count_callbacks(work.prepare)
        total = sum(counting.seconds.values())
        rows.append(
            [work.name, tr.meta.get("backend")]
            + ["%d / %.1f ms" % (counting.calls[n], counting.seconds[n] * 1e3) for n in counting.calls]
            + ["%.1f ms" % (total * 1e3), "%.0f ms" % (base * 1e3), "%.2f%%" % (100 * total / base)]
        )
    print(
        table(
            rows,
            ["workload", "backend", "on_code n / time", "on_call_site n / time", "on_import n / time",
             "in callbacks", "untraced (min of 3)", "callbacks / untraced"],
        )
    )
    print()

    print("2. Floors: median ratio to the untraced run, %d interleaved repetitions" % repeat)
    variants = variants_profile() if profile_backend else variants_monitoring()
    rows = []
    for work in works:
        sys.stderr.write("floors: %s\n" % work.name)
        med, base = floors(work, variants, repeat)
        rows.append([work.name, "%.3f" % base] + ["%.2fx" % med[v] for v in variants if v != "untraced"])
    print(table(rows, ["workload", "untraced s"] + [v for v in variants if v != "untraced"]))

    if not profile_backend:
        print()
        print("3. PY_UNWIND events per run (frames left by an exception; the one event modtrace cannot disable)")
        print(table([[w.name, "%d" % count_unwinds(w.prepare)] for w in works], ["workload", "PY_UNWIND events"]))
    if profile_backend:
        print()
        print("3. Profile events per run, and the extra time per event (median of %d)" % repeat)
        rows = []
        for work in works:
            if work.group != "call-heavy":
                continue
            counts = count_events(work.prepare)
            n = sum(counts.values())
            base = statistics.median(timed(work.prepare()) for _ in range(repeat))
            traced = statistics.median(timed(lambda fn=work.prepare(): modtrace.trace(fn, [()])) for _ in range(repeat))
            rows.append(
                [work.name, "%d" % n, ", ".join("%s %d" % kv for kv in sorted(counts.items())),
                 "%.0f ns" % ((traced - base) / n * 1e9)]
            )
        print(table(rows, ["workload", "events", "by kind", "extra per event"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
