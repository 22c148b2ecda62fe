"""`modtrace why MODULE TRACE.json`: the chain from the entry point to a module,
each step with file and line."""

import pytest

from _cli import modtrace, one_error_line
from _package import app_env


@pytest.fixture(scope="module")
def app():
    env = app_env()
    return env, env.trace("upper", "report.py")


def _why(app, module, *extra):
    env, trace = app
    proc = env.modtrace("why", module, trace, *extra)
    return proc


def _steps(out):
    """[(module, text)] of the chain."""
    steps = []
    for line in out.splitlines()[1:]:
        body = line.strip()
        if body.startswith("-> "):
            body = body[3:]
        elif not line.startswith("     "):
            continue
        module, _, text = body.partition("  ")
        steps.append((module, text.strip()))
    return steps


def test_why_a_plugin_is_needed_shows_the_dynamic_import(app):
    proc = _why(app, "reporter.plugins.upper")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("reporter.plugins.upper is needed: used at run time (first party: interned)\n")
    steps = _steps(proc.stdout)
    assert [m for m, _ in steps] == ["__main__", "reporter.cli", "reporter.plugins", "importlib", "reporter.plugins.upper"]
    assert steps[0][1] == "the entry point, report.py"
    assert steps[1][1] == "imported at report.py:11 in <module>"
    assert steps[2][1] == "imported at reporter/cli.py:7 in <module>"
    # called (3.12+) or executed (3.10, 3.11: the profile hook sees its code run)
    assert steps[3][1] in ("called at reporter/plugins/__init__.py:8 in load", "executed at reporter/plugins/__init__.py:8 in load")
    assert steps[4][1].startswith("imported at ") and "importlib/__init__.py:" in steps[4][1]
    assert steps[4][1].endswith(" in import_module")


def test_why_a_third_party_module_is_needed(app):
    proc = _why(app, "palette")
    assert proc.returncode == 0
    assert proc.stdout.startswith("palette is needed: used at run time (third party: extern mt-palette==0.1.0)")
    steps = _steps(proc.stdout)
    assert [m for m, _ in steps] == ["__main__", "reporter.cli", "tablefmt", "palette"]
    assert steps[2][1] == "imported at reporter/cli.py:5 in <module>"
    assert steps[3][1].endswith("tablefmt/__init__.py:5 in <module>")


def test_why_a_module_is_mocked(app):
    proc = _why(app, "reporter.export")
    assert proc.returncode == 0
    first = proc.stdout.splitlines()[0]
    assert first.startswith("reporter.export is mocked: imported by __main__, never used")
    assert _steps(proc.stdout) == [("__main__", "the entry point, report.py"), ("reporter.export", "imported at report.py:12 in <module>")]


def test_why_a_distribution_is_left_out(app):
    proc = _why(app, "sheetwriter")
    assert proc.returncode == 0
    assert proc.stdout.startswith("sheetwriter is left out: no module that runs imports it\n")
    assert [m for m, _ in _steps(proc.stdout)] == ["__main__", "reporter.export", "sheetwriter"]
    assert "imported at reporter/export.py:11 in <module>" in proc.stdout
    assert "used or imported only by: reporter.export (mocked)" in proc.stdout


def test_why_a_parent_package_is_needed(app):
    proc = _why(app, "reporter")
    assert proc.stdout.startswith("reporter is needed: parent package of reporter.cli")
    assert _steps(proc.stdout)[-1] == ("reporter", "parent package of reporter.cli: imported before it")


def test_why_the_entry_point(app):
    proc = _why(app, "__main__")
    assert proc.stdout.startswith("__main__ is needed: the traced entry point")


def test_why_something_used_while_a_needed_module_was_imported(tmp_path):
    """A decorator called while a needed module is imported: needed, and the
    chain ends with where it was called."""
    (tmp_path / "deco.py").write_text("def register(f):\n    return f\n")
    (tmp_path / "lib.py").write_text("from deco import register\n\n\n@register\ndef work():\n    return 1\n")
    (tmp_path / "main.py").write_text("import lib\nprint(lib.work())\n")
    trace = tmp_path / "t.json"
    assert modtrace("run", "-o", trace, "main.py", cwd=tmp_path).returncode == 0
    proc = modtrace("why", "deco", trace, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("deco is needed: used while lib was being imported (first party: interned)")
    steps = _steps(proc.stdout)
    assert [m for m, _ in steps] == ["__main__", "lib", "deco"]
    assert steps[2][1] == "imported at lib.py:1 and used while lib was being imported"


def test_why_a_module_no_run_loaded(app):
    proc = _why(app, "reporter.plugins.leet")
    assert proc.returncode == 1
    assert proc.stdout == "reporter.plugins.leet was not loaded by the traced runs (nor by their imports)\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (("json",), "why: the following arguments are required: TRACE.json"),
        (("no such", "t.json"), "why: 'no such' is not a dotted module name"),
        (("json", "missing.json"), "can't read missing.json: no such file"),
    ],
)
def test_why_bad_input_is_one_line(tmp_path, args, message):
    proc = modtrace("why", *args, cwd=tmp_path)
    assert proc.returncode in (1, 2)
    assert message in one_error_line(proc)


def test_why_in_a_trace_of_a_callable_starts_from_the_first_use(tmp_path):
    """A trace made with the library (no entry point): the chain is the first use."""
    import json

    from modtrace import trace

    path = tmp_path / "t.json"
    trace(json.dumps, [([1],)]).save(path)
    proc = modtrace("why", "json.encoder", path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "json.encoder is needed: used at run time (standard library)"
    words = lines[1].split()
    assert words[:2] == ["json.encoder", "first"] and words[2] in ("called", "executed") and words[3] == "by"
    assert "json/__init__.py:" in lines[1] and lines[1].endswith(" in dumps")
