"""Bad input: one clear line on stderr, a non-zero exit status, never a traceback
from modtrace's own code, and the program does not run."""

import json

import pytest

from _cli import modtrace, one_error_line


@pytest.mark.parametrize(
    "args, status, words",
    [
        (["run", "no_such_script.py"], 2, "can't open file 'no_such_script.py'"),
        (["run", "-m", "no_such_module"], 1, "no module named 'no_such_module'"),
        (["run", "-m", "no_such_pkg.mod"], 1, "no module named 'no_such_pkg'"),
        (["run", "-m", "pkgapp.nothing"], 1, "no module named 'pkgapp.nothing'"),
        (["run", "-m", "calls"], 1, "no module named 'calls.__main__'"),
        (["run", "-m", "bad name"], 2, "not a valid dotted module name"),
        (["run", "syntax_error.py"], 1, "syntax error in syntax_error.py, line 2"),
        (["run", "dirapp/nothing"], 2, "can't open file"),
        (["run", "calls"], 2, "can't find '__main__' module in 'calls'"),
        (["run"], 2, "a SCRIPT or -m MODULE is needed"),
        (["run", "-m"], 2, "option -m needs a value"),
        (["run", "--bogus", "noop.py"], 2, "unrecognized option '--bogus'"),
        (["run", "--format", "xml", "noop.py"], 2, "unknown format 'xml'"),
        (["run", "--include", "a..b", "noop.py"], 2, "empty dotted segment"),
        (["run", "--exclude", "a**", "noop.py"], 2, "'**' must be a whole dotted segment"),
        (["run", "-o", "/no/such/dir/t.json", "noop.py"], 2, "can't write the output to /no/such/dir/t.json"),
        (["run", "-o", ".", "noop.py"], 2, "it is a directory"),
        (["run", "--report", "/no/such/dir/r.txt", "noop.py"], 2, "can't write the report"),
        (["call", "nocolon"], 2, "expected MODULE:QUALNAME"),
        (["call", "calls.mathy:"], 2, "expected MODULE:QUALNAME"),
        (["call", ":add"], 2, "expected MODULE:QUALNAME"),
        (["call", "calls.mathy:1add"], 2, "is not a dotted name"),
        (["call", "calls mathy:add"], 2, "is not a dotted module name"),
        (["call", "calls.nope:add"], 1, "no module named 'calls.nope'"),
        (["call", "calls.mathy:nope"], 1, "'calls.mathy' has no attribute 'nope'"),
        (["call", "calls.mathy:Shapes.nope"], 1, "'calls.mathy:Shapes' has no attribute 'nope'"),
        (["call", "calls.mathy:VALUE"], 1, "is not callable"),
        (["call", "calls.mathy:add", "--input", "[1,"], 2, "--input #1 is not valid JSON"),
        (["call", "calls.mathy:add", "--input", "[1]", "--input", '{"a": 1}'], 2, "--input #2 must be a JSON array"),
        (["call"], 2, "exactly one MODULE:QUALNAME"),
        (["report"], 2, "exactly one TRACE.json"),
        (["report", "missing.json"], 1, "can't read missing.json: no such file"),
        (["report", "calls"], 1, "it is a directory"),
        (["combine", "a.json"], 2, "-o OUT.json is needed"),
        (["combine", "-o", "out.json"], 2, "at least one TRACE.json"),
        (["frobnicate"], 2, "unknown command 'frobnicate'"),
        (["--bogus"], 2, "unknown command '--bogus'"),
    ],
)
def test_bad_input(args, status, words):
    proc = modtrace(*args)
    line = one_error_line(proc) if args else None
    assert words in line, line
    assert proc.returncode == status
    assert proc.stdout == ""  # nothing ran


def test_no_command_prints_usage_and_one_error_line():
    proc = modtrace()
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: modtrace run")
    assert proc.stderr.strip().splitlines()[-1].startswith("modtrace: error: a command is needed")


@pytest.mark.parametrize(
    "content, words",
    [
        (b"{not json", "invalid JSON"),
        (b"\xff\xfe\x00garbage", "invalid JSON"),
        (b"[1, 2]", "a trace must be a JSON object"),
        (b'{"schema": "something/1", "modules": []}', "not a modtrace trace"),
        (b'{"schema": "modtrace.trace/9", "modules": []}', "unsupported trace schema"),
        (b'{"schema": "modtrace.trace/1", "modules": {}}', "modules must be a list"),
        (b'{"schema": "modtrace.trace/1", "modules": [{"name": "x", "contexts": [{"context": null, "uses": ["eaten"]}]}]}',
         "uses must be a list"),
        (b"", "invalid JSON"),
    ],
)
def test_invalid_trace_files(tmp_path, content, words):
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    for args in (["report", bad], ["combine", bad, "-o", tmp_path / "out.json"]):
        proc = modtrace(*args)
        assert proc.returncode == 1
        line = one_error_line(proc)
        assert words in line and str(bad) in line
    assert not (tmp_path / "out.json").exists()


def test_parent_package_failing_during_module_search(tmp_path):
    pkg = tmp_path / "brokenpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise ValueError('broken on purpose')\n")
    (pkg / "mod.py").write_text("print('never')\n")
    proc = modtrace("run", "-m", "brokenpkg.mod", cwd=tmp_path)
    assert proc.returncode == 1
    assert "ValueError: broken on purpose" in one_error_line(proc)


def test_unwritable_output_after_the_run(tmp_path):
    """If the output cannot be written once the program has run (here a
    directory appears at its place meanwhile), one error line and a non-zero status."""
    prog = tmp_path / "mk.py"
    prog.write_text("import os\nos.mkdir('t.json')\nprint('made')\n")
    proc = modtrace("run", "-o", "t.json", prog, cwd=tmp_path)
    assert proc.stdout == "made\n"
    assert proc.returncode == 2
    assert "modtrace: error: can't write" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_and_version():
    proc = modtrace("--help")
    assert proc.returncode == 0 and "modtrace run" in proc.stdout
    proc = modtrace("run", "--help")
    assert proc.returncode == 0 and "--format" in proc.stdout
    proc = modtrace("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("modtrace ")


def test_program_options_after_the_script_belong_to_the_program():
    proc = modtrace("run", "introspect.py", "--format", "xml", "-o")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["argv"] == ["introspect.py", "--format", "xml", "-o"]
