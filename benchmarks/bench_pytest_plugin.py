#!/usr/bin/env python
"""The pytest plugin's overhead on a real third-party test suite.

    python -m pip install networkx        # the suite: networkx ships its tests
    python benchmarks/bench_pytest_plugin.py [--repeat N] [--full] [--workers N]

The suite is networkx's own tests, installed from PyPI with the library (pure
Python, thousands of small, fast tests: the hard case for a per-test tracer).
By default a part of it runs (``networkx.classes``, ``networkx.generators``,
``networkx.algorithms.shortest_paths``: about 2,700 tests); ``--full`` runs all
of it.

Two variants, each ``python -m pytest -q -p no:cacheprovider --pyargs ...``
in a fresh subprocess:

* ``plain``: the suite as it is;
* ``modtrace``: the same with ``--modtrace=FILE``.

One untimed warm-up run of each comes first (bytecode caches). Then each
repetition runs both, in an order that alternates from one repetition to the
next. The time of a run is the CPU time (user + system) of the child, which
a busy machine disturbs less than wall time; wall times are printed too. The
ratio is the median over repetitions of modtrace's time over the plain time of
the same repetition; the bracket gives the smallest and largest of those
ratios. Target: at most 1.10x on Python 3.12+.

The size of the trace file is printed with the number of tests and modules: it
is bounded by modules x tests (each test's list of module names), not by the
number of calls.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

PART = ["networkx.classes", "networkx.generators", "networkx.algorithms.shortest_paths"]


def run_once(targets, extra, workers):
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *extra]
    if workers:
        args += ["-n", str(workers)]
    args += ["--pyargs", *targets]
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):  # 1: some test of the suite failed here, still a run
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"pytest exited with status {proc.returncode}: {' '.join(args)}")
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    return cpu, wall, summary


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--full", action="store_true", help="run all of networkx's tests")
    ap.add_argument("--workers", type=int, default=0, help="run with pytest-xdist -n N")
    opts = ap.parse_args(argv)
    try:
        import networkx
    except ImportError:
        raise SystemExit("this benchmark runs networkx's test suite: python -m pip install networkx")
    import modtrace

    targets = ["networkx"] if opts.full else PART
    tmp = tempfile.mkdtemp(prefix="modtrace-bench-plugin-")
    out = os.path.join(tmp, "trace.json")
    variants = {"plain": [], "modtrace": [f"--modtrace={out}"]}
    print(f"Python {platform.python_version()}, networkx {networkx.__version__}, modtrace {modtrace.__version__}, "
          f"{'all of networkx' if opts.full else ' '.join(PART)}"
          + (f", xdist -n {opts.workers}" if opts.workers else ""))
    for name, extra in variants.items():  # warm-up
        _, _, summary = run_once(targets, extra, opts.workers)
        print(f"  warm-up {name}: {summary}")
    times = {name: [] for name in variants}
    walls = {name: [] for name in variants}
    order = list(variants)
    for rep in range(opts.repeat):
        for name in (order if rep % 2 == 0 else order[::-1]):
            cpu, wall, _ = run_once(targets, variants[name], opts.workers)
            times[name].append(cpu)
            walls[name].append(wall)
        print(f"  repetition {rep + 1}: plain {times['plain'][-1]:.2f}s, modtrace {times['modtrace'][-1]:.2f}s cpu")
    ratios = [m / p for m, p in zip(times["modtrace"], times["plain"])]
    wall_ratios = [m / p for m, p in zip(walls["modtrace"], walls["plain"])]
    with open(out, encoding="utf-8") as f:
        doc = json.load(f)
    size = os.path.getsize(out)
    tests = doc.get("tests", {})
    entries = sum(len(v) for v in tests.values())
    print(f"plain     cpu median {statistics.median(times['plain']):.2f}s  wall median {statistics.median(walls['plain']):.2f}s")
    print(f"modtrace  cpu median {statistics.median(times['modtrace']):.2f}s  wall median {statistics.median(walls['modtrace']):.2f}s")
    print(f"ratio (cpu)  {statistics.median(ratios):.3f}x  [{min(ratios):.3f} .. {max(ratios):.3f}]   target <= 1.10x on 3.12+")
    print(f"ratio (wall) {statistics.median(wall_ratios):.3f}x  [{min(wall_ratios):.3f} .. {max(wall_ratios):.3f}]")
    print(f"trace file {size / 1e6:.2f} MB: {len(doc['modules'])} modules, {len(tests)} tests, "
          f"{entries} test-module entries ({entries / max(len(tests), 1):.0f} per test, {size / max(entries, 1):.0f} bytes each)")
    for name in os.listdir(tmp):
        os.unlink(os.path.join(tmp, name))
    os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
