"""`modtrace run` runs programs exactly as python does: compared side by side."""

import json
import os
import shutil
import sys

import pytest

from _cli import PROGRAMS, load, modtrace, modules, python


def _seen(proc):
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _same_view(plain, traced):
    a, b = _seen(plain), _seen(traced)
    assert a == b
    return a


def test_script_sees_what_python_shows_it():
    plain = python("introspect.py", "a", "--flag", "b c")
    traced = modtrace("run", "introspect.py", "a", "--flag", "b c")
    assert plain.returncode == traced.returncode == 0
    seen = _same_view(plain, traced)
    assert seen["argv"] == ["introspect.py", "a", "--flag", "b c"]
    assert seen["path0"] == str(PROGRAMS)
    assert seen["name"] == "__main__" and seen["main_is_me"]
    assert seen["file"] == str(PROGRAMS / "introspect.py")
    assert seen["builtins"] == "module"
    assert seen["spec"] is None
    assert traced.stdout == plain.stdout  # stdout untouched


def test_script_by_relative_and_absolute_path(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copy(PROGRAMS / "introspect.py", sub / "prog.py")
    for arg in ("sub/prog.py", str(sub / "prog.py")):
        plain = python(arg, "x", cwd=tmp_path)
        traced = modtrace("run", arg, "x", cwd=tmp_path)
        seen = _same_view(plain, traced)
        assert seen["path0"] == str(sub.resolve())


def test_script_through_a_symlink_gets_the_real_directory(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    shutil.copy(PROGRAMS / "introspect.py", real / "prog.py")
    (tmp_path / "link.py").symlink_to(real / "prog.py")
    seen = _same_view(python("link.py", cwd=tmp_path), modtrace("run", "link.py", cwd=tmp_path))
    assert seen["path0"] == str(real.resolve())


def test_module_sees_what_python_dash_m_shows_it():
    plain = python("-m", "introspect", "x", "y")
    traced = modtrace("run", "-m", "introspect", "x", "y")
    seen = _same_view(plain, traced)
    assert seen["argv"] == [str(PROGRAMS / "introspect.py"), "x", "y"]
    assert seen["path0"] == str(PROGRAMS)
    assert seen["spec"][0] == "introspect"
    assert traced.stdout == plain.stdout


def test_stdin_is_passed_through():
    data = "line one\nline two\n"
    plain = python("introspect.py", "--stdin", input=data)
    traced = modtrace("run", "introspect.py", "--stdin", input=data)
    assert _same_view(plain, traced)["stdin"] == data


def test_package_runs_its_main_with_parent_imported_first():
    plain = python("-m", "pkgapp", "hello", "world")
    traced = modtrace("run", "-m", "pkgapp", "hello", "world")
    assert plain.returncode == traced.returncode == 0
    assert traced.stdout == plain.stdout == "pkgapp HELLO WORLD True pkgapp.__main__\n"


def test_submodule_as_main():
    plain = python("-m", "pkgapp.tool")
    traced = modtrace("run", "-m", "pkgapp.tool")
    assert traced.stdout == plain.stdout == "tool as main pkgapp.tool pkgapp\n"


def test_directory_with_main():
    plain = python("dirapp", "arg")
    traced = modtrace("run", "dirapp", "arg")
    assert traced.stdout == plain.stdout
    assert plain.stdout.startswith("dirapp dirapp True __main__")


def test_uncaught_exception_is_printed_as_python_prints_it():
    plain = python("fail.py")
    traced = modtrace("run", "fail.py")
    assert plain.returncode == traced.returncode == 1
    assert traced.stdout == plain.stdout == "before the failure\n"
    # the traceback, exactly, then modtrace's report
    assert traced.stderr.startswith(plain.stderr)
    assert "modtrace" not in plain.stderr and "runner.py" not in traced.stderr


@pytest.mark.parametrize(
    "how, status",
    [("0", 0), ("3", 3), ("none", 0), ("message", 1), ("256", 0), ("-1", 255), ("raise-in-finally", 7)],
)
def test_exit_status_passes_through(how, status):
    plain = python("exits.py", how)
    traced = modtrace("run", "exits.py", how)
    assert plain.returncode == status
    assert traced.returncode == status
    assert traced.stdout == plain.stdout
    assert traced.stderr.startswith(plain.stderr)


def test_non_daemon_threads_are_waited_for_and_traced(tmp_path):
    out = tmp_path / "t.json"
    plain = python("threads.py")
    traced = modtrace("run", "-o", out, "threads.py")
    assert sorted(traced.stdout.splitlines()) == sorted(plain.stdout.splitlines())
    assert traced.returncode == 0
    used = modules(load(out))
    assert "statistics" in used
    assert "called" in used["statistics"]["uses"] or "executed" in used["statistics"]["uses"]


def test_a_noop_program_uses_only_itself(tmp_path):
    """Modules that modtrace loads for itself never appear in the trace."""
    out = tmp_path / "t.json"
    proc = modtrace("run", "-o", out, "noop.py")
    assert proc.returncode == 0, proc.stderr
    assert [m["name"] for m in load(out)["modules"]] == ["__main__"]


def test_nothing_of_modtrace_is_reported(tmp_path):
    out = tmp_path / "t.json"
    proc = modtrace("run", "-o", out, "-m", "plugshop")
    assert proc.returncode == 0, proc.stderr
    doc = load(out)
    names = [m["name"] for m in doc["modules"]] + doc["loaded_unused"]
    assert not [n for n in names if n == "modtrace" or n.startswith("modtrace.")]
    # nor what only modtrace's reporting needed
    assert "argparse" not in names and "importlib.metadata" not in names


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_keyboard_interrupt_ends_by_sigint(tmp_path):
    prog = tmp_path / "intr.py"
    prog.write_text("raise KeyboardInterrupt\n")
    plain = python(prog)
    traced = modtrace("run", prog)
    assert plain.returncode == traced.returncode
    assert "KeyboardInterrupt" in traced.stderr


def test_program_changing_cwd_still_gets_its_trace_written(tmp_path):
    prog = tmp_path / "cd.py"
    prog.write_text("import os\nos.chdir('/')\nprint('moved')\n")
    out = tmp_path / "t.json"
    proc = modtrace("run", "-o", "t.json", prog, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "posix" in modules(load(out))  # os.chdir is posix.chdir
    assert os.path.exists(out)
