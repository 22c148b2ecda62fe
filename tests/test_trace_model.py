"""The Trace data model: recording, merging, JSON round trip, schema checks."""

import json
import os

import pytest

from modtrace import CALLED, EXECUTED, IMPORTED, SCHEMA, Trace, TraceFormatError
from modtrace.trace import write_atomic


def sample():
    t = Trace(meta={"python": "3.12.1"})
    t.record("pkg.a", IMPORTED, "pkg", file="/x/pkg/a.py", where=("/x/pkg/__init__.py", 3, "<module>"), by="pkg")
    t.record("pkg.a", EXECUTED, None, where=("/x/main.py", 10, "main"), by="__main__")
    t.record("json", CALLED, None, file="/usr/lib/json/__init__.py", where=("/x/pkg/a.py", 5, "f"), by="pkg.a")
    t.record("pkg", IMPORTED, None, file="/x/pkg/__init__.py")
    return t


def test_record_keeps_first_use_and_all_contexts():
    t = sample()
    a = t["pkg.a"]
    assert a.uses == {IMPORTED, EXECUTED}
    assert a.contexts == {"pkg": {IMPORTED}, None: {EXECUTED}}
    assert a.first_use.kind == IMPORTED and a.first_use.context == "pkg" and a.first_use.line == 3
    assert a.used_by == {"pkg", "__main__"}
    assert a.used_at_run_time and not a.only_imported
    assert t["pkg"].only_imported
    assert t.names() == ["json", "pkg", "pkg.a"]
    assert t.run_time_names() == ["json", "pkg.a"]
    assert t.only_imported_names() == ["pkg"]
    assert ("pkg.a", "json") in t.edges()


def test_json_round_trip_is_lossless():
    t = sample()
    t.extra["loaded_unused"] = ["x", "y"]
    text = t.to_json()
    data = json.loads(text)
    assert data["schema"] == SCHEMA
    assert [m["name"] for m in data["modules"]] == ["json", "pkg", "pkg.a"]
    a = next(m for m in data["modules"] if m["name"] == "pkg.a")
    assert a["uses"] == ["executed", "imported"]
    assert a["contexts"] == [{"context": None, "uses": ["executed"]}, {"context": "pkg", "uses": ["imported"]}]
    back = Trace.from_json(text)
    assert back == t
    assert back.to_json() == text
    assert back.extra == {"loaded_unused": ["x", "y"]}


def test_merge_is_a_union():
    t1 = sample()
    t2 = Trace()
    t2.record("pkg.a", CALLED, "other", by="other")
    t2.record("new", EXECUTED, None)
    merged = t1.merge(t2)
    assert merged.names() == ["json", "new", "pkg", "pkg.a"]
    assert merged["pkg.a"].contexts == {"pkg": {IMPORTED}, None: {EXECUTED}, "other": {CALLED}}
    assert merged["pkg.a"].first_use == t1["pkg.a"].first_use
    # the inputs are unchanged
    assert "new" not in t1 and t1["pkg.a"].contexts == {"pkg": {IMPORTED}, None: {EXECUTED}}
    assert Trace.union([t1, t2]) == merged
    assert Trace.union([]).names() == []


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "JSON object"),
        ({"modules": []}, "schema"),
        ({"schema": "other/1", "modules": []}, "not a modtrace trace"),
        ({"schema": "modtrace.trace/9", "modules": []}, "unsupported"),
        ({"schema": SCHEMA, "modules": {}}, "modules must be a list"),
        ({"schema": SCHEMA, "modules": [{"name": "a", "contexts": [{"context": None, "uses": ["eaten"]}]}]}, "uses"),
        ({"schema": SCHEMA, "modules": [{"name": "", "contexts": []}]}, "name"),
        (
            {"schema": SCHEMA, "modules": [{"name": "a", "contexts": [], "first_use": {"kind": "called", "line": "x"}}]},
            "line",
        ),
    ],
)
def test_invalid_traces_are_rejected_with_a_clear_message(data, message):
    with pytest.raises(TraceFormatError, match=message):
        Trace.from_dict(data)


def test_invalid_json_text():
    with pytest.raises(TraceFormatError, match="invalid JSON"):
        Trace.from_json("{not json")


def test_save_is_atomic(tmp_path):
    path = tmp_path / "t.json"
    sample().save(path)
    assert Trace.load(path) == sample()
    # a failure while writing leaves the old file and no temporary file behind
    before = path.read_text()
    with pytest.raises(TypeError):
        write_atomic(path, object())
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["t.json"]


def test_saved_files_get_the_usual_mode(tmp_path):
    old = os.umask(0o022)
    try:
        new = tmp_path / "new.json"
        sample().save(new)
        assert new.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.json"
        kept.write_text("{}")
        kept.chmod(0o640)
        sample().save(kept)
        assert kept.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)
