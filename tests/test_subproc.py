"""Process trees: child processes started with subprocess, os.exec*, os.fork
and multiprocessing (spawn, forkserver, fork) are traced and merged into the
parent's trace; a child that dies loses only its own part.

Each scenario is a script run by a fresh interpreter (forking the test runner
itself is not wanted)."""

import json
import os
import sys

import pytest

from _subproc_support import load, run, write

# A parent that follows its children and prints the merged result as JSON.
HARNESS = """\
import json, os, sys
import modtrace
from modtrace.subproc import Follower

def report(trace):
    out = {
        "modules": trace.names(),
        "processes": trace.extra.get("processes", []),
    }
    sys.stdout.write("RESULT " + json.dumps(out) + "\\n")
"""

POSIX_ONLY = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def scenario(tmp_path, body, files=None):
    write(tmp_path, dict(files or {}, **{"parent.py": HARNESS + body}))
    proc = run(["parent.py"], tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [line] = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    return json.loads(line[len("RESULT "):])


def by_tag(result, module):
    return [p for p in result["processes"] if module in p["modules"]]


def test_subprocess_child(tmp_path):
    result = scenario(tmp_path, """\
import subprocess
with Follower() as children, modtrace.Tracer() as t:
    subprocess.run([sys.executable, "-c", "import fractions; fractions.Fraction(1, 3)"], check=True)
report(children.merge_into(t.trace))
""")
    assert "fractions" in result["modules"]
    [child] = result["processes"]
    assert child["argv"][1:] == ["-c", "import fractions; fractions.Fraction(1, 3)"]
    assert child["how"] == "start" and child["exit"] == "exit"
    assert child["ppid"] == child["ppid"] and "fractions" in child["modules"]
    assert child["pid"] != os.getpid()


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_multiprocessing(tmp_path, method):
    if method not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    result = scenario(tmp_path, f"""\
import multiprocessing as mp
import worker

if __name__ == "__main__":
    ctx = mp.get_context({method!r})
    with Follower() as children, modtrace.Tracer() as t:
        p = ctx.Process(target=worker.work, args=(0.25,))
        p.start()
        p.join()
        assert p.exitcode == 0
        with ctx.Pool(2) as pool:
            assert pool.map(worker.square, [1, 2, 3]) == [1, 4, 9]
    report(children.merge_into(t.trace))
""", files={"worker.py": """\
def work(x):
    import colorsys
    return colorsys.rgb_to_hsv(x, 0.5, 0.5)

def square(x):
    import fractions
    return int(fractions.Fraction(x) ** 2)
"""})
    assert {"colorsys", "fractions", "worker"} <= set(result["modules"])
    workers = by_tag(result, "colorsys")
    assert workers, result["processes"]
    expected = "fork" if method in ("fork", "forkserver") else "start"
    assert workers[0]["how"] == expected
    assert by_tag(result, "fractions")


@POSIX_ONLY
def test_fork_and_exec(tmp_path):
    result = scenario(tmp_path, """\
with Follower() as children, modtrace.Tracer() as t:
    pid = os.fork()
    if pid == 0:
        import textwrap
        textwrap.dedent("  a")
        os._exit(0)
    os.waitpid(pid, 0)
    pid = os.fork()
    if pid == 0:
        import colorsys
        colorsys.rgb_to_hsv(0.1, 0.2, 0.3)
        os.execv(sys.executable, [sys.executable, "-c", "import fractions; fractions.Fraction(2)"])
    os.waitpid(pid, 0)
report(children.merge_into(t.trace))
""")
    assert {"textwrap", "colorsys", "fractions"} <= set(result["modules"])
    [forked] = by_tag(result, "textwrap")
    assert forked["how"] == "fork" and forked["exit"] == "os._exit"
    [before_exec] = by_tag(result, "colorsys")
    assert before_exec["exit"] == "exec"
    [after_exec] = by_tag(result, "fractions")
    assert after_exec["how"] == "start" and after_exec["pid"] == before_exec["pid"]


@POSIX_ONLY
def test_a_crashing_child_loses_only_its_part(tmp_path):
    result = scenario(tmp_path, """\
import subprocess
with Follower() as children, modtrace.Tracer() as t:
    code = "import difflib, os, signal; difflib.ndiff('a', 'b'); os.kill(os.getpid(), signal.SIGKILL)"
    assert subprocess.run([sys.executable, "-c", code]).returncode < 0
    code = "import calendar, os; calendar.isleap(2000); os.abort()"
    assert subprocess.run([sys.executable, "-c", code]).returncode < 0
    subprocess.run([sys.executable, "-c", "import colorsys; colorsys.rgb_to_hsv(0, 0, 0)"], check=True)
    code = "import statistics; statistics.mean([1]); raise SystemExit(3)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 3
    code = "import shlex; shlex.split('a b'); 1 / 0"
    assert subprocess.run([sys.executable, "-c", code], stderr=subprocess.DEVNULL).returncode == 1
report(children.merge_into(t.trace))
""")
    mods = set(result["modules"])
    assert {"colorsys", "statistics", "shlex"} <= mods
    assert "difflib" not in mods and "calendar" not in mods
    assert len(result["processes"]) == 3


def test_terminated_pool_workers_write_their_part(tmp_path):
    # Pool.__exit__ terminates the workers with SIGTERM
    result = scenario(tmp_path, """\
import multiprocessing as mp
import worker

if __name__ == "__main__":
    with Follower() as children, modtrace.Tracer() as t:
        with mp.get_context("spawn").Pool(1) as pool:
            assert pool.apply(worker.work, (0.5,))
    report(children.merge_into(t.trace))
""", files={"worker.py": "def work(x):\n    import colorsys\n    return colorsys.rgb_to_hsv(x, x, x)\n"})
    assert "colorsys" in result["modules"]
    assert by_tag(result, "colorsys")[0]["exit"] in ("SIGTERM", "exit")


def test_the_hidden_sitecustomize_still_runs(tmp_path):
    write(tmp_path, {"site_dir/sitecustomize.py": "import os\nos.environ['SITECUSTOMIZE_RAN'] = '1'\n"})
    result = scenario(tmp_path, f"""\
import subprocess
os.environ["PYTHONPATH"] = {str(tmp_path / "site_dir")!r}
with Follower() as children, modtrace.Tracer() as t:
    code = "import os, sys, colorsys; colorsys.hls_to_rgb(0, 0, 0); print(os.environ.get('SITECUSTOMIZE_RAN'), [p for p in sys.path if '_startup' in p])"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "1 []", out
assert os.environ["PYTHONPATH"] == {str(tmp_path / "site_dir")!r}
assert "MODTRACE_SUBPROCESS_DIRS" not in os.environ
report(children.merge_into(t.trace))
""")
    assert "colorsys" in result["modules"]


def test_tracer_api(tmp_path):
    result = scenario(tmp_path, """\
import subprocess
def run():
    subprocess.run([sys.executable, "-c", "import fractions; fractions.Fraction(1, 3)"], check=True)
with modtrace.Tracer(subprocesses=True) as t:
    run()
t2 = modtrace.trace(run, subprocesses=True)
assert "fractions" in t2 and len(t2.extra["processes"]) == 1
report(t.trace)
""")
    assert "fractions" in result["modules"]
    assert len(result["processes"]) == 1


def test_modtrace_run_subprocesses(tmp_path):
    write(tmp_path, {"prog.py": """\
        import subprocess, sys
        subprocess.run([sys.executable, "-c", "import fractions; fractions.Fraction(1, 3)"], check=True)
        """})
    proc = run(["-m", "modtrace", "run", "--subprocesses", "-o", "t.json", "prog.py"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = load(tmp_path / "t.json")
    names = {m["name"]: m for m in doc["modules"]}
    assert names["fractions"]["kind"] == "stdlib"
    [child] = doc["processes"]
    assert child["argv"][1] == "-c" and "fractions" in child["modules"]
    # without the option, the child is not followed
    proc = run(["-m", "modtrace", "run", "-o", "u.json", "prog.py"], tmp_path)
    doc = load(tmp_path / "u.json")
    assert "fractions" not in {m["name"] for m in doc["modules"]} and "processes" not in doc


def test_traces_from_workers_combine(tmp_path):
    # The pattern for any executor (ProcessPoolExecutor here; Dask, Ray...):
    # each task traces its own work and sends back trace.to_dict().
    result = scenario(tmp_path, """\
from concurrent.futures import ProcessPoolExecutor
import tasks

if __name__ == "__main__":
    with ProcessPoolExecutor(2) as pool:
        parts = list(pool.map(tasks.traced, ["colorsys", "fractions", "shlex"]))
    combined = modtrace.Trace.union(modtrace.Trace.from_dict(p) for p in parts)
    for i, p in enumerate(parts):
        modtrace.Trace.from_dict(p).save(f"part{i}.json")
    report(combined)
""", files={"tasks.py": """\
import importlib
import modtrace

def use(name):
    mod = importlib.import_module(name)
    return {"colorsys": lambda: mod.rgb_to_hsv(0, 0, 0), "fractions": lambda: mod.Fraction(1),
            "shlex": lambda: mod.split("a b")}[name]()

def traced(name):
    return modtrace.trace(use, [(name,)]).to_dict()
"""})
    assert {"colorsys", "fractions", "shlex", "tasks"} <= set(result["modules"])
    # and the same with the command line
    proc = run(["-m", "modtrace", "combine", "part0.json", "part1.json", "part2.json", "-o", "all.json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = {m["name"] for m in load(tmp_path / "all.json")["modules"]}
    assert {"colorsys", "fractions", "shlex"} <= names
