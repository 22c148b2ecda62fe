"""The pytest plugin: per-test module maps in plain and pytest-xdist runs,
child processes of tests, and the plugin staying out of the way when off.

Each test runs pytest in a subprocess on a small generated project."""

import pytest

from _subproc_support import load, ours, pytest as run_pytest, write

PROJECT = {
    "mtproj/__init__.py": "",
    "mtproj/alpha.py": "def a():\n    return 1\n",
    "mtproj/beta.py": "def b():\n    return 2\n",
    "mtproj/fixmod.py": "def make():\n    return {'x': 1}\n",
    "mtproj/collected.py": "def at_collection():\n    return 3\n",
    "mtproj/child.py": """\
        import sys

        def main():
            from mtproj import alpha
            sys.stdout.write(str(alpha.a()))
        """,
    "tests/conftest.py": """\
        import pytest
        from mtproj import fixmod

        @pytest.fixture(scope="module")
        def shared():
            return fixmod.make()
        """,
    "tests/test_one.py": """\
        from mtproj import alpha, beta, collected

        X = collected.at_collection()

        def test_alpha():
            assert alpha.a() == 1

        def test_beta():
            assert beta.b() == 2

        def test_both():
            assert alpha.a() + beta.b() == 3

        def test_shared_1(shared):
            assert shared["x"] == 1

        def test_shared_2(shared):
            assert shared

        class TestK:
            def test_m(self):
                assert alpha.a()
        """,
    "tests/test_two.py": """\
        import pytest
        from mtproj import beta

        def test_shared_3(shared):
            assert shared

        def test_nothing():
            pass

        @pytest.mark.parametrize("n", [1, 2])
        def test_param(n):
            assert beta.b() == 2
        """,
}

CHILD_TEST = {
    "tests/test_child.py": """\
        import subprocess
        import sys
        import multiprocessing as mp

        from mtproj import beta

        def test_child():
            out = subprocess.run([sys.executable, "-c", "import mtproj.child; mtproj.child.main()"],
                                 check=True, capture_output=True, text=True)
            assert out.stdout == "1"

        def test_no_child():
            assert beta.b()
        """,
}

EXPECTED = {
    "tests/test_one.py::TestK::test_m": ["mtproj.alpha"],
    "tests/test_one.py::test_alpha": ["mtproj.alpha"],
    "tests/test_one.py::test_beta": ["mtproj.beta"],
    "tests/test_one.py::test_both": ["mtproj.alpha", "mtproj.beta"],
    "tests/test_one.py::test_shared_1": ["mtproj.fixmod"],
    "tests/test_one.py::test_shared_2": ["mtproj.fixmod"],
    "tests/test_two.py::test_nothing": [],
    "tests/test_two.py::test_param[1]": ["mtproj.beta"],
    "tests/test_two.py::test_param[2]": ["mtproj.beta"],
    "tests/test_two.py::test_shared_3": ["mtproj.fixmod"],
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugin")
    write(root, PROJECT)
    return root


@pytest.fixture(scope="module")
def plain(project):
    proc = run_pytest(project, "--modtrace=plain.json", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, load(project / "plain.json")


def test_per_test_map(plain):
    proc, doc = plain
    assert "modtrace: " in proc.stdout and "10 tests traced" in proc.stdout
    assert ours(doc["tests"], "mtproj") == EXPECTED
    assert list(doc["tests"]) == sorted(doc["tests"])
    for names in doc["tests"].values():
        assert names == sorted(names)
        # the test runner's own modules are not any test's
        assert not [n for n in names if n.split(".")[0] in ("_pytest", "pytest", "pluggy")]
        assert "modtrace" not in names


def test_the_session_trace_is_a_run_trace(plain):
    _, doc = plain
    mods = {m["name"]: m for m in doc["modules"]}
    # imported and used while collecting: the session's, no test's
    assert "mtproj.collected" in mods
    assert mods["mtproj.alpha"]["kind"] == "first_party"
    assert mods["_pytest.runner"]["distribution"]["name"] == "pytest"
    assert doc["meta"]["program"]["kind"] == "pytest"
    assert doc["meta"]["exit_status"] == 0
    assert isinstance(doc["loaded_unused"], list)
    assert not any(n.startswith("modtrace") for n in mods)


def test_xdist_map_equals_the_plain_one(project, plain):
    pytest.importorskip("xdist")
    proc = run_pytest(project, "--modtrace=xdist.json", "-n", "2", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = load(project / "xdist.json")
    assert ours(doc["tests"], "mtproj") == EXPECTED
    assert set(doc["tests"]) == set(plain[1]["tests"])
    mods = {m["name"] for m in doc["modules"]}
    assert {"mtproj.alpha", "mtproj.beta", "mtproj.fixmod", "mtproj.collected"} <= mods
    assert {m["name"]: m for m in doc["modules"]}["mtproj.alpha"]["kind"] == "first_party"


def test_failing_and_skipped_tests_are_mapped(tmp_path):
    write(tmp_path, {
        "mtproj/__init__.py": "",
        "mtproj/alpha.py": "def a():\n    return 1\n",
        "tests/test_f.py": """\
            import pytest
            from mtproj import alpha

            def test_fails():
                assert alpha.a() == 2

            @pytest.fixture
            def broken():
                alpha.a()
                raise RuntimeError("setup")

            def test_setup_error(broken):
                pass

            @pytest.mark.skip
            def test_skipped():
                alpha.a()
            """,
    })
    proc = run_pytest(tmp_path, "--modtrace=t.json", "tests")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    tests = ours(load(tmp_path / "t.json")["tests"], "mtproj")
    assert tests == {
        "tests/test_f.py::test_fails": ["mtproj.alpha"],
        "tests/test_f.py::test_setup_error": ["mtproj.alpha"],
        "tests/test_f.py::test_skipped": [],
    }


def test_child_processes_count_for_their_test(tmp_path):
    write(tmp_path, dict(PROJECT, **CHILD_TEST))
    proc = run_pytest(tmp_path, "--modtrace=c.json", "--modtrace-subprocesses", "tests/test_child.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = load(tmp_path / "c.json")
    tests = ours(doc["tests"], "mtproj")
    assert tests["tests/test_child.py::test_child"] == ["mtproj", "mtproj.alpha", "mtproj.child"]
    assert tests["tests/test_child.py::test_no_child"] == ["mtproj.beta"]
    [child] = [p for p in doc["processes"] if "mtproj.child" in p["modules"]]
    assert child["tag"] == "tests/test_child.py::test_child"
    assert child["argv"][1:3] == ["-c", "import mtproj.child; mtproj.child.main()"]
    assert "mtproj.child" in {m["name"] for m in doc["modules"]}


def test_child_processes_under_xdist(tmp_path):
    pytest.importorskip("xdist")
    write(tmp_path, dict(PROJECT, **CHILD_TEST))
    proc = run_pytest(tmp_path, "--modtrace=c.json", "--modtrace-subprocesses", "-n", "2", "tests/test_child.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = load(tmp_path / "c.json")
    tests = ours(doc["tests"], "mtproj")
    assert tests["tests/test_child.py::test_child"] == ["mtproj", "mtproj.alpha", "mtproj.child"]
    assert tests["tests/test_child.py::test_no_child"] == ["mtproj.beta"]
    # the workers are not listed as children: only the test's own child is
    assert [p["tag"] for p in doc["processes"]] == ["tests/test_child.py::test_child"]


def test_inactive_without_the_option(tmp_path):
    write(tmp_path, {
        "tests/test_quiet.py": """\
            import sys

            def test_nothing_of_modtrace_runs():
                assert "modtrace.pytest_plugin" in sys.modules   # registered, idle
                assert "modtrace.pytest_plugin.session" not in sys.modules
                assert sys.getprofile() is None
                if hasattr(sys, "monitoring"):
                    assert all(sys.monitoring.get_tool(i) != "modtrace" for i in range(6))
            """,
    })
    proc = run_pytest(tmp_path, "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "modtrace" not in proc.stdout
    help_text = run_pytest(tmp_path, "--help").stdout
    assert "--modtrace=FILE" in help_text and "--modtrace-subprocesses" in help_text


def test_bad_options(tmp_path):
    write(tmp_path, {"tests/test_x.py": "def test_x():\n    pass\n"})
    proc = run_pytest(tmp_path, "--modtrace-subprocesses", "tests")
    assert proc.returncode == 4 and "--modtrace-subprocesses needs --modtrace=FILE" in proc.stderr
    proc = run_pytest(tmp_path, "--modtrace=nodir/t.json", "tests")
    assert proc.returncode == 4 and "no directory" in proc.stderr
