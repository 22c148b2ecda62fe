"""`modtrace report` and `modtrace combine` end to end."""

import json

import pytest

from _cli import load, modtrace, modules


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    d = tmp_path_factory.mktemp("traces")
    a, b = d / "a.json", d / "b.json"
    assert modtrace("run", "-o", a, "-m", "plugshop").returncode == 0
    assert modtrace("call", "calls.mathy:dump", "--input", '[{"k": 1}]', "-o", b).returncode == 0
    return a, b


@pytest.mark.parametrize("fmt", ["text", "json", "requirements", "dot", "mermaid"])
def test_report_renders_a_saved_trace_like_run_did(traces, fmt, tmp_path):
    a, _ = traces
    report = modtrace("report", "--format", fmt, a)
    assert report.returncode == 0, report.stderr
    again = modtrace("run", "--format", fmt, "-m", "plugshop")
    if fmt == "json":
        assert json.loads(report.stderr)["modules"] == load(a)["modules"]
    elif fmt in ("text", "requirements", "dot", "mermaid"):
        # same program, same modules: the same report up to the command line
        strip = lambda s: [line for line in s.splitlines() if "modtrace:" not in line and "#" not in line[:1]]
        assert strip(report.stderr) == strip(again.stderr)


def test_report_keeps_saved_classification(traces, tmp_path):
    a, _ = traces
    doc = load(a)
    for m in doc["modules"]:
        if m["name"] == "pluggy":
            m["distribution"] = {"name": "pluggy", "version": "0.0.0-elsewhere"}
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc))
    proc = modtrace("report", "-f", "requirements", edited)
    assert "pluggy==0.0.0-elsewhere" in proc.stderr


def test_report_to_file_and_filtered(traces, tmp_path):
    a, _ = traces
    out = tmp_path / "r.txt"
    proc = modtrace("report", "--include", "plugshop.**", "--report", out, a)
    assert proc.returncode == 0 and proc.stderr == ""
    text = out.read_text()
    assert "plugshop.app" in text and "pluggy._manager" not in text


def test_combine_merges_traces(traces, tmp_path):
    a, b = traces
    out = tmp_path / "all.json"
    proc = modtrace("combine", a, b, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and proc.stdout == ""
    doc = load(out)
    used = modules(doc)
    assert set(used) == set(modules(load(a))) | set(modules(load(b)))
    assert "calls.mathy" in used and "plugshop.app" in used
    assert len(doc["meta"]["combined"]) == 2
    assert doc["meta"]["combined"][0]["program"]["kind"] == "module"
    assert not set(doc["loaded_unused"]) & set(used)
    # a combined trace is a trace like any other
    assert modtrace("report", out).returncode == 0
    again = tmp_path / "again.json"
    assert modtrace("combine", out, a, "-o", again).returncode == 0
    assert set(modules(load(again))) == set(used)


def test_combine_with_a_report(traces, tmp_path):
    a, b = traces
    proc = modtrace("combine", a, b, "-o", tmp_path / "c.json", "--format", "requirements")
    assert proc.returncode == 0
    assert "pluggy==" in proc.stderr
