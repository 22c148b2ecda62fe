"""The packaging plan: the rule (needed, mock) on made-up traces, the import
closure, and every output format on real traces of the sample application."""

import json
import sys

import pytest

from _package import app_env
from modtrace.classify import ModuleInfo
from modtrace.package.plan import make_plan
from modtrace.report import Report
from modtrace.trace import Trace

# -- the rule, on made-up traces (no closure) ---------------------------------------------


def _plan(uses, kinds=None, program=None, **kwargs):
    """A plan of a trace given as ``[(module, kind, context, by)]``."""
    trace = Trace()
    for name, kind, context, by in uses:
        trace.record(name, kind, context, by=by, where=("f.py", 1, "f"))
    trace.meta["program"] = program or {"kind": "script", "argv": ["python", "main.py"]}
    infos = {n: ModuleInfo(k) for n, k in (kinds or {}).items()}
    for name in trace.names():
        infos.setdefault(name, ModuleInfo("main" if name == "__main__" else "first_party"))
    return make_plan([Report(trace, infos)], closure=False, **kwargs)


MAIN_RUNS = [("__main__", "executed", None, None)]


def test_the_entry_point_and_what_runs_at_run_time_are_needed():
    plan = _plan(MAIN_RUNS + [("app.core", "imported", None, "__main__"), ("app.core", "called", None, "__main__")])
    assert set(plan.needed) == {"__main__", "app", "app.core"}
    assert plan.needed["__main__"].kind == "entry"
    assert plan.needed["app.core"].kind == "run_time"
    assert plan.needed["app"].kind == "parent" and plan.needed["app"].via == "app.core"


def test_what_a_needed_module_uses_while_it_is_imported_is_needed():
    # a decorator of `deco` called while app.core (needed) is imported
    plan = _plan(
        MAIN_RUNS
        + [
            ("app.core", "imported", None, "__main__"),
            ("app.core", "executed", None, "__main__"),
            ("deco", "imported", "app.core", "app.core"),
            ("deco", "called", "app.core", "app.core"),
        ]
    )
    assert plan.needed["deco"].kind == "import" and plan.needed["deco"].via == "app.core"


def test_imported_and_never_used_is_mocked_and_what_only_its_import_uses_is_left_out():
    plan = _plan(
        MAIN_RUNS
        + [
            ("feature", "imported", None, "__main__"),  # imported at the top, never used
            ("heavy", "imported", "feature", "feature"),  # used only while feature is imported
            ("heavy", "called", "feature", "feature"),
        ]
    )
    assert "feature" not in plan.needed and plan.mock["feature"].via == "__main__"
    assert "heavy" not in plan.needed and "heavy" not in plan.mock


def test_a_mocked_submodule_gets_mocked_parents():
    plan = _plan(MAIN_RUNS + [("extras.fancy", "imported", None, "__main__")])
    assert set(plan.mock) == {"extras", "extras.fancy"}
    assert plan.mock["extras"].kind == "mock_parent"


def test_modules_of_an_extern_distribution_run_whole_and_their_imports_count():
    dist = {"name": "Lib", "version": "1.0"}
    trace = Trace()
    trace.record("__main__", "executed")
    trace.record("lib", "imported", None, by="__main__")
    trace.record("lib", "called", None, by="__main__")
    trace.record("lib.compat", "imported", "lib", by="lib")  # never used after
    trace.record("helper", "imported", "lib.compat", by="lib.compat")
    trace.record("helper", "called", "lib.compat", by="lib.compat")  # used while lib.compat is imported
    trace.record("optional", "imported", "lib.compat", by="lib.compat")
    trace.meta["program"] = {"kind": "script", "argv": ["python", "main.py"]}
    infos = {
        "__main__": ModuleInfo("main"),
        "lib": ModuleInfo("third_party", dist),
        "lib.compat": ModuleInfo("third_party", dist),
        "helper": ModuleInfo("third_party", {"name": "Helper", "version": "2"}),
        "optional": ModuleInfo("third_party", {"name": "Optional", "version": "3"}),
    }
    plan = make_plan([Report(trace, infos)], closure=False)
    # pip installs all of Lib: lib.compat runs, so what its import uses is needed
    assert "lib.compat" not in plan.needed and "lib.compat" in plan.executing
    assert plan.needed["helper"].kind == "import" and plan.needed["helper"].via == "lib.compat"
    assert [d["name"] for d in plan.extern()] == ["Helper", "Lib"]
    # what it imports and never uses is mocked; nothing of Lib itself is
    assert set(plan.mock) == {"optional"}


def test_stdlib_modules_are_never_mocked():
    plan = _plan(MAIN_RUNS + [("csv", "imported", None, "__main__")], kinds={"csv": "stdlib"})
    assert "csv" not in plan.mock and "csv" not in plan.needed


def test_forced_modules_are_needed():
    plan = _plan(MAIN_RUNS + [("config", "imported", None, "__main__")], force_needed={"config"})
    assert plan.needed["config"].kind == "verified" and "config" not in plan.mock


# -- the import closure ----------------------------------------------------------------------


def test_the_closure_sees_imports_made_before_the_trace_started(tmp_path, mods):
    """A trace of one call sees nothing of the imports of its module, made
    before; the closure imports the module again and sees them all."""
    mods.write(
        deco="""
            def register(f):
                return f
        """,
        unused="X = 1\n",
        lib="""
            import {p}unused
            from {p}deco import register

            @register
            def work():
                return 42
        """,
    )
    lib = mods.load("lib")
    import modtrace

    trace = modtrace.trace(lib.work)
    assert mods.name("deco") not in trace  # used only while lib was imported, before the trace
    no_closure = make_plan([Report(trace)], closure=False)
    assert mods.name("lib") in no_closure.needed and mods.name("deco") not in no_closure.needed
    plan = make_plan([Report(trace)])
    assert plan.closure_used and not plan.closure_errors
    assert plan.needed[mods.name("deco")].kind == "import"
    assert plan.needed[mods.name("deco")].via == mods.name("lib")
    assert plan.mock[mods.name("unused")].via == mods.name("lib")
    edge = plan.graph.edge(mods.name("lib"), mods.name("unused"))
    assert edge.source == "closure" and edge.line == 2 and edge.file.endswith("lib.py")


def test_the_closure_records_imports_of_modules_already_loaded(mods):
    """`import x` when x is in sys.modules is invisible to a trace: the
    closure's import recorder sees it."""
    from modtrace.package.closure import import_closure

    mods.write(a="import {p}shared\n", b="import {p}shared\n", shared="")
    clo = import_closure([mods.name("a"), mods.name("b")], roots=[str(mods.root)])
    pairs = {(e.importer, e.imported) for e in clo.edges}
    assert (mods.name("a"), mods.name("shared")) in pairs
    assert (mods.name("b"), mods.name("shared")) in pairs  # already loaded by a


def test_the_closure_reports_modules_that_fail_to_import(mods):
    from modtrace.package.closure import import_closure

    mods.write(bad="raise RuntimeError('no  way')\n", good="")
    clo = import_closure([mods.name("bad"), mods.name("good")], roots=[str(mods.root)])
    assert clo.errors == {mods.name("bad"): "RuntimeError: no way"}
    assert mods.name("good") in clo.trace


# -- the sample application: every format ------------------------------------------------------


@pytest.fixture(scope="module")
def app():
    env = app_env()
    env.trace("upper", "report.py")
    return env


def _plan_of(app, *names, fmt="text", extra=()):
    traces = [str(app.trace(n, *args)) for n, args in [(x, _ARGS[x]) for x in names]]
    proc = app.modtrace("plan", *traces, "-f", fmt, *extra)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


_ARGS = {"upper": ("report.py",), "title": ("report.py", "--filter", "title", "--region", "north")}


def test_plan_json(app):
    doc = json.loads(_plan_of(app, "upper", fmt="json"))
    assert doc["schema"] == "modtrace.plan/1"
    assert doc["entries"][0]["kind"] == "script" and doc["entries"][0]["file"].endswith("report.py")
    intern = {e["name"]: e for e in doc["intern"]}
    assert set(intern) == {"__main__", "reporter", "reporter.cli", "reporter.data", "reporter.plugins", "reporter.plugins.upper"}
    assert intern["reporter.plugins.upper"]["reason"] == {"kind": "run_time", "via": None}
    assert [(d["name"], d["version"]) for d in doc["extern"]] == [("mt-palette", "0.1.0"), ("MT-TableFmt", "1.2.0")]
    mock = {e["name"]: e["reason"] for e in doc["mock"]}
    # settings is data only: the rule mocks it (the bundle's verification keeps it)
    assert mock == {
        "reporter.export": {"kind": "imported_by", "via": "__main__"},
        "reporter.settings": {"kind": "imported_by", "via": "reporter.cli"},
    }
    assert "argparse" in doc["stdlib"] and "importlib" in doc["stdlib"]
    assert doc["closure"] == {"used": True, "errors": {}}
    # the unused feature's dependency is in no list
    text = json.dumps(doc)
    assert "sheetwriter" not in text.replace("reporter.export", "")


def test_plan_text(app):
    out = _plan_of(app, "upper")
    assert out.startswith("modtrace plan for `python report.py` (1 traced run, Python ")
    assert "intern 6 modules, extern 2 distributions" in out
    assert "  MT-TableFmt==1.2.0" in out
    assert "reporter.export" in out and "imported by __main__ at report.py:12, never used" in out
    assert "reporter.plugins.upper  used at run time  [reporter/plugins/upper.py]" in out
    assert "sheetwriter" not in out


def test_plan_requirements_are_pip_installable_pins(app):
    out = _plan_of(app, "upper", fmt="requirements")
    pins = [line.split("#")[0].strip() for line in out.splitlines() if line and not line.startswith("#")]
    assert pins == ["mt-palette==0.1.0", "MT-TableFmt==1.2.0"]


def test_plan_of_several_traces_is_their_union(app):
    doc = json.loads(_plan_of(app, "upper", "title", fmt="json"))
    assert len(doc["entries"]) == 2
    names = {e["name"] for e in doc["intern"]}
    assert {"reporter.plugins.upper", "reporter.plugins.title"} <= names
    assert not any(n.endswith(("leet", "spaced")) for n in names)


def test_plan_torch(app):
    out = _plan_of(app, "upper", fmt="torch")
    compile(out, "<torch plan>", "exec")  # valid Python
    calls = {}

    class Exporter:
        def __getattr__(self, action):
            return lambda patterns, **kw: calls.setdefault(action, []).extend(patterns)

    ns = {}
    exec(out.replace("from torch.package import PackageExporter", "PackageExporter = object"), ns)
    ns["add_actions"](Exporter())
    assert calls["intern"] == ["reporter", "reporter.cli", "reporter.data", "reporter.plugins", "reporter.plugins.upper"]
    assert set(calls["mock"]) >= {"reporter.export", "reporter.settings"}
    assert calls["extern"] == ["palette.**", "tablefmt.**"]
    from modtrace.patterns import matches

    assert matches("tablefmt.**", "tablefmt._layout")


_TORCH_SCRIPT = """
import sys
ns = {}
exec(open(sys.argv[1]).read(), ns)
from torch.package import PackageExporter, PackageImporter
with PackageExporter(sys.argv[2]) as exporter:
    ns["add_actions"](exporter)
    exporter.save_module("reporter.cli")
cli = PackageImporter(sys.argv[2]).import_module("reporter.cli")
print(cli.build(cli.parse([])))
"""


def test_plan_torch_with_a_real_package_exporter(app, tmp_path):
    """Where torch is installed: the verified plan's actions package the
    application, and the packaged code runs (it reads the data-only
    reporter.settings, which only verification keeps)."""
    import importlib.util

    from _package import run, site_packages

    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    actions = tmp_path / "actions.py"
    proc = app.modtrace("plan", app.trace("upper", "report.py"), "-f", "torch", "--verify", "-o", actions)
    assert proc.returncode == 0, proc.stderr
    script = tmp_path / "export.py"
    script.write_text(_TORCH_SCRIPT)
    path = f"{app.app}{__import__('os').pathsep}{site_packages(app.python)}"
    proc = run([sys.executable, script, actions, tmp_path / "app.pt"], env={"PYTHONPATH": path}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "('south', 'plums', 150.25)" in proc.stdout


def test_plan_pyinstaller(app):
    out = _plan_of(app, "upper", fmt="pyinstaller")
    args = out.split("\n", 4)[-1].replace("\\\n", " ").split()
    assert args[:2] == ["pyinstaller", "report.py"]
    hidden = [args[i + 1] for i, a in enumerate(args) if a == "--hidden-import"]
    # the plugin is imported by importlib: static analysis cannot see it
    assert "reporter.plugins.upper" in hidden
    assert "reporter.cli" not in hidden and "tablefmt" not in hidden


def test_plan_pyinstaller_excludes_what_only_unrun_import_statements_name(mods, tmp_path):
    mods.write(
        main="""
            import sys

            def rarely():
                import {p}neverloaded  # an import statement that never ran
                return {p}neverloaded

            print("hi")
        """
    )
    from _cli import python

    out = tmp_path / "t.json"
    proc = python("-m", "modtrace", "run", "-o", out, mods.root / f"{mods.prefix}main.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = python("-m", "modtrace", "plan", out, "-f", "pyinstaller", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"--exclude-module {mods.prefix}neverloaded" in proc.stdout


def test_plan_writes_to_a_file(app, tmp_path):
    out = tmp_path / "plan.json"
    proc = app.modtrace("plan", app.trace("upper", "report.py"), "-f", "json", "-o", out)
    assert proc.returncode == 0 and proc.stdout == ""
    assert json.loads(out.read_text())["schema"] == "modtrace.plan/1"


def test_plan_without_the_closure(app):
    doc = json.loads(_plan_of(app, "upper", fmt="json", extra=("--no-closure",)))
    assert doc["closure"]["used"] is False
    assert {e["name"] for e in doc["mock"]} == {"reporter.export", "reporter.settings"}


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "plan: the following arguments are required: TRACE.json"),
        (("t.json", "-f", "yaml"), "plan: argument -f/--format: invalid choice: 'yaml'"),
        (("missing.json",), "can't read missing.json: no such file"),
        (("notjson.json",), "notjson.json is not a modtrace trace: invalid JSON"),
        (("t.json", "--timeout", "0"), "plan: argument --timeout: must be more than 0"),
    ],
)
def test_plan_bad_input_is_one_line(tmp_path, args, message):
    from _cli import modtrace, one_error_line

    (tmp_path / "notjson.json").write_text("{nope")
    proc = modtrace("plan", *args, cwd=tmp_path)
    assert proc.returncode in (1, 2)
    assert message in one_error_line(proc)


def test_importing_modtrace_does_not_load_the_packaging_code():
    from _cli import python

    code = "import sys, modtrace; print(sorted(m for m in sys.modules if m.startswith('modtrace.package')))"
    proc = python("-c", code)
    assert proc.stdout.strip() == "[]", proc.stderr


def test_the_help_lists_the_packaging_commands():
    from _cli import modtrace

    proc = modtrace("--help")
    for command in ("plan", "bundle", "why", "check"):
        assert f"\n  {command} " in proc.stdout
    proc = modtrace("bundle", "--help")
    assert proc.returncode == 0 and "usage: modtrace bundle" in proc.stdout

