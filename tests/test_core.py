"""What the core tracer reports: every kind of use in DESIGN.md, in every thread,
and nothing else."""

import functools
import gc
import math
import os
import subprocess
import sys
import textwrap
import threading

import pytest

import modtrace
from modtrace import CALLED, EXECUTED, IMPORTED

PROFILE_BACKEND = sys.version_info < (3, 12)


@pytest.fixture(autouse=True)
def no_gc_during_tests():
    """Garbage collections run gc.callbacks (hypothesis registers one) and
    finalizers of other tests' objects: real code, but not these tests'."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def names(fn, *args):
    return modtrace.trace_dependencies(fn, [args])


def test_noop_function_reports_exactly_its_module(mods):
    mods.write(x="def noop():\n    pass\n")
    x = mods.load("x")
    assert names(x.noop) == [x.__name__]


def test_result_is_sorted_union_over_inputs(mods):
    mods.write(
        a="def f(): pass\n",
        b="def f(): pass\n",
        entry="""
        import {p}a, {p}b
        def run(which):
            if which == "a":
                {p}a.f()
            else:
                {p}b.f()
        """,
    )
    entry = mods.load("entry")
    used = modtrace.trace_dependencies(entry.run, [("a",), ("b",)])
    assert used == sorted([mods.name("a"), mods.name("b"), mods.name("entry")])
    assert modtrace.trace_dependencies(entry.run, [("a",)]) == sorted([mods.name("a"), mods.name("entry")])


def test_every_kind_of_python_code_is_seen(mods):
    mods.write(
        lam="f = lambda x: x + 1\n",
        clo="""
        def make():
            def inner(x):
                return x * 2
            return inner
        inner = make()
        """,
        static="""
        class K:
            @staticmethod
            def s(x):
                return x
            @classmethod
            def c(cls, x):
                return x
        """,
        genexp="def total(xs):\n    return sum(x for x in xs)\n",
        comp="def squares(xs):\n    return [x * x for x in xs]\n",
        gen="""
        def counter(n):
            for i in range(n):
                yield i
        """,
        coro="""
        async def twice(x):
            return 2 * x
        """,
        deco="""
        import functools
        def logged(fn):
            @functools.wraps(fn)
            def wrapper(*a, **k):
                return fn(*a, **k)
            return wrapper
        """,
        decorated="""
        from {p}deco import logged
        @logged
        def g(x):
            return x
        """,
        base="""
        class Base:
            def hello(self):
                return "base"
        """,
        derived="""
        from {p}base import Base
        class Derived(Base):
            def hello(self):
                return super().hello() + "!"
        """,
        entry="""
        import {p}lam, {p}clo, {p}static, {p}genexp, {p}comp, {p}gen, {p}coro
        import {p}decorated, {p}derived
        def run():
            {p}lam.f(1)
            {p}clo.inner(2)
            {p}static.K.s(1)
            {p}static.K.c(2)
            {p}genexp.total([1, 2])
            {p}comp.squares([3])
            list({p}gen.counter(3))
            c = {p}coro.twice(4)
            try:
                c.send(None)
            except StopIteration:
                pass
            {p}decorated.g(5)
            {p}derived.Derived().hello()
        """,
    )
    entry = mods.load("entry")
    used = set(names(entry.run))
    expected = {mods.name(n) for n in "lam clo static genexp comp gen coro deco decorated base derived entry".split()}
    assert expected <= used
    assert all(u.startswith(mods.prefix) for u in used - {"builtins"}), used


def test_each_generator_resumption_is_seen(mods):
    """A generator created before the trace, resumed during it."""
    mods.write(gen="def counter():\n    yield 1\n    yield 2\n")
    gen = mods.load("gen")
    it = gen.counter()
    next(it)  # started before the trace
    assert names(next, it) == sorted(["builtins", mods.name("gen")])


def test_class_body_and_generated_code(mods):
    mods.write(
        dc="""
        import dataclasses
        @dataclasses.dataclass
        class Point:
            x: int
            y: int = 0
        """,
        body="""
        def make():
            class Local:
                attr = 1
            return Local
        """,
    )
    dc, body = mods.load("dc"), mods.load("body")
    t = modtrace.trace(dc.Point, [(1, 2)])
    assert EXECUTED in t[mods.name("dc")].uses  # the generated __init__ runs in dc's namespace
    t = modtrace.trace(body.make)
    assert EXECUTED in t[mods.name("body")].uses  # the class body ran (through builtins.__build_class__)
    assert set(t.names()) == {mods.name("body"), "builtins"}


def test_c_functions_and_methods_of_c_types():
    import collections

    assert names(math.sqrt, 4.0) == ["math"]

    def use_methods():
        d = collections.deque()
        d.append(1)
        return "a,b".split(",")

    used = set(modtrace.trace_dependencies(use_methods, [()]))
    assert {"collections", "builtins", __name__} <= used
    # the unbound method descriptor, called directly
    assert names(collections.deque.copy, collections.deque()) == ["collections"]
    # a bound method of a C type, as the traced callable
    assert names(collections.deque().append, 1) == ["collections"]


@pytest.mark.xfail(
    PROFILE_BACKEND,
    reason="documented limit of the profile hook (3.10/3.11): instantiating a class "
    "that runs no Python code produces no event",
    strict=True,
)
def test_class_without_python_init_is_called(mods):
    mods.write(
        plain="class Plain:\n    pass\n",
        entry="import {p}plain\ndef run():\n    return {p}plain.Plain()\n",
    )
    entry = mods.load("entry")
    t = modtrace.trace(entry.run)
    assert CALLED in t[mods.name("plain")].uses


def test_class_as_the_traced_callable_and_callable_instances(mods):
    mods.write(
        plain="class Plain:\n    pass\n",
        callme="""
        class Callme:
            def __call__(self, x):
                return x
        """,
    )
    plain, callme = mods.load("plain"), mods.load("callme")
    assert names(plain.Plain) == [mods.name("plain")]
    assert names(callme.Callme(), 1) == [mods.name("callme")]
    # a partial's home is functools; what it wraps runs too
    assert names(functools.partial(callme.Callme(), 3)) == sorted(["functools", mods.name("callme")])


def test_modules_imported_during_the_call(mods, tmp_path):
    mods.write(
        late="VALUE = 1\n",
        pkg__sub="X = 2\n",
        entry="""
        def run():
            import {p}late
            from {p}pkg import sub
            return {p}late.VALUE + sub.X
        """,
    )
    # a namespace package: no code at all, only an import
    (tmp_path / (mods.prefix + "ns")).mkdir()
    (tmp_path / (mods.prefix + "ns") / "leaf.py").write_text("Y = 3\n")
    entry = mods.load("entry")
    t = modtrace.trace(entry.run)
    assert t[mods.name("late")].uses == {IMPORTED}
    assert t[mods.name("pkg")].uses == {IMPORTED}
    assert t[mods.name("pkg.sub")].uses == {IMPORTED}
    fu = t[mods.name("late")].first_use
    assert fu.by == mods.name("entry") and fu.function.endswith("run") and fu.line == 3
    t = modtrace.trace(__import__, [(mods.prefix + "ns.leaf",)])
    assert t[mods.name("ns")].uses == {IMPORTED}
    assert t[mods.name("ns.leaf")].uses == {IMPORTED}


def test_compiled_extension_imported_during_the_call():
    code = textwrap.dedent(
        """
        import sys, modtrace
        assert "_csv" not in sys.modules
        def run():
            import _csv
        t = modtrace.trace(run)
        print(sorted(t.names()), sorted(t["_csv"].uses))
        """
    )
    # (without setuptools' distutils shim, a meta path finder whose code would run too)
    env = dict(os.environ, SETUPTOOLS_USE_DISTUTILS="stdlib")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "['__main__', '_csv'] ['imported']"


def test_work_in_threads_started_during_the_trace(mods):
    mods.write(
        worker="def work(out):\n    out.append(1)\n",
        entry="""
        import threading, {p}worker
        def run():
            out = []
            t = threading.Thread(target={p}worker.work, args=(out,))
            t.start()
            t.join()
            return out
        """,
    )
    entry = mods.load("entry")
    t = modtrace.trace(entry.run)
    assert t[mods.name("worker")].uses >= {EXECUTED}
    assert "threading" in t


def test_work_in_threads_that_already_ran(mods):
    mods.write(worker="def work():\n    return 1\n")
    worker = mods.load("worker")
    go, done = threading.Event(), threading.Event()

    def loop():
        go.wait()
        worker.work()
        done.set()

    th = threading.Thread(target=loop)
    th.start()
    with modtrace.Tracer() as tracer:
        go.set()
        done.wait(10)
    th.join()
    assert mods.name("worker") in tracer.trace


def test_method_named_like_a_global_is_attributed_right(mods):
    """torch.package's tracer crashes here ('list' object has no attribute '__module__')."""
    mods.write(
        m="""
        run = []
        forward = [1, 2]
        class Model:
            def forward(self):
                return 1
            def run(self):
                return self.forward()
        """,
        other="""
        def forward():
            return 2
        """,
    )
    m, other = mods.load("m"), mods.load("other")
    assert names(m.Model().run) == [mods.name("m")]
    assert names(other.forward) == [mods.name("other")]


def test_attribution_never_runs_user_code(mods):
    mods.write(
        hostile="""
        calls = []
        class Meta(type):
            @property
            def __module__(cls):
                calls.append("meta __module__")
                raise RuntimeError("no")
        class Hostile(metaclass=Meta):
            def __getattr__(self, name):
                calls.append("getattr " + name)
                raise RuntimeError(name)
            def __getattribute__(self, name):
                if name not in ("__class__", "__dict__"):
                    calls.append("getattribute " + name)
                return object.__getattribute__(self, name)
            @property
            def value(self):
                calls.append("property")
                return 7
            def __call__(self):
                return 1
        class Sneaky(list):
            @property
            def __class__(self):
                calls.append("__class__")
                raise RuntimeError("no")
        def use():
            h = Hostile()
            s = Sneaky()
            s.append(1)  # a C method bound to an object with a hostile __class__
            append = s.append
            append(2)
            return h.value + h()
        """
    )
    hostile = mods.load("hostile")
    del hostile.calls[:]
    result = modtrace.trace(hostile.use)
    assert hostile.calls == ["getattribute value", "property"]
    assert mods.name("hostile") in result


def test_synthetic_namespaces_are_not_modules(mods):
    mods.write(
        nt="""
        import collections
        Point = collections.namedtuple("Point", "x y")
        def run():
            ns = {}
            exec("def f():\\n    return 1\\nf()", ns)
            return Point(1, 2)
        """
    )
    nt = mods.load("nt")
    used = names(nt.run)
    assert not any("namedtuple" in u or u == "" for u in used), used
    assert mods.name("nt") in used
    assert all(u in sys.modules for u in used)


def test_modtrace_itself_is_never_reported(mods):
    mods.write(x="def noop():\n    pass\n")
    x = mods.load("x")

    def nested():
        return modtrace.trace_dependencies(x.noop, [()])

    used = modtrace.trace_dependencies(nested, [()])
    assert not [u for u in used if u.startswith("modtrace")]
    assert mods.name("x") in used


def test_exception_propagates_unchanged_and_hooks_are_removed(mods):
    mods.write(boom="def boom():\n    raise ValueError('boom')\n", x="def noop():\n    pass\n")
    boom, x = mods.load("boom"), mods.load("x")
    before = sys.getprofile()
    for exc_type in (ValueError,):
        with pytest.raises(exc_type) as info:
            modtrace.trace_dependencies(boom.boom, [()])
        assert str(info.value) == "boom"
        assert info.value.__traceback__ is not None
    assert sys.getprofile() is before
    _assert_no_monitoring_tool()
    assert names(x.noop) == [mods.name("x")]


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_interrupt_and_exit_leave_no_hooks(mods, exc):
    mods.write(x="def noop():\n    pass\n")
    x = mods.load("x")

    def raiser():
        x.noop()
        raise exc()

    tracer = modtrace.Tracer()
    with pytest.raises(exc):
        with tracer:
            raiser()
    assert mods.name("x") in tracer.trace  # the trace exists after the block raised
    assert sys.getprofile() is None
    _assert_no_monitoring_tool()
    assert names(x.noop) == [mods.name("x")]


def _assert_no_monitoring_tool():
    if sys.version_info >= (3, 12):
        assert "modtrace" not in [sys.monitoring.get_tool(i) for i in range(6)]


def test_second_trace_sees_code_again(mods):
    mods.write(x="import math\ndef f():\n    return math.floor(1.5)\n")
    x = mods.load("x")
    first = modtrace.trace(x.f)
    second = modtrace.trace(x.f)
    assert first.names() == second.names() == sorted(["math", mods.name("x")])


def test_nested_traces_each_get_their_full_result(mods):
    mods.write(
        a="def f():\n    return 1\n",
        b="def g():\n    return 2\n",
        entry="""
        import modtrace, {p}a, {p}b
        inner = []
        def run():
            {p}a.f()
            inner.append(modtrace.trace_dependencies(both, [()]))
        def both():
            {p}a.f()
            {p}b.g()
        """,
    )
    entry = mods.load("entry")
    outer = names(entry.run)
    assert entry.inner == [sorted([mods.name("a"), mods.name("b"), mods.name("entry")])]
    # the outer trace also saw what the inner one did, and run()'s list.append
    assert outer == sorted(entry.inner[0] + ["builtins"])


def test_traces_in_several_threads_at_once(mods):
    mods.write(
        a="def f():\n    return 1\n",
        b="def g():\n    return 2\n",
    )
    a, b = mods.load("a"), mods.load("b")
    barrier = threading.Barrier(2)
    results = {}

    def traced(key, fn):
        def body():
            barrier.wait()
            for _ in range(50):
                fn()
            barrier.wait()

        results[key] = modtrace.trace(body)

    threads = [threading.Thread(target=traced, args=(k, fn)) for k, fn in (("a", a.f), ("b", b.g))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mods.name("a") in results["a"]
    assert mods.name("b") in results["b"]
    assert sys.getprofile() is None
    _assert_no_monitoring_tool()


def _deepest_untraced(fn):
    """The largest n for which fn(n) runs without the tracer."""
    n = sys.getrecursionlimit()
    while n > 0:
        try:
            fn(n)
            return n
        except RecursionError:
            n -= 1
    raise AssertionError("no depth works")


@pytest.mark.parametrize("margin", [1, 2, 20])
def test_recursion_close_to_the_limit(mods, margin):
    """Code first seen at the bottom of a recursion a few frames from the limit:
    the program runs as without the tracer, and the module is still reported.
    (On 3.12+ the sys.monitoring callback itself needs one frame: code first
    seen exactly at the limit fails one frame earlier than untraced.)"""
    mods.write(
        bottom="def leaf():\n    return 1\n",
        rec="""
        import {p}bottom
        def down(n):
            if n == 0:
                return {p}bottom.leaf()
            return down(n - 1)
        """,
    )
    rec = mods.load("rec")
    target = _deepest_untraced(rec.down) - margin
    t = modtrace.trace(rec.down, [(target,)])
    assert mods.name("bottom") in t
    assert t[mods.name("bottom")].first_use.function.endswith("down")
    assert "internal_errors" not in t.meta


def test_use_contexts(mods):
    mods.write(
        helper="def h():\n    return 1\n",
        lib="import {p}helper\nVALUE = {p}helper.h()\n",
        entry="""
        def importer():
            import {p}lib
        def later():
            import {p}helper
            return {p}helper.h()
        """,
    )
    mods.load("helper")
    entry = mods.load("entry")
    with modtrace.Tracer() as tracer:
        entry.importer()
    t = tracer.trace
    helper, lib = t[mods.name("helper")], t[mods.name("lib")]
    assert set(helper.contexts) == {mods.name("lib")}
    assert EXECUTED in helper.contexts[mods.name("lib")]
    assert not helper.used_at_run_time
    assert lib.contexts == {None: {IMPORTED}}
    assert lib.only_imported
    assert lib.first_use.by == mods.name("entry")
    # the same code, first run during an import, later at run time, in one trace
    with modtrace.Tracer() as tracer:
        entry.importer.__globals__  # noqa: B018  (nothing)
        sys.modules.pop(mods.name("lib"))
        entry.importer()
        entry.later()
    helper = tracer.trace[mods.name("helper")]
    assert set(helper.contexts) == {mods.name("lib"), None}
    assert EXECUTED in helper.contexts[None]
    assert helper.used_at_run_time


def test_main_body_is_run_time(tmp_path):
    (tmp_path / "helper.py").write_text("def h():\n    return 1\n")
    (tmp_path / "script.py").write_text(
        textwrap.dedent(
            """
            import modtrace
            tracer = modtrace.Tracer().start()
            import helper
            helper.h()
            t = tracer.stop()
            print(list(t["helper"].contexts), sorted(t["helper"].contexts[None] - {"called"}))
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(tmp_path / "script.py")], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout
    assert out.strip() == "[None] ['executed', 'imported']"


def test_first_use_location_and_graph(mods):
    mods.write(
        leaf="def f():\n    return 1\n",
        mid="import {p}leaf\ndef g():\n    return {p}leaf.f()\n",
    )
    mid = mods.load("mid")
    t = modtrace.trace(mid.g)
    leaf = t[mods.name("leaf")]
    assert leaf.first_use.by == mods.name("mid")
    assert leaf.first_use.file.endswith(mods.prefix + "mid.py")
    assert leaf.first_use.line == 3
    assert leaf.first_use.function == "g"
    assert leaf.file.endswith(mods.prefix + "leaf.py")
    assert (mods.name("mid"), mods.name("leaf")) in t.edges()
    assert t[mods.name("mid")].first_use.by is None  # the traced entry


def test_trace_json_round_trip_of_a_real_trace(mods):
    mods.write(x="import json\ndef f():\n    import email.utils\n    return json.dumps([1])\n")
    x = mods.load("x")
    t = modtrace.trace(x.f)
    again = modtrace.Trace.from_json(t.to_json())
    assert again == t
    assert again.to_json() == t.to_json()


def test_tracer_start_stop_api_errors():
    tracer = modtrace.Tracer()
    with pytest.raises(RuntimeError):
        tracer.stop()
    tracer.start()
    with pytest.raises(RuntimeError):
        tracer.start()
    assert isinstance(tracer.stop(), modtrace.Trace)
    assert not tracer.active


def test_a_module_is_never_its_own_import_context(mods):
    mods.write(
        selfuse="""
        import math
        def helper():
            return math.floor(2.5)
        class Thing:
            x = helper()
        VALUE = helper()
        """,
        outer="import {p}selfuse\n",
        entry="def run():\n    import {p}outer\n",
    )
    entry = mods.load("entry")
    t = modtrace.trace(entry.run)
    selfuse = t[mods.name("selfuse")]
    # its class body and its own calls during its import are part of being imported
    assert selfuse.contexts == {mods.name("outer"): {IMPORTED}}
    assert selfuse.only_imported
    assert set(t["math"].contexts) == {mods.name("selfuse")}


def test_a_module_that_renames_itself_is_found_by_its_spec(mods):
    mods.write(renamed='__name__ = "somewhere.else"\ndef f():\n    return 1\n')
    renamed = mods.load("renamed")
    assert names(renamed.f) == [mods.name("renamed")]


def test_light_tracers_nested_in_a_full_one(mods):
    """What the pytest plugin does: one full tracer, a light one per test. Each
    light one sees every module its block used, also those seen before."""
    mods.write(
        a="def f():\n    return 1\n",
        b="def g():\n    return 2\n",
        late="def h():\n    return 3\n",
    )
    a, b = mods.load("a"), mods.load("b")
    results = []
    with modtrace.Tracer() as outer:
        for block in ([a.f], [a.f, b.g], [b.g], ["late"], [a.f]):
            with modtrace.Tracer(light=True) as inner:
                for fn in block:
                    if fn == "late":
                        __import__(mods.prefix + "late").h()
                    else:
                        fn()
            results.append(inner.trace)
    # (importing runs other code too: the finders on sys.meta_path, pytest's one)
    assert [{n for n in t.names() if n.startswith(mods.prefix)} for t in results] == [
        {mods.name("a")},
        {mods.name("a"), mods.name("b")},
        {mods.name("b")},
        {mods.name("late")},
        {mods.name("a")},
    ]
    late = results[3][mods.name("late")]
    assert late.uses >= {IMPORTED, EXECUTED}
    assert results[0][mods.name("a")].first_use.file is None  # light: no locations
    assert {mods.name("a"), mods.name("b"), mods.name("late")} <= set(outer.trace.names())
    # a full tracer started after light ones still gets everything, with locations
    with modtrace.Tracer() as outer:
        with modtrace.Tracer(light=True):
            a.f()
        with modtrace.Tracer() as full:
            a.f()
    assert full.trace[mods.name("a")].first_use.file is not None


def test_meta_path_finders_at_work_are_import_machinery(mods):
    """A finder installed before the trace (as setuptools' distutils shim or
    pytest's assertion rewriter are) runs on every import: that is the import
    system at work, not a use of the finder's module."""
    mods.write(
        finder="""
        import sys
        seen = []
        def note(name):
            seen.append(name)
        class Finder:
            def find_spec(self, name, path=None, target=None):
                note(name)
                return None
        """,
        late="X = 1\n",
        entry="def run():\n    import {p}late\n",
    )
    finder = mods.load("finder")
    entry = mods.load("entry")
    sys.meta_path.insert(0, finder.Finder())
    try:
        t = modtrace.trace(entry.run)
    finally:
        del sys.meta_path[0]
    assert mods.name("late") in finder.seen  # it ran
    assert mods.name("finder") not in t
    assert mods.name("late") in t
    # called by the program itself, the finder's code is used like any other
    t = modtrace.trace(finder.Finder().find_spec, [("x",)])
    assert mods.name("finder") in t
