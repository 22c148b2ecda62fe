"""Queries on a trace of a test suite: tests-using, the per-test view of
report, and combine merging per-test maps."""

import json

from _cli import modtrace, one_error_line


def write_trace(path, tests, modules=("shop", "shop.cart", "shop.money", "json", "json.decoder"), **extra):
    doc = {
        "schema": "modtrace.trace/1",
        "meta": {"program": {"kind": "pytest", "argv": ["pytest"]}},
        "modules": [{"name": n, "file": None, "contexts": [{"context": None, "uses": ["executed"]}]}
                    for n in modules],
        "tests": tests,
    }
    doc.update(extra)
    path.write_text(json.dumps(doc))
    return path


TESTS = {
    "tests/test_cart.py::test_total": ["json", "shop.cart", "shop.money"],
    "tests/test_cart.py::test_empty": ["shop.cart"],
    "tests/test_io.py::test_load[a]": ["json", "json.decoder"],
    "tests/test_misc.py::test_nothing": [],
}


def test_tests_using(tmp_path):
    t = write_trace(tmp_path / "t.json", TESTS)
    proc = modtrace("tests-using", "shop.cart", str(t))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["tests/test_cart.py::test_empty", "tests/test_cart.py::test_total"]
    proc = modtrace("tests-using", "json.**", "shop.money", str(t))
    assert proc.stdout.splitlines() == ["tests/test_cart.py::test_total", "tests/test_io.py::test_load[a]"]
    proc = modtrace("tests-using", "*.decoder", str(t))
    assert proc.stdout.splitlines() == ["tests/test_io.py::test_load[a]"]
    proc = modtrace("tests-using", "nothing.here", str(t))
    assert proc.returncode == 0 and proc.stdout == ""


def test_tests_using_bad_input(tmp_path):
    t = write_trace(tmp_path / "t.json", TESTS)
    proc = modtrace("tests-using", str(t))
    assert proc.returncode == 2 and "PATTERN and a TRACE.json" in one_error_line(proc)
    proc = modtrace("tests-using", "a..b", str(t))
    assert proc.returncode == 2 and "empty dotted segment" in one_error_line(proc)
    proc = modtrace("tests-using", "--bogus", "x", str(t))
    assert proc.returncode == 2
    proc = modtrace("tests-using", "x", str(tmp_path / "missing.json"))
    assert proc.returncode == 1 and "no such file" in one_error_line(proc)
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"schema": "modtrace.trace/1", "meta": {}, "modules": []}))
    proc = modtrace("tests-using", "x", str(plain))
    assert proc.returncode == 1 and "no per-test map" in one_error_line(proc)
    assert modtrace("tests-using", "--help").returncode == 0


def test_report_per_test_view(tmp_path):
    t = write_trace(tmp_path / "t.json", TESTS, modules=("shop", "shop.cart", "shop.money", "json", "json.decoder",
                                                        "shop.export"))
    proc = modtrace("report", "-f", "tests", str(t))
    assert proc.returncode == 0, proc.stderr
    out = proc.stderr
    assert "4 tests, 4 of the 6 modules used by at least one test" in out
    assert "tests/test_cart.py::test_total (+1 stdlib)" in out
    assert "shop.cart, shop.money" in out
    # modules no test used (standard library left out)
    section = out.split("used by the session but by no test")[1].split("each test")[0]
    assert "shop.export" in section and "shop.cart" not in section
    proc = modtrace("report", "-f", "tests", "--include", "json.**", str(t))
    assert "shop.cart" not in proc.stderr and "json.decoder" in proc.stderr
    # the text report points at the view
    assert "per-test map: 4 tests" in modtrace("report", str(t)).stderr


def test_combine_merges_per_test_maps(tmp_path):
    a = write_trace(tmp_path / "a.json", {"t::x": ["json"], "t::y": ["shop.cart"]},
                    processes=[{"pid": 1, "argv": ["python", "a"], "modules": ["json"]}])
    b = write_trace(tmp_path / "b.json", {"t::x": ["shop.money"], "t::z": []},
                    processes=[{"pid": 2, "argv": ["python", "b"], "modules": []}])
    proc = modtrace("combine", str(a), str(b), "-o", str(tmp_path / "c.json"))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc["tests"] == {"t::x": ["json", "shop.money"], "t::y": ["shop.cart"], "t::z": []}
    assert [p["pid"] for p in doc["processes"]] == [1, 2]
