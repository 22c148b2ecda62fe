"""The workloads of ``bench_core.py``.

They live in a module of their own (not ``__main__``) so that the code they run
belongs to a real, importable module, as the code of a traced program would.

Call-heavy pure Python: each function takes a size ``n`` (how many rounds) and
returns a deterministic value, so that a traced run can be checked against the
untraced one.

Real programs: CPython's own test suites run in-process through ``unittest``;
:func:`suite_runner` builds a fresh suite and returns the callable that runs it.
"""

import io
import json
import json.decoder
import json.encoder
import math
import unittest

# -- (a) call-heavy pure Python --------------------------------------------------


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def recursion(n):
    """Deep call trees of a small recursive function: ~n * 29,000 Python calls."""
    total = 0
    for _ in range(n):
        total += fib(20)
    return total


class Vec:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def add(self, other):
        return Vec(self.x + other.x, self.y + other.y)

    def scale(self, k):
        return Vec(self.x * k, self.y * k)

    def dot(self, other):
        return self.x * other.x + self.y * other.y

    @classmethod
    def zero(cls):
        return cls(0, 0)

    @staticmethod
    def clamp(v, lo, hi):
        return lo if v < lo else hi if v > hi else v


class Vec3(Vec):
    __slots__ = ("z",)

    def __init__(self, x, y, z):
        super().__init__(x, y)
        self.z = z

    def dot(self, other):
        return super().dot(other) + self.z * getattr(other, "z", 0)


class Counter:
    def __init__(self):
        self.count = 0

    def incr(self, k=1):
        self.count += k
        return self.count


def methods(n):
    """Method calls on small classes: instance, class and static methods,
    ``super()``, object creation: ~12 Python calls per round."""
    c = Counter()
    acc = 0
    w = Vec(1, 2)
    for i in range(n):
        v = Vec.zero().add(w).scale(3)
        acc += v.dot(w)
        acc += Vec3(i, 1, 2).dot(Vec3(1, 1, 1))
        acc = Vec.clamp(acc, -(10**9), 10**9)
        c.incr()
        c.incr(2)
    return acc + c.count


def c_calls(n):
    """Small calls into C: builtins, methods of built-in types, ``math``:
    ~16 C calls per round."""
    out = []
    seen = {}
    total = 0
    sqrt, floor, gcd = math.sqrt, math.floor, math.gcd
    for i in range(n):
        out.append(i)
        total += len(out) + floor(sqrt(i)) + gcd(i, 12) + abs(-i) + max(i, 7) + min(i, 3)
        total += isinstance(i, int) + math.isqrt(i) + int(math.log2(i + 1))
        seen.setdefault(i & 255, i)
        total += seen.get(i & 127, 0)
        if len(out) > 64:
            out.clear()
    return total + len(seen)


_DOC = {
    "id": 12345,
    "name": "modtrace benchmark document",
    "tags": ["alpha", "beta", "gamma", "delta", "\u00e9t\u00e9"],
    "ratio": 0.125,
    "active": True,
    "nothing": None,
    "items": [{"sku": "A-%d" % i, "qty": i, "price": i * 1.5, "ok": i % 2 == 0} for i in range(20)],
    "nested": {"a": {"b": {"c": [1, 2, 3, {"d": "e"}]}}},
}


def json_speedups():
    """True when json's C accelerators are in use."""
    return json.encoder.c_make_encoder is not None and json.decoder.c_scanstring is not None


def codec(n):
    """json.dumps/json.loads round trips with the C speedups (few, larger C calls)."""
    total = 0
    for _ in range(n):
        s = json.dumps(_DOC)
        total += len(s)
        total += len(json.loads(s)["items"])
        s = json.dumps(_DOC, sort_keys=True, separators=(",", ":"))
        total += len(json.loads(s))
    return total


def _gen(k):
    for i in range(k):
        yield i * i


def generators(n):
    """Generator resumptions, generator expressions, comprehensions, closures
    and lambdas."""
    total = 0
    offset = 3

    def shift(x):
        return x + offset

    for i in range(n):
        total += sum(_gen(8))
        total += sum(x for x in range(8) if x & 1)
        total += len([shift(x) for x in range(4)])
        total += max(range(6), key=lambda x: -x)
    return total


#: name -> (function, size for a full run; --quick uses a quarter)
CALL_HEAVY = {
    "recursion (fib)": (recursion, 240),
    "method calls": (methods, 120_000),
    "small C calls": (c_calls, 200_000),
    "json codec (C)": (codec, 3_000),
    "generators/closures": (generators, 100_000),
}


# -- (b) real programs ------------------------------------------------------------


def _flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        else:
            yield t


class SuiteOutcome:
    """What a unittest run did, comparable between runs."""

    def __init__(self, result):
        self.run = result.testsRun
        self.problems = sorted(
            (kind, test.id(), text)
            for kind, pairs in (("error", result.errors), ("failure", result.failures))
            for test, text in pairs
        )
        self.skipped = len(result.skipped)
        self.key = (self.run, tuple(p[:2] for p in self.problems), self.skipped)

    def __eq__(self, other):
        return isinstance(other, SuiteOutcome) and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    def __repr__(self):
        return "<%d tests, %d errors/failures, %d skipped>" % (self.run, len(self.problems), self.skipped)


def suite_runner(name, exclude=()):
    """Build a fresh suite for test module ``name`` (without tests whose id
    starts with one of ``exclude``) and return a callable that runs it and
    returns a :class:`SuiteOutcome`."""
    suite = unittest.defaultTestLoader.loadTestsFromName(name)
    if exclude:
        suite = unittest.TestSuite(t for t in _flatten(suite) if not t.id().startswith(tuple(exclude)))

    def run_suite():
        runner = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0)
        return SuiteOutcome(runner.run(suite))

    return run_suite


#: name -> (test module, excluded test id prefixes)
PROGRAMS = {
    "test_json": ("test.test_json", ()),
    # test_json.test_tool spends its time in `python -m json.tool` child
    # processes, which no in-process tracer sees: this row shows the in-process part.
    "test_json w/o test_tool": ("test.test_json", ("test.test_json.test_tool.",)),
    "test_difflib": ("test.test_difflib", ()),
}
