"""Cross-check against coverage.py on a real program nobody here wrote: CPython's
own ``test.test_json``, run through ``python -m unittest``. Every source file
that coverage sees executing must belong to a module in the trace."""

import os
import subprocess
import sys

import coverage  # a test dependency: pip install .[test]
import pytest

from _cli import load, modtrace


def _preloaded_by_modtrace(tmp_path):
    """The files of the modules that ``python -m modtrace run`` had imported
    before the program started (``python -m`` itself, the command line and the
    core). A program that imports one of them finds it loaded already, so its
    module body does not run again under the tracer; when nothing of it is used
    afterwards, the trace cannot see it. The set is measured, not listed: the
    smaller modtrace's start, the stricter this check."""
    prog = tmp_path / "footprint.py"
    prog.write_text(
        "import sys\n"
        "names = list(sys.modules)\n"
        "for n in names[names.index('site') + 1:]:\n"
        "    f = getattr(sys.modules[n], '__file__', None)\n"
        "    if f and not n.startswith('modtrace'):\n"
        "        print(f)\n"
    )
    proc = modtrace("run", "--report", tmp_path / "footprint.txt", prog)
    assert proc.returncode == 0, proc.stderr
    return {os.path.realpath(f) for f in proc.stdout.split()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("xcheck")
    data = d / "cov.data"
    cov = subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--pylib", f"--data-file={data}", "-m", "unittest", "test.test_json"],
        cwd=d, capture_output=True, text=True, timeout=600,
    )
    assert cov.returncode == 0, cov.stderr[-2000:]
    out = d / "trace.json"
    traced = modtrace("run", "-o", out, "--report", d / "report.txt", "-m", "unittest", "test.test_json", cwd=d)
    return cov, data, traced, out


def test_unittest_runs_the_same_under_modtrace(runs):
    cov, _, traced, _ = runs
    assert traced.returncode == 0, traced.stderr[-2000:]
    # unittest's summary line ("OK", "OK (skipped=1)") is the same
    assert traced.stderr.strip().splitlines()[-1] == cov.stderr.strip().splitlines()[-1]


def test_every_file_coverage_saw_executing_is_in_the_trace(runs, tmp_path):
    _, data_file, _, out = runs
    data = coverage.CoverageData(str(data_file))
    data.read()
    executed = {os.path.realpath(f) for f in data.measured_files() if data.lines(f)}
    assert len(executed) > 40  # the check means something
    doc = load(out)
    in_trace = {os.path.realpath(m["file"]) for m in doc["modules"] if m["file"]}
    missing = executed - in_trace
    # what can only be missing because modtrace itself had imported it first
    not_seen = sorted(missing - _preloaded_by_modtrace(tmp_path))
    assert not not_seen, f"executed according to coverage, absent from the trace: {not_seen}"
    recall = 1 - len(missing) / len(executed)
    assert recall >= 0.95, sorted(missing)
    # and the test modules themselves are there, as run-time uses
    used = {m["name"]: m for m in doc["modules"]}
    assert "executed" in used["test.test_json.test_decode"]["uses"]
    assert used["test.test_json.test_decode"]["kind"] == "stdlib"
    assert used["__main__"]["file"].endswith(os.path.join("unittest", "__main__.py"))
