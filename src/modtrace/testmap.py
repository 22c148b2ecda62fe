"""Per-test module maps and child-process lists in traces: how they merge.

A trace written by ``pytest --modtrace`` has ``"tests"``: node id -> sorted
names of the modules that test used. A trace of a process tree has
``"processes"``: one entry per child process (see :mod:`modtrace.subproc`).
Combining traces (``modtrace combine``, the xdist controller) takes the union
of the tests' lists and the concatenation of the process lists.
"""


def tests_of(trace):
    """The per-test map of ``trace`` (``{}`` when it has none): node id -> list
    of module names. Entries that are not lists of strings are dropped."""
    raw = trace.extra.get("tests")
    if not isinstance(raw, dict):
        return {}
    return {
        nodeid: [n for n in names if isinstance(n, str)]
        for nodeid, names in raw.items()
        if isinstance(nodeid, str) and isinstance(names, list)
    }


def merge_tests(into, tests):
    """Add the map ``tests`` (node id -> names) to ``into`` (node id -> set)."""
    for nodeid, names in tests.items():
        into.setdefault(nodeid, set()).update(names)
    return into


def combine_extra(trace, traces):
    """Set ``trace.extra["tests"]`` and ``["processes"]`` from ``traces``: the
    union of the per-test maps, every process of every trace. Keys none of
    ``traces`` has stay absent."""
    tests = None
    processes = None
    for t in traces:
        if isinstance(t.extra.get("tests"), dict):
            tests = merge_tests({} if tests is None else tests, tests_of(t))
        procs = t.extra.get("processes")
        if isinstance(procs, list):
            processes = (processes or []) + [p for p in procs if isinstance(p, dict)]
    if tests is not None:
        trace.extra["tests"] = {n: sorted(tests[n]) for n in sorted(tests)}
    else:
        trace.extra.pop("tests", None)
    if processes is not None:
        trace.extra["processes"] = processes
    else:
        trace.extra.pop("processes", None)
    return trace


def tests_using(trace, keep):
    """The sorted node ids of the tests that used a module ``keep(name)`` accepts."""
    return sorted(nodeid for nodeid, names in tests_of(trace).items() if any(keep(n) for n in names))
