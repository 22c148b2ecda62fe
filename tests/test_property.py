"""Property tests: on random module graphs and call chains, modtrace reports
exactly the modules on the executed path, each in the right contexts.

Each example is a fresh package of N generated modules. Functions of every kind
(plain, decorated by a wrapper from another module, lambdas, closures, methods,
static and class methods, callable instances, generators, comprehensions and
generator expressions) call functions of other modules along a random acyclic
call graph. Some modules are "static": imported before the trace, possibly
importing other static modules at their top that they never call. The others
are "dynamic": only ever imported during the trace, through
``importlib.import_module(...)`` or ``__import__(...)`` inside a function, or by
the top-level import of another dynamic module; a dynamic module's body may call
functions itself (during its own import) and decorates its functions with
wrappers from static modules (which calls the decorator during the import).

A small interpreter (:func:`simulate`) runs the same program abstractly and
says which module is used in which context (run time, or during the import of
which module). The trace must list exactly those modules (nothing missing,
nothing more), each imported in the right context, active in every context it
was used in up to its first use at run time and in no context it was not used
in (see :meth:`Expected.surely_active_contexts`), and with its first use in the
context where the program first used it.
"""

import gc
import os
import sys
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import modtrace
from modtrace import CALLED, EXECUTED, IMPORTED
from support.sandbox import ModuleSandbox

# -- the program model ------------------------------------------------------------

#: How a generated function is defined (and therefore how it is called).
KINDS = (
    "plain",
    "decorated",  # wrapped by deco() of another (static) module
    "lambda",
    "closure",  # make_fK() returns a closure; the caller calls both
    "method",  # CK().m()
    "staticmethod",  # CK.s()
    "classmethod",  # CK.c()
    "callable_instance",  # fK = CK(); fK() runs CK.__call__
    "generator",  # consumed by a list comprehension in the caller
    "listcomp",  # the body's calls run inside a list comprehension
    "genexp",  # the body's calls run inside a generator expression
)


@dataclass
class Func:
    fid: int
    module: int
    kind: str
    calls: list  # fids of the functions it calls, in order
    wrapper: int = None  # for "decorated": the module whose deco() wraps it


@dataclass
class Program:
    n: int
    dynamic: list  # per module: True when only imported during the trace
    funcs: list  # Func, by fid
    entry_calls: list  # fids the entry function (in module 0) calls
    extra_imports: dict = field(default_factory=dict)  # module -> static modules imported, never called
    top_imports: dict = field(default_factory=dict)  # dynamic module -> dynamic modules imported by its body
    body_calls: dict = field(default_factory=dict)  # dynamic module -> fids its body calls
    #: dynamic modules that functions import with ``__import__(...)`` rather than
    #: ``importlib.import_module(...)``
    dunder_import: set = field(default_factory=set)


@st.composite
def programs(draw):
    n = draw(st.integers(2, 7))
    dynamic = [False] + [draw(st.booleans()) for _ in range(n - 1)]
    static = [i for i in range(n) if not dynamic[i]]
    nfuncs = draw(st.integers(1, 14))
    funcs = []
    for fid in range(nfuncs):
        module = draw(st.integers(0, n - 1))
        kind = draw(st.sampled_from(KINDS))
        wrapper = None
        if kind == "decorated":
            others = [m for m in static if m != module]
            if others:
                wrapper = draw(st.sampled_from(others))
            else:
                kind = "plain"
        calls = []
        if fid < nfuncs - 1:
            calls = draw(st.lists(st.integers(fid + 1, nfuncs - 1), max_size=3))
        funcs.append(Func(fid, module, kind, calls, wrapper))
    entry_calls = draw(st.lists(st.integers(0, nfuncs - 1), min_size=1, max_size=4))
    extra_imports = {}
    for m in range(n):
        extra = draw(st.lists(st.sampled_from(static), max_size=2, unique=True))
        extra_imports[m] = [x for x in extra if x != m]
    top_imports = {}
    body_calls = {}
    dunder_import = set()
    for m in range(n):
        if dynamic[m]:
            if draw(st.booleans()):
                dunder_import.add(m)
            later = [j for j in range(m + 1, n) if dynamic[j]]
            top_imports[m] = draw(st.lists(st.sampled_from(later), max_size=2, unique=True)) if later else []
            body_calls[m] = draw(st.lists(st.integers(0, nfuncs - 1), max_size=2))
    return Program(n, dynamic, funcs, entry_calls, extra_imports, top_imports, body_calls, dunder_import)


# -- rendering the program as source -------------------------------------------------

_PRELUDE = '''\
def deco(f):
    def wrapper(*a, **k):
        return f(*a, **k)
    return wrapper

import importlib
'''


def _call_expr(prog, pkg, caller, fid):
    """The expression by which module ``caller`` calls function ``fid``."""
    f = prog.funcs[fid]
    if f.module == caller:
        ref = ""
    elif f.module in prog.dunder_import:
        ref = f'__import__("{pkg}.m{f.module}", None, None, ["_"]).'
    elif prog.dynamic[f.module]:
        ref = f'importlib.import_module("{pkg}.m{f.module}").'
    else:
        ref = f"m{f.module}."
    k = f.fid
    if f.kind == "closure":
        return f"{ref}make_f{k}()()"
    if f.kind == "method":
        return f"{ref}C{k}().m()"
    if f.kind == "staticmethod":
        return f"{ref}C{k}.s()"
    if f.kind == "classmethod":
        return f"{ref}C{k}.c()"
    if f.kind == "generator":
        return f"[_ for _ in {ref}g{k}()]"
    return f"{ref}f{k}()"


def _block(lines, indent):
    pad = " " * indent
    return "".join(f"{pad}{line}\n" for line in (lines or ["pass"]))


def _render_func(prog, pkg, f):
    calls = [_call_expr(prog, pkg, f.module, c) for c in f.calls]
    k = f.fid
    tup = "(" + "".join(c + ", " for c in calls) + ")"
    if f.kind == "plain":
        return f"def f{k}():\n" + _block(calls, 4)
    if f.kind == "decorated":
        return f"@m{f.wrapper}.deco\ndef f{k}():\n" + _block(calls, 4)
    if f.kind == "lambda":
        return f"f{k} = lambda: {tup}\n"
    if f.kind == "closure":
        return f"def make_f{k}():\n    v = {k}\n    def inner():\n        v\n" + _block(calls, 8) + "    return inner\n"
    if f.kind == "method":
        return f"class C{k}:\n    def m(self):\n" + _block(calls, 8)
    if f.kind == "staticmethod":
        return f"class C{k}:\n    @staticmethod\n    def s():\n" + _block(calls, 8)
    if f.kind == "classmethod":
        return f"class C{k}:\n    @classmethod\n    def c(cls):\n" + _block(calls, 8)
    if f.kind == "callable_instance":
        return f"class C{k}:\n    def __call__(self):\n" + _block(calls, 8) + f"f{k} = C{k}()\n"
    if f.kind == "generator":
        half = len(calls) // 2
        return f"def g{k}():\n" + _block(calls[:half], 4) + "    yield 1\n" + _block(calls[half:], 4) + "    yield 2\n"
    if f.kind == "listcomp":
        return f"def f{k}():\n    [{tup} for _ in (0,)]\n"
    if f.kind == "genexp":
        return f"def f{k}():\n    for _ in ({tup} for _ in (0,)):\n        pass\n"
    raise AssertionError(f.kind)


def render(prog, pkg):
    """``{module index: source}`` of the program's modules."""
    out = {}
    for m in range(prog.n):
        mine = [f for f in prog.funcs if f.module == m]
        static_refs = set(prog.extra_imports.get(m, ()))
        for f in mine:
            if f.wrapper is not None:
                static_refs.add(f.wrapper)
            for c in f.calls:
                static_refs.add(prog.funcs[c].module)
        for c in prog.body_calls.get(m, ()):
            static_refs.add(prog.funcs[c].module)
        if m == 0:
            for c in prog.entry_calls:
                static_refs.add(prog.funcs[c].module)
        static_refs = sorted(x for x in static_refs if x != m and not prog.dynamic[x])
        src = _PRELUDE
        # ``deco`` comes first, so that a module whose import is in progress
        # (circular imports between static modules) already provides it.
        for x in static_refs:
            src += f"from {pkg} import m{x}\n"
        src += "\n"
        for f in mine:
            src += _render_func(prog, pkg, f) + "\n"
        if m == 0:
            src += "def entry():\n" + _block([_call_expr(prog, pkg, 0, c) for c in prog.entry_calls], 4)
        # A dynamic module's own imports and calls come after its definitions:
        # whatever they start may come back to this module while it is still
        # being imported.
        for x in prog.top_imports.get(m, ()):
            src += f"from {pkg} import m{x}\n"
        for c in prog.body_calls.get(m, ()):
            src += _call_expr(prog, pkg, m, c) + "\n"
        out[m] = src
    return out


# -- the expected result --------------------------------------------------------------

ACTIVE = "active"
_CLASS_KINDS = ("method", "staticmethod", "classmethod", "callable_instance")


class Expected:
    def __init__(self):
        #: module -> context -> {"active", "imported"}
        self.uses = {}
        #: module -> context of its first use
        self.first = {}
        #: module -> context it was imported in (for modules imported during the trace)
        self.imported_in = {}
        #: module -> contexts it was active in before it was first active at run time
        self.early = {}

    def record(self, module, kind, ctx):
        # A module's own code running during its own import is that import, in
        # the context of that import (a module is never its own context).
        if ctx == module:
            kind, ctx = IMPORTED, self.imported_in[module]
        contexts = self.uses.setdefault(module, {})
        if kind == ACTIVE and ACTIVE not in contexts.get(None, ()):
            self.early.setdefault(module, set()).add(ctx)
        contexts.setdefault(ctx, set()).add(kind)
        self.first.setdefault(module, ctx)

    def active_contexts(self, module):
        return {ctx for ctx, kinds in self.uses[module].items() if ACTIVE in kinds}

    def surely_active_contexts(self, module):
        """The active contexts a trace cannot miss.

        modtrace retires a code location once it has run at run time (that is
        what makes the steady state cheap), so a module already active at run
        time may or may not be seen again in the import contexts it is used in
        afterwards; no packaging decision depends on those, the module being
        needed anyway. Every context up to its first use at run time is seen."""
        return self.early.get(module, set())


def simulate(prog, pkg):
    """Run ``prog`` abstractly: which module is used in which context."""
    exp = Expected()
    loaded = {m for m in range(prog.n) if not prog.dynamic[m]}
    mod = lambda m: f"{pkg}.m{m}"  # noqa: E731

    def load(m, ctx):
        if m in loaded:
            return
        loaded.add(m)
        exp.imported_in[mod(m)] = ctx
        exp.record(mod(m), IMPORTED, ctx)
        inner = mod(m)
        for f in prog.funcs:
            if f.module != m:
                continue
            if f.kind in _CLASS_KINDS:  # builtins.__build_class__ (and staticmethod, classmethod)
                exp.record("builtins", ACTIVE, inner)
            if f.wrapper is not None:  # deco() runs
                exp.record(mod(f.wrapper), ACTIVE, inner)
        for x in prog.top_imports.get(m, ()):
            load(x, inner)
        for c in prog.body_calls.get(m, ()):
            call(m, c, inner)

    def call(caller, fid, ctx):
        f = prog.funcs[fid]
        if f.module != caller and prog.dynamic[f.module]:
            # builtins.__import__(...), or importlib.import_module(...): its
            # Python code runs, and it calls a method of str (builtins)
            if f.module not in prog.dunder_import:
                exp.record("importlib", ACTIVE, ctx)
            exp.record("builtins", ACTIVE, ctx)
            load(f.module, ctx)
        if f.wrapper is not None:
            exp.record(mod(f.wrapper), ACTIVE, ctx)
        exp.record(mod(f.module), ACTIVE, ctx)
        for c in f.calls:
            call(f.module, c, ctx)

    exp.record(mod(0), ACTIVE, None)  # the traced entry
    for c in prog.entry_calls:
        call(0, c, None)
    return exp


# -- running it -------------------------------------------------------------------------

_STANDARD_FINDERS = ("importlib._bootstrap", "importlib._bootstrap_external", "_frozen_importlib", "_frozen_importlib_external")


def _is_standard_finder(finder):
    owner = finder if isinstance(finder, type) else type(finder)
    return owner.__module__ in _STANDARD_FINDERS


def trace_isolated(fn):
    """Trace ``fn`` with only the interpreter's own finders on ``sys.meta_path``
    and the garbage collector paused.

    Finders that other tools install (pytest's assertion rewriter, setuptools'
    distutils hack) are Python code that runs on every new import: modtrace
    rightly reports their modules, but they are not part of the generated
    program. A collection during the trace could likewise run an unrelated
    finalizer."""
    saved = sys.meta_path[:]
    sys.meta_path[:] = [f for f in saved if _is_standard_finder(f)]
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        return modtrace.trace(fn)
    finally:
        if gc_was_enabled:
            gc.enable()
        sys.meta_path[:] = saved


def _describe(prog, sources):
    """The generated modules, for failure messages (each starts with the same
    prelude, shown once)."""
    parts = [f"(every module starts with)\n{_PRELUDE}"]
    for m, src in sources.items():
        body = src[len(_PRELUDE) :].strip("\n")
        parts.append(f"--- m{m}{' (dynamic)' if prog.dynamic[m] else ''}\n{body}\n")
    return "\n".join(parts)


def check_program(prog):
    with ModuleSandbox() as sb:
        pkg = sb.write_package("pkg")
        sources = render(prog, pkg)
        for m, src in sources.items():
            sb.write(f"pkg.m{m}", src, dedent=False)
        for m in range(prog.n):
            if not prog.dynamic[m]:
                sb.load(f"pkg.m{m}")
        entry = sys.modules[f"{pkg}.m0"].entry
        exp = simulate(prog, pkg)

        t = trace_isolated(entry)

        listing = _describe(prog, sources)
        extra, missing = sorted(set(t.names()) - set(exp.uses)), sorted(set(exp.uses) - set(t.names()))
        assert t.names() == sorted(exp.uses), f"modules differ: extra {extra}, missing {missing}, for\n{listing}"
        for name in exp.uses:
            rec = t[name]
            why = f"{name}: contexts {rec.contexts}, first use {rec.first_use}, for\n{listing}"
            active = rec.active_contexts()
            assert exp.surely_active_contexts(name) <= active <= exp.active_contexts(name), why
            allowed = exp.active_contexts(name)
            if name in exp.imported_in:
                ctx = exp.imported_in[name]
                allowed.add(ctx)
                assert IMPORTED in rec.contexts.get(ctx, ()), why
            else:
                assert IMPORTED not in rec.uses, why
            assert set(rec.contexts) <= allowed, why
            assert rec.first_use is not None and rec.first_use.context == exp.first[name], why
        # Dynamic modules the run never reached were not imported by the trace.
        for m in range(prog.n):
            name = f"{pkg}.m{m}"
            assert (name in sys.modules) == (not prog.dynamic[m] or name in exp.imported_in)
        return t, exp


# -- the tests -------------------------------------------------------------------------------

_SMALL = Program(
    n=3,
    dynamic=[False, False, True],
    funcs=[
        Func(0, 1, "lambda", [1]),
        Func(1, 2, "generator", [2]),
        Func(2, 1, "decorated", [], wrapper=0),
    ],
    entry_calls=[0],
    extra_imports={0: [], 1: [], 2: []},
    top_imports={2: []},
    body_calls={2: [2]},
)


#: More examples for a deeper search: MODTRACE_PROPERTY_EXAMPLES=2000 pytest tests/test_property.py
EXAMPLES = int(os.environ.get("MODTRACE_PROPERTY_EXAMPLES", "40"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(_SMALL)
@given(programs())
def test_trace_is_exactly_the_executed_path(prog):
    check_program(prog)


def _prog(**kw):
    base = dict(extra_imports={}, top_imports={}, body_calls={})
    base.update(kw)
    return Program(**base)


_VIA = pytest.mark.parametrize("via", ["__import__", "importlib.import_module"])


def _names(t, *shorts):
    return [next(n for n in t.names() if n.endswith("." + short)) for short in shorts]


@_VIA
def test_module_used_only_during_an_import_has_that_context(via):
    # m1 (static) is used only by m2's body while m2 is imported during the
    # trace; m3 is imported by m2's body and never used after.
    prog = _prog(
        n=4,
        dynamic=[False, False, True, True],
        funcs=[Func(0, 2, "plain", []), Func(1, 1, "closure", [])],
        entry_calls=[0],
        top_imports={2: [3], 3: []},
        body_calls={2: [1], 3: []},
        dunder_import={2, 3} if via == "__import__" else set(),
    )
    t, exp = check_program(prog)
    m1, m2, m3 = _names(t, "m1", "m2", "m3")
    assert t[m1].contexts in ({m2: {EXECUTED}}, {m2: {EXECUTED, CALLED}})
    assert t[m1].first_use.context == m2
    assert not t[m1].used_at_run_time
    assert t[m3].contexts == {m2: {IMPORTED}}
    assert t[m3].only_imported
    assert t[m2].used_at_run_time


@_VIA
def test_module_used_during_an_import_and_later_at_run_time_has_both_contexts(via):
    # m1.C1.s runs first in m2's body (during its import), then again when the
    # entry calls it at run time.
    prog = _prog(
        n=3,
        dynamic=[False, False, True],
        funcs=[Func(0, 2, "plain", []), Func(1, 1, "staticmethod", [])],
        entry_calls=[0, 1],
        top_imports={2: []},
        body_calls={2: [1]},
        dunder_import={2} if via == "__import__" else set(),
    )
    t, exp = check_program(prog)
    m1, m2 = _names(t, "m1", "m2")
    assert t[m1].active_contexts() == {m2, None}
    assert t[m1].first_use.context == m2
    assert t[m1].used_at_run_time


@_VIA
@pytest.mark.parametrize("kind", ["plain", "decorated"])
def test_module_running_its_own_code_during_its_import_is_still_seen_at_run_time(via, kind):
    # m1's body calls its own f0 while m1 is imported (at run time, from the
    # entry); the entry then calls m1.f0 again: m1 is active at run time.
    prog = _prog(
        n=2,
        dynamic=[False, True],
        funcs=[Func(0, 1, kind, [], wrapper=0 if kind == "decorated" else None)],
        entry_calls=[0, 0],
        top_imports={1: []},
        body_calls={1: [0]},
        dunder_import={1} if via == "__import__" else set(),
    )
    t, exp = check_program(prog)
    (m1,) = _names(t, "m1")
    assert t[m1].used_at_run_time, t[m1].contexts


@pytest.mark.parametrize("change", ["drop", "add"])
def test_the_checker_rejects_a_wrong_trace(monkeypatch, change):
    """The check can fail: a trace missing a module on the path, or with one too
    many, is rejected."""
    prog = _prog(n=2, dynamic=[False, False], funcs=[Func(0, 1, "plain", [])], entry_calls=[0])
    real = trace_isolated

    def tampered(fn):
        t = real(fn)
        if change == "drop":
            del t.modules[next(n for n in t.modules if n.endswith(".m1"))]
        else:
            t.record("colorsys", CALLED)
        return t

    monkeypatch.setattr(sys.modules[__name__], "trace_isolated", tampered)
    with pytest.raises(AssertionError, match="modules differ"):
        check_program(prog)
