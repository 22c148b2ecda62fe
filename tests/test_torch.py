"""torch.package's own test case, and modtrace against
``torch.package.analyze.trace_dependencies`` where torch is installed.

torch is only installed for some Pythons (``pip install torch==2.13.0``); the
whole module is skipped where it is not importable.
"""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("yaml")  # PyYAML: the module under test imports it (in the "test" extra)

from torch.package.analyze import trace_dependencies as torch_trace_dependencies  # noqa: E402

import modtrace  # noqa: E402
from modtrace import CALLED, EXECUTED  # noqa: E402
from support.sandbox import ModuleSandbox  # noqa: E402


@pytest.fixture
def sandbox(tmp_path):
    with ModuleSandbox(tmp_path) as sb:
        yield sb


SUM_MOD = """\
import torch
import yaml


class SumMod(torch.nn.Module):
    def forward(self, inp):
        return torch.sum(inp)
"""


def test_torch_package_own_case(sandbox):
    """torch.package's test_trace_dependencies: the module of the nn.Module is
    reported, yaml (imported by it, never used) is not, torch is."""
    sandbox.write("test_trace_dep", SUM_MOD)
    mod = sandbox.load("test_trace_dep")
    name = mod.__name__

    used = modtrace.trace_dependencies(mod.SumMod(), [(torch.randn(4),)])

    assert used == sorted(used)
    assert name in used
    assert "torch" in used
    assert "yaml" not in used
    assert not any(n == "yaml" or n.startswith("yaml.") for n in used)
    # nn.Module.__call__ dispatches to forward through torch.nn.modules.module
    assert "torch.nn.modules.module" in used


def test_torch_package_own_case_details(sandbox):
    sandbox.write("test_trace_dep", SUM_MOD)
    mod = sandbox.load("test_trace_dep")
    name = mod.__name__

    t = modtrace.trace(mod.SumMod(), [(torch.randn(4),)])

    # The module: the traced instance is called, and forward() runs.
    assert t[name].contexts == {None: {CALLED, EXECUTED}}
    # torch: torch.sum is called from forward().
    assert CALLED in t["torch"].contexts[None]
    assert t["torch"].first_use.by == name
    assert t["torch"].first_use.function.endswith("forward")
    assert t.run_time_names() == t.names()
    assert "yaml" not in t


def _simple_modules(sandbox):
    sandbox.write("lib", "def helper(x):\n    return x + 1\n")
    sandbox.write(
        "app",
        """\
        import {p}lib

        class Counter:
            def __init__(self):
                self.n = 0

            def bump(self, x):
                self.n = {p}lib.helper(self.n + x)
                return self.n

        def run(x):
            return {p}lib.helper(x)

        def run_method(x):
            return Counter().bump(x)
        """,
    )
    sandbox.write(
        "hidden",
        """\
        double = lambda x: x * 2

        class K:
            @staticmethod
            def triple(x):
                return x * 3
        """,
    )
    sandbox.write(
        "app2",
        """\
        import {p}hidden

        def run(x):
            return {p}hidden.double(x) + {p}hidden.K.triple(x)
        """,
    )
    return sandbox.load("app"), sandbox.load("app2")


def test_same_as_torch_on_a_plain_function_call(sandbox):
    app, _ = _simple_modules(sandbox)
    ours = modtrace.trace_dependencies(app.run, [(1,)])
    theirs = torch_trace_dependencies(app.run, [(1,)])
    assert ours == sorted([sandbox.name("app"), sandbox.name("lib")])
    # torch returns an unsorted list, possibly with repetitions
    assert set(theirs) == set(ours)


@pytest.mark.parametrize("case", ["function", "method", "sum_mod"])
def test_superset_of_what_torch_finds(sandbox, case):
    app, _ = _simple_modules(sandbox)
    if case == "function":
        fn, inputs = app.run, [(1,), (2,)]
    elif case == "method":
        fn, inputs = app.run_method, [(1,)]
    else:
        sandbox.write("test_trace_dep", SUM_MOD)
        fn, inputs = sandbox.load("test_trace_dep").SumMod(), [(torch.randn(4),)]
    theirs = set(torch_trace_dependencies(fn, inputs))
    ours = modtrace.trace_dependencies(fn, inputs)
    assert theirs, "torch found nothing: the comparison would be empty"
    assert theirs <= set(ours), f"modtrace misses {sorted(theirs - set(ours))}"


def test_finds_what_torch_misses(sandbox):
    """A lambda and a static method of another module: torch.package misses the
    module, modtrace reports it."""
    _, app2 = _simple_modules(sandbox)
    hidden = sandbox.name("hidden")
    theirs = set(torch_trace_dependencies(app2.run, [(1,)]))
    ours = modtrace.trace_dependencies(app2.run, [(1,)])
    assert ours == sorted([sandbox.name("app2"), hidden])
    assert theirs <= set(ours)
    assert hidden not in theirs  # what this test is about: torch's blind spot
