"""`modtrace bundle` end to end: trace the sample application, bundle it,
install only the bundle's requirements into a fresh venv and run the bundle
there."""

import json
import os
import textwrap
import zipfile

import pytest

from _cli import modtrace, one_error_line, python
from _package import app_env, installed, make_venv, pip_install, run, scratch, source_size

RUNS = {
    "upper": ("report.py",),
    "title": ("report.py", "--filter", "title", "--region", "north"),
}


@pytest.fixture(scope="module")
def built():
    """The bundle of two traced runs of report.py, and a fresh venv holding
    nothing but the bundle's requirements."""
    env = app_env()
    traces = [env.trace(name, *args) for name, args in RUNS.items()]
    out = scratch("modtrace-bundle-") / "report.pyz"
    proc = env.modtrace("bundle", *traces, "-o", out)
    assert proc.returncode == 0, proc.stderr
    deploy = make_venv(out.parent / "deploy")
    pip_install(deploy, env.wheels, "-r", out.parent / "report.requirements.txt")
    return env, out, deploy, proc


def _names(pyz):
    with zipfile.ZipFile(pyz) as zf:
        return set(zf.namelist())


def _read(pyz, name):
    with zipfile.ZipFile(pyz) as zf:
        return zf.read(name).decode()


def test_the_bundle_runs_in_a_fresh_venv_with_only_its_requirements(built, tmp_path):
    env, pyz, deploy, _ = built
    for name, args in RUNS.items():
        proc = run([deploy, pyz, *args[1:]], cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == env.output_of(name), name
    # new arguments, same code paths
    proc = run([deploy, pyz, "--region", "south"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "SOUTH   PLUMS   150.25" in proc.stdout and "NORTH" not in proc.stdout


def test_the_requirements_are_the_pinned_distributions_that_were_used(built):
    env, pyz, deploy, _ = built
    req = pyz.with_name("report.requirements.txt")
    pins = [line for line in req.read_text().splitlines() if line and not line.startswith("#")]
    assert pins == ["mt-palette==0.1.0", "MT-TableFmt==1.2.0"]
    # the unused feature's third-party dependency is neither required nor installed
    assert "sheetwriter" not in req.read_text()
    assert installed(deploy) == {"mt-palette", "mt-tablefmt"}
    assert "sheetwriter" in installed(env.python)  # it was there when traced


def test_plugins_that_never_ran_are_not_in_the_bundle(built):
    _, pyz, _, _ = built
    names = _names(pyz)
    assert {"reporter/plugins/upper.py", "reporter/plugins/title.py"} <= names
    assert not any(n.endswith(("leet.py", "spaced.py")) for n in names)
    assert "reporter/__main__.py" not in names  # the -m entry point: not what was traced
    assert "sheetwriter/__init__.py" not in names and "tablefmt/__init__.py" not in names


def test_the_unused_feature_is_a_stub_and_data_read_at_run_time_was_kept(built):
    _, pyz, _, proc = built
    stub = _read(pyz, "reporter/export.py")
    assert "left out by modtrace" in stub and "sheetwriter" not in stub
    # settings runs no code: only the verification run could tell it is used
    assert _read(pyz, "reporter/settings.py").startswith('"""Settings')
    assert "promoted to needed: reporter.settings" in proc.stderr
    manifest = json.loads(_read(pyz, "modtrace-bundle.json"))
    assert set(manifest["mock"]) == {"reporter.export"}
    assert "reporter.settings" in manifest["intern"]
    assert manifest["requirements"] == ["mt-palette==0.1.0", "MT-TableFmt==1.2.0"]


def test_the_bundle_is_smaller_than_the_application_sources(built):
    env, pyz, _, _ = built
    assert os.path.getsize(pyz) < source_size(env.app)


def test_using_what_was_left_out_fails_with_an_error_that_names_it(built, tmp_path):
    _, pyz, deploy, _ = built
    proc = run([deploy, pyz, "--export", tmp_path / "out.csv"], cwd=tmp_path)
    assert proc.returncode == 1
    assert "SOUTH" in proc.stdout  # the report itself ran
    last = proc.stderr.strip().splitlines()[-1]
    assert "ModuleLeftOutError: reporter.export.write_sheet is not available" in last
    assert "module 'reporter.export' was left out of this bundle by modtrace" in last
    assert "traced runs never used it" in last


def test_a_plugin_no_traced_run_used_is_missing(built, tmp_path):
    _, pyz, deploy, _ = built
    proc = run([deploy, pyz, "--filter", "leet"], cwd=tmp_path)
    assert proc.returncode == 1
    assert "No module named 'reporter.plugins.leet'" in proc.stderr


def test_a_stub_stands_for_what_is_taken_from_it(built, tmp_path):
    _, pyz, deploy, _ = built
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(pyz)!r})
        import reporter.export as export
        from reporter.export import write_sheet, Sheet
        print(repr(write_sheet))
        print(isinstance(1, Sheet), issubclass(int, Sheet))
        for use in (lambda: write_sheet([], "x"), lambda: export.STYLE.separator, lambda: int(export.LIMIT)):
            try:
                use()
            except ImportError as exc:
                print(type(exc).__name__, exc.name)
        try:
            class Mine(Sheet):
                pass
        except ImportError as exc:
            print("subclass:", type(exc).__name__)
        """
    )
    proc = run([deploy, "-c", code], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "<reporter.export.write_sheet: left out by modtrace>",
        "False False",
        "ModuleLeftOutError reporter.export",
        "ModuleLeftOutError reporter.export",
        "ModuleLeftOutError reporter.export",
        "subclass: ModuleLeftOutError",
    ]


def test_a_module_entry_point_bundles_too(tmp_path):
    env = app_env()
    trace = env.trace("module", "-m", "reporter", "--filter", "title")
    pyz = tmp_path / "reporter.pyz"
    proc = env.modtrace("bundle", "-q", trace, "-o", pyz)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    names = _names(pyz)
    assert "reporter/__main__.py" in names and "report.py" not in names
    assert "runpy.run_module('reporter'" in _read(pyz, "__main__.py")
    deploy = make_venv(tmp_path / "venv")
    pip_install(deploy, env.wheels, "-r", tmp_path / "reporter.requirements.txt")
    proc = run([deploy, pyz, "--filter", "title"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == env.output_of("module")


def test_without_verification_the_plan_is_only_a_hypothesis(tmp_path):
    """--no-verify ships the rule's plan: the data-only settings module is a
    stub, and the bundle fails where it reads it."""
    env = app_env()
    pyz = tmp_path / "raw.pyz"
    proc = env.modtrace("bundle", "--no-verify", env.trace("upper", *RUNS["upper"]), "-o", pyz)
    assert proc.returncode == 0, proc.stderr
    assert "not verified" in proc.stderr
    proc = run([env.python, pyz], cwd=tmp_path)
    assert proc.returncode == 1
    assert "reporter.settings.LIMIT is not available" in proc.stderr


# -- verification on small programs (no third-party code: this interpreter) -----------------


def _program(tmp_path, **files):
    app = tmp_path / "prog"
    app.mkdir()
    for name, text in files.items():
        (app / name).write_text(textwrap.dedent(text))
    return app


def _trace_and_bundle(app, *args):
    trace = app.parent / "t.json"
    proc = modtrace("run", "-o", trace, app / "main.py", *args, cwd=app)
    assert proc.returncode == 0, proc.stderr
    traced = proc.stdout
    pyz = app.parent / "out.pyz"
    proc = modtrace("bundle", trace, "-o", pyz, cwd=app)
    return traced, pyz, proc


def test_verification_finds_a_module_the_bundle_lacks(tmp_path):
    """`shared` is first imported by the unused `feature`; main imports it again
    through importlib (a trace cannot see an import of a loaded module, nor can
    static analysis see importlib): the verification run finds it missing."""
    app = _program(
        tmp_path,
        **{
            "main.py": """
                import importlib
                import feature
                shared = importlib.import_module("shared")
                print("ok")
            """,
            "feature.py": "import shared\n",
            "shared.py": "VALUE = 1\n",
        },
    )
    traced, pyz, proc = _trace_and_bundle(app)
    assert proc.returncode == 0, proc.stderr
    assert "now mocked: shared" in proc.stderr
    assert {"__main__.py", "feature.py", "shared.py"} <= _names(pyz)
    assert "left out by modtrace" in _read(pyz, "shared.py")
    out = python(pyz, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout == traced


def test_verification_keeps_a_class_that_is_subclassed(tmp_path):
    """Subclassing runs no code of the base's module: only verification sees it."""
    app = _program(
        tmp_path,
        **{
            "main.py": """
                from base import Base
                class Mine(Base):
                    pass
                print(Mine.__mro__[1].__name__)
            """,
            "base.py": "class Base:\n    pass\n",
        },
    )
    traced, pyz, proc = _trace_and_bundle(app)
    assert proc.returncode == 0, proc.stderr
    assert "promoted to needed: base" in proc.stderr
    out = python(pyz, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout == traced == "Base\n"


def test_verification_warns_when_the_bundle_does_not_behave_as_traced(tmp_path):
    app = _program(
        tmp_path,
        **{
            "main.py": """
                import os, sys
                sys.exit(0 if os.path.exists("marker") else 3)
            """,
        },
    )
    (app / "marker").write_text("")
    trace = tmp_path / "t.json"
    assert modtrace("run", "-o", trace, app / "main.py", cwd=app).returncode == 0
    proc = modtrace("bundle", trace, "-o", tmp_path / "out.pyz", "--cwd", tmp_path)  # no marker there
    assert proc.returncode == 1
    assert "warning: the bundle run with arguments [] exited with status 3, the traced run with 0" in proc.stderr
    assert (tmp_path / "out.pyz").exists()


# -- bad input ---------------------------------------------------------------------------------


def test_traces_of_different_programs_do_not_bundle_together(tmp_path):
    env = app_env()
    proc = env.modtrace(
        "bundle", env.trace("upper", *RUNS["upper"]), env.trace("module", "-m", "reporter", "--filter", "title"),
        "-o", tmp_path / "x.pyz",
    )
    line = one_error_line(proc)
    assert "the traces ran different programs" in line and "a bundle has one entry point" in line
    assert proc.returncode == 1


def test_a_trace_of_a_callable_does_not_bundle(tmp_path):
    trace = tmp_path / "t.json"
    assert modtrace("call", "-o", trace, "json:dumps", "--input", "[1]").returncode == 0
    proc = modtrace("bundle", trace, "-o", tmp_path / "x.pyz")
    assert "a bundle needs traces of `modtrace run` (a script or -m MODULE), these are of a callable" in one_error_line(proc)


@pytest.mark.parametrize(
    "args, message",
    [
        (("t.json",), "bundle: the following arguments are required: -o/--output"),
        (("t.json", "-o", "nodir/x.pyz"), "can't write the bundle to nodir/x.pyz: no directory"),
        (("t.json", "-o", "x.pyz", "--cwd", "nodir"), "bundle: --cwd nodir: no such directory"),
        (("missing.json", "-o", "x.pyz"), "can't read missing.json: no such file"),
    ],
)
def test_bundle_bad_input_is_one_line(tmp_path, args, message):
    (tmp_path / "t.json").write_text("{}")
    proc = modtrace("bundle", *args, cwd=tmp_path)
    assert proc.returncode in (1, 2)
    assert message in one_error_line(proc)


def test_a_namespace_package_bundles(tmp_path):
    """A first-party package without __init__.py: the zip's directory entry makes it."""
    app = _program(tmp_path, **{"main.py": "from ns import mod\nprint(mod.f())\n"})
    (app / "ns").mkdir()
    (app / "ns" / "mod.py").write_text("def f():\n    return 'namespace ok'\n")
    traced, pyz, proc = _trace_and_bundle(app)
    assert proc.returncode == 0, proc.stderr
    assert "ns/" in _names(pyz) and "ns/__init__.py" not in _names(pyz)
    out = python(pyz, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == traced == "namespace ok\n"
