"""`modtrace call MODULE:QUALNAME --input JSON ...` end to end."""

from _cli import PROGRAMS, load, modtrace, modules


def test_call_traces_the_callable_and_its_module_import(tmp_path):
    out = tmp_path / "t.json"
    proc = modtrace("call", "calls.mathy:ratio", "--input", "[1, 3]", "--input", "[2, 4]", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    doc = load(out)
    used = modules(doc)
    assert "called" in used["calls.mathy"]["uses"]
    assert "fractions" in used and {"called", "executed"} & set(used["fractions"]["uses"])
    # json is imported by calls.mathy's body but never used by ratio()
    assert doc["meta"]["program"] == {"kind": "callable", "argv": ["calls.mathy:ratio"]}
    assert used["calls.mathy"]["kind"] == "first_party"
    assert used["fractions"]["kind"] == "stdlib"


def test_call_without_inputs_calls_once_with_no_arguments(tmp_path):
    prog = tmp_path / "once.py"
    prog.write_text("import shlex\ndef go():\n    print(shlex.quote('a b'))\n")
    proc = modtrace("call", "once:go", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "'a b'\n"
    assert "shlex" in proc.stderr


def test_call_a_static_method_by_qualname(tmp_path):
    out = tmp_path / "t.json"
    proc = modtrace("call", "calls.mathy:Shapes.area", "--input", "[2, 3]", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "calls.mathy" in modules(load(out))


def test_exception_in_the_callable_is_printed_and_trace_written(tmp_path):
    out = tmp_path / "t.json"
    proc = modtrace("call", "calls.mathy:boom", "--input", '["x"]', "-o", out)
    assert proc.returncode == 1
    assert "RuntimeError: boom x" in proc.stderr
    assert 'mathy.py", line' in proc.stderr and "runner.py" not in proc.stderr
    assert load(out)["meta"]["exit_status"] == 1


def test_exception_while_importing_the_module(tmp_path):
    out = tmp_path / "t.json"
    proc = modtrace("call", "calls.badimport:x", "-o", out)
    assert proc.returncode == 1
    assert "ZeroDivisionError" in proc.stderr
    assert "calls.badimport" in modules(load(out))
