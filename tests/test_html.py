"""The HTML report without a browser: the command line that writes it, the data
it embeds (escaped), the packaging plan it reads, and its assets being part of
the installed package. The page itself is tested in test_html_browser.py."""

import json
import re
import sys
from pathlib import Path

import pytest

from _cli import load, modtrace, one_error_line

from modtrace.render import html as html_render
from modtrace.report import Report
from modtrace.trace import Trace


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    d = tmp_path_factory.mktemp("htmlcli")
    trace = d / "trace.json"
    proc = modtrace("run", "-o", trace, "-m", "plugshop")
    assert proc.returncode == 0, proc.stderr
    return trace


def data_of(page_text):
    """The JSON the page embeds."""
    m = re.search(r'<script type="application/json" id="modtrace-data">(.*?)</script>', page_text, re.S)
    assert m, "no data element"
    return json.loads(m.group(1))


def test_run_writes_the_page_and_the_trace(tmp_path):
    trace, page = tmp_path / "t.json", tmp_path / "p.html"
    proc = modtrace("run", "-o", trace, "--format", "html", "--report", page, "-m", "plugshop")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "final price 110.00\n" and proc.stderr == ""
    assert load(trace)["schema"] == "modtrace.trace/1"
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    data = data_of(text)
    assert {m["name"] for m in data["modules"]} == {m["name"] for m in load(trace)["modules"]}
    assert data["headline"].startswith(f"{len(data['modules'])} modules used by `python -m plugshop`")


def test_report_dash_o_names_the_page(traced, tmp_path):
    before = traced.read_bytes()
    page = tmp_path / "p.html"
    proc = modtrace("report", traced, "-f", "html", "-o", page)
    assert proc.returncode == 0 and proc.stderr == ""
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert traced.read_bytes() == before
    # with --report, -o is the trace as for every format
    again, page2 = tmp_path / "again.json", tmp_path / "p2.html"
    proc = modtrace("report", traced, "-f", "html", "-o", again, "--report", page2, "--include", "plugshop.**")
    assert proc.returncode == 0, proc.stderr
    assert {m["name"] for m in load(again)["modules"]} == {m["name"] for m in data_of(page2.read_text())["modules"]}
    assert all(m["name"].startswith("plugshop") for m in load(again)["modules"])


def test_html_needs_a_file(traced):
    proc = modtrace("report", traced, "--format", "html")
    assert proc.returncode == 2
    assert "give --report FILE" in one_error_line(proc)
    proc = modtrace("run", "--format", "html", "-m", "plugshop")
    assert proc.returncode == 2 and proc.stdout == ""  # refused before the program ran
    assert "give --report FILE" in one_error_line(proc)


def test_the_page_never_overwrites_the_trace(traced):
    before = traced.read_bytes()
    proc = modtrace("report", traced, "--format", "html", "-o", traced)
    assert proc.returncode == 2
    assert "would overwrite the trace" in one_error_line(proc)
    assert traced.read_bytes() == before


def test_plan_option_errors(traced, tmp_path):
    proc = modtrace("report", traced, "--plan", tmp_path / "nope.json", "--report", tmp_path / "x.txt")
    assert proc.returncode == 2 and "--plan is shown by --format html only" in one_error_line(proc)
    proc = modtrace("report", traced, "-f", "html", "--plan", tmp_path / "nope.json", "-o", tmp_path / "x.html")
    assert proc.returncode == 2 and "no such file" in one_error_line(proc)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    proc = modtrace("report", traced, "-f", "html", "--plan", bad, "-o", tmp_path / "x.html")
    assert proc.returncode == 1 and "is not a plan" in one_error_line(proc)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"intern": ["not.a.module.here"]}))
    proc = modtrace("report", traced, "-f", "html", "--plan", other, "-o", tmp_path / "x.html")
    assert proc.returncode == 1 and "names none of the trace's modules" in one_error_line(proc)
    assert not (tmp_path / "x.html").exists()


def test_plan_file_is_read(traced, tmp_path):
    plan = {
        "schema": "modtrace.plan/1",
        "intern": [{"name": "__main__", "reason": {"kind": "entry", "via": None}}, {"name": "plugshop.**"}],
        "extern": [{"name": "pluggy", "version": "1.7.0", "modules": []}],
        "stdlib": ["sys"],
        "mock": [{"name": "plugshop.settings", "reason": {"kind": "imported_by", "via": "plugshop.app"}}],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    page = tmp_path / "p.html"
    proc = modtrace("report", traced, "-f", "html", "--plan", path, "-o", page)
    assert proc.returncode == 0, proc.stderr
    got = data_of(page.read_text())["plan"]
    d = got["decisions"]
    assert got["source"] == f"plan file {path}"
    assert d["__main__"] == "intern" and d["plugshop.app"] == "intern"  # by pattern
    assert d["plugshop.settings"] == "mock"  # a name wins over a pattern
    assert d["pluggy._hooks"] == "extern"  # its distribution is extern
    assert d["sys"] == "stdlib" and d["iniconfig"] == "not needed"
    assert "plugshop.app" in got["reasons"]["plugshop.settings"]


def test_plan_degrades_when_packaging_is_absent(traced, monkeypatch):
    report = Report.load(traced)
    monkeypatch.setitem(sys.modules, "modtrace.package.plan", None)  # import fails
    assert html_render.page_data(report)["plan"] is None
    # a plan stored in the trace is used all the same
    report.trace.extra["plan"] = {"mock": ["plugshop.settings"]}
    got = html_render.page_data(report)["plan"]
    assert got["source"] == "plan stored in the trace" and got["decisions"]["plugshop.settings"] == "mock"


def test_a_plan_that_cannot_be_computed_is_a_note_not_a_failure(traced, monkeypatch):
    report = Report.load(traced)

    def broken(report):
        raise RuntimeError("boom")

    monkeypatch.setattr(html_render, "_computed_plan", broken)
    got = html_render.page_data(report)["plan"]
    assert got["error"] == "no packaging plan: RuntimeError: boom" and got["decisions"] == {}


def test_tests_map_keeps_known_modules():
    trace = Trace.from_dict({
        "schema": "modtrace.trace/1",
        "meta": {},
        "tests": {"t::a": ["x", "gone", 3], "t::b": "not a list", 4: ["x"]},
        "modules": [{"name": "x", "file": None, "contexts": [{"context": None, "uses": ["called"]}],
                     "first_use": None, "used_by": []}],
    })
    assert html_render._tests(trace) == {"t::a": ["x"]}
    trace.extra["tests"] = ["not", "a", "map"]
    assert html_render._tests(trace) is None


def test_embedded_json_cannot_end_its_element():
    data = {"name": "</script><script>alert(1)</script>", "c": "<!-- & -->", "u": "\u2028\u00e9"}
    text = html_render.script_json(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert text.isascii()
    assert json.loads(text) == data


def test_page_has_no_markup_from_the_trace(tmp_path):
    evil = "a</script><img src=x onerror=alert(1)>"
    trace = Trace.from_dict({
        "schema": "modtrace.trace/1",
        "meta": {"program": {"kind": "script", "argv": ["python", "<b>x</b>.py"]}, "exit_status": 0},
        "modules": [{"name": evil, "file": "/t/</style>.py", "contexts": [{"context": None, "uses": ["called"]}],
                     "first_use": None, "used_by": []}],
    })
    page = html_render.render(Report(trace))
    assert "<img" not in page and "<b>" not in page and "</style>.py" not in page
    assert page.count("</script>") == 2  # the data's element and the script's
    assert "<title>modtrace: 1 module used by `python &lt;b&gt;x&lt;/b&gt;.py`, exit status 0</title>" in page
    assert data_of(page)["modules"][0]["name"] == evil


def test_assets_are_installed_with_the_package():
    from importlib import resources

    root = resources.files("modtrace.render")
    for name in ("html.css", "html.js"):
        assert root.joinpath(name).is_file(), f"{name} is not part of the installed package (package-data)"
    assert "html.css" in Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_text()
