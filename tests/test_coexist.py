"""modtrace coexists with the other tools that watch Python run: cProfile, a
Python profile function (``sys.setprofile`` / ``threading.setprofile``),
coverage.py, and other ``sys.monitoring`` tools (3.12+)."""

import cProfile
import json
import os
import pstats
import subprocess
import sys
import threading

import pytest

import modtrace
from support.sandbox import ModuleSandbox

MONITORING = sys.version_info >= (3, 12)
needs_monitoring = pytest.mark.skipif(not MONITORING, reason="sys.monitoring is new in Python 3.12")


@pytest.fixture
def sandbox(tmp_path):
    with ModuleSandbox(tmp_path) as sb:
        yield sb


LIB = """\
def work(n):
    total = 0
    i = 0
    while i < n:  # no range(): instantiating a C class is invisible on 3.10/3.11
        total += square(i)
        i += 1
    return total

def square(i):
    return i * i

def fail():
    raise ValueError("boom")

def interrupt():
    raise KeyboardInterrupt

def in_thread():
    t = __import__("threading").Thread(target=square, args=(3,))
    t.start()
    t.join()
"""


@pytest.fixture
def lib(sandbox):
    sandbox.write("lib", LIB)
    return sandbox.load("lib")


def _after_marker():
    return 1


def _inside_marker():
    return 2


def _profiler_is_installed(prof):
    if MONITORING:
        return sys.monitoring.get_tool(sys.monitoring.PROFILER_ID) == "cProfile"
    return sys.getprofile() is prof


# -- (a) cProfile --------------------------------------------------------------------------


def test_cprofile_keeps_profiling_after_a_trace(lib):
    def traced():
        _inside_marker()
        return lib.work(3)

    prof = cProfile.Profile()
    prof.enable()
    try:
        assert _profiler_is_installed(prof)
        t = modtrace.trace(traced)
        installed_after = _profiler_is_installed(prof)
        for _ in range(3):
            _after_marker()
    finally:
        prof.disable()

    assert installed_after, "cProfile is no longer installed after the trace"
    assert t.names() == sorted([__name__, lib.__name__])
    calls = {key[2]: value[1] for key, value in pstats.Stats(prof).stats.items()}
    # Calls made after the trace were all recorded.
    assert calls.get("_after_marker") == 3
    if MONITORING:
        # Both are sys.monitoring tools: cProfile also saw what ran during the trace.
        assert calls.get("_inside_marker") == 1
        assert calls.get("square") == 3


def test_cprofile_enabled_inside_the_traced_callable_is_left_alone(lib):
    """The traced program starts and stops cProfile itself."""
    prof = cProfile.Profile()

    def traced():
        prof.enable()
        try:
            lib.work(2)
        finally:
            prof.disable()

    t = modtrace.trace(traced)
    assert __name__ in t
    if MONITORING:
        assert lib.__name__ in t
        assert sys.monitoring.get_tool(sys.monitoring.PROFILER_ID) is None
    # (On 3.10/3.11 there is one profile hook per thread: while the traced
    # program's own profiler holds it, modtrace sees nothing in that thread.)
    assert sys.getprofile() is None
    calls = {key[2]: value[1] for key, value in pstats.Stats(prof).stats.items()}
    assert calls.get("work") == 1
    assert calls.get("square") == 2


# -- (b) Python profile functions -----------------------------------------------------------


class _Recorder:
    """A profile function that notes the names of the Python functions called."""

    def __init__(self):
        self.calls = []

    def __call__(self, frame, event, arg):
        if event == "call":
            self.calls.append(frame.f_code.co_name)


@pytest.fixture
def profile_functions():
    """A profile function for this thread and one for threads started later,
    installed for the test and removed after it."""
    f, g = _Recorder(), _Recorder()
    saved_threading = threading.getprofile() if hasattr(threading, "getprofile") else None
    sys.setprofile(f)
    threading.setprofile(g)
    try:
        yield f, g
    finally:
        sys.setprofile(None)
        threading.setprofile(saved_threading)


def _check_restored(f, g):
    assert sys.getprofile() is f
    assert threading.getprofile() is g
    # f still receives the events of this thread ...
    del f.calls[:]
    _after_marker()
    assert "_after_marker" in f.calls
    # ... and g is installed in threads started from now on.
    del g.calls[:]
    th = threading.Thread(target=_after_marker)
    th.start()
    th.join()
    assert "_after_marker" in g.calls


def test_profile_functions_are_restored_after_a_trace(lib, profile_functions):
    f, g = profile_functions
    t = modtrace.trace(lib.work, [(2,)])
    _check_restored(f, g)
    assert t.names() == [lib.__name__]


def test_profile_functions_are_restored_after_a_trace_with_threads(lib, profile_functions):
    f, g = profile_functions
    t = modtrace.trace(lib.in_thread)
    _check_restored(f, g)
    assert lib.__name__ in t and "threading" in t


def test_profile_functions_are_restored_when_the_callable_raises(lib, profile_functions):
    f, g = profile_functions
    with pytest.raises(ValueError, match="boom"):
        modtrace.trace(lib.fail)
    _check_restored(f, g)
    tracer = modtrace.Tracer()
    with pytest.raises(ValueError, match="boom"):
        with tracer:
            lib.fail()
    _check_restored(f, g)
    assert lib.__name__ in tracer.trace


def test_profile_functions_are_restored_after_keyboard_interrupt(lib, profile_functions):
    f, g = profile_functions
    with pytest.raises(KeyboardInterrupt):
        modtrace.trace_dependencies(lib.interrupt, [()])
    _check_restored(f, g)
    # and the tracer works again
    assert modtrace.trace_dependencies(lib.square, [(2,)]) == [lib.__name__]
    _check_restored(f, g)


# -- (c) coverage.py -------------------------------------------------------------------------

PROGRAM = """\
import json
import sys

import modtrace

import helper


def traced():
    return helper.work(3)


def after():
    a = 1
    b = a + 1
    return b


t = modtrace.trace(traced)
if sys.version_info >= (3, 12):
    tools = [sys.monitoring.get_tool(i) for i in range(6)]
else:
    tools = None
print(json.dumps({"names": t.names(), "backend": t.meta.get("backend"), "tools": tools}))
after()
"""

HELPER = """\
def work(n):
    total = 0
    i = 0
    while i < n:
        total += i
        i += 1
    return total
"""


def _line_of(source, text):
    return next(i for i, line in enumerate(source.splitlines(), 1) if line.strip() == text)


_CORES = ["sysmon", "default"] if MONITORING else ["default"]


@pytest.mark.parametrize("core", _CORES)
def test_coverage_keeps_measuring_around_a_trace(tmp_path, core):
    import coverage  # a test dependency
    (tmp_path / "prog.py").write_text(PROGRAM)
    (tmp_path / "helper.py").write_text(HELPER)
    env = dict(os.environ)
    env.pop("COVERAGE_PROCESS_START", None)
    env.pop("COVERAGE_CORE", None)
    if core == "sysmon":
        env["COVERAGE_CORE"] = "sysmon"
    data_file = tmp_path / ".coverage"
    proc = subprocess.run(
        [sys.executable, "-m", "coverage", "run", f"--data-file={data_file}", "prog.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])

    # modtrace's trace is right ...
    assert out["names"] == ["__main__", "helper"]
    if core == "sysmon":
        assert "coverage.py" in out["tools"], out["tools"]  # the sysmon core really ran
        assert out["backend"] == "monitoring"
        assert "modtrace" not in out["tools"]  # its tool id was given back

    # ... and coverage recorded the lines run during and after the trace.
    data = coverage.CoverageData(basename=str(data_file))
    data.read()
    prog_lines = set(data.lines(str(tmp_path / "prog.py")) or ())
    helper_lines = set(data.lines(str(tmp_path / "helper.py")) or ())
    for text in ("a = 1", "b = a + 1", "return b", "after()"):
        assert _line_of(PROGRAM, text) in prog_lines, (text, sorted(prog_lines))
    for text in ("total = 0", "total += i", "i += 1", "return total"):
        assert _line_of(HELPER, text) in helper_lines, (text, sorted(helper_lines))


# -- (d) other sys.monitoring tools (3.12+) ----------------------------------------------------


class _ToolIds:
    """Tool ids a test takes; each is given back afterwards."""

    def __init__(self):
        self.held = []

    def __call__(self, tool, name="modtrace-test"):
        sys.monitoring.use_tool_id(tool, name)
        self.held.append(tool)

    def release(self):
        mon = sys.monitoring
        for tool in self.held:
            if mon.get_tool(tool) is not None:
                mon.set_events(tool, 0)
                for event in (mon.events.PY_START, mon.events.LINE):
                    mon.register_callback(tool, event, None)
                mon.free_tool_id(tool)


@pytest.fixture
def held_tool_ids():
    ids = _ToolIds()
    try:
        yield ids
    finally:
        ids.release()


def _tools():
    return [sys.monitoring.get_tool(i) for i in range(6)]


@needs_monitoring
@pytest.mark.parametrize("free", [0, 2, 4, 5])
def test_takes_the_one_free_tool_id(lib, held_tool_ids, free):
    if sys.monitoring.get_tool(free) is not None:
        pytest.skip(f"tool id {free} is held by the environment")  # e.g. coverage.py measuring the tests
    for tool in range(6):
        if tool != free and sys.monitoring.get_tool(tool) is None:
            held_tool_ids(tool)
    before = _tools()
    seen = []

    def traced():
        seen.append(_tools())
        return lib.work(2)

    t = modtrace.trace(traced)
    assert seen[0][free] == "modtrace"
    assert [name for i, name in enumerate(seen[0]) if i != free] == [n for i, n in enumerate(before) if i != free]
    assert t.meta["backend"] == "monitoring"
    assert t.names() == sorted(["builtins", __name__, lib.__name__])
    assert _tools() == before  # given back, and nothing else freed


@needs_monitoring
def test_all_tool_ids_taken_falls_back_to_the_profile_hook(lib, held_tool_ids):
    for tool in range(6):
        if sys.monitoring.get_tool(tool) is None:
            held_tool_ids(tool)
    before = _tools()
    assert None not in before

    t = modtrace.trace(lib.work, [(2,)])

    assert t.meta["backend"].startswith("profile")
    assert t.names() == [lib.__name__]
    assert _tools() == before  # nothing freed, nothing taken
    assert sys.getprofile() is None
    # With a tool id free again, monitoring is used again.
    if held_tool_ids.held:
        sys.monitoring.free_tool_id(held_tool_ids.held[-1])
        t2 = modtrace.trace(lib.work, [(2,)])
        assert t2.meta["backend"] == "monitoring"
        assert t2.names() == t.names()


@needs_monitoring
def test_another_tool_with_disabled_events_keeps_working(lib, held_tool_ids):
    mon = sys.monitoring
    tool = next((i for i in (5, 4, 3, 2, 1, 0) if mon.get_tool(i) is None), None)
    if tool is None:
        pytest.skip("no free tool id")
    held_tool_ids(tool, "other-tool")
    seen = []

    def on_start(code, offset):
        seen.append(code.co_name)
        return mon.DISABLE

    mon.register_callback(tool, mon.events.PY_START, on_start)
    mon.set_events(tool, mon.events.PY_START)
    local_code = _inside_marker.__code__
    mon.set_local_events(tool, local_code, mon.events.LINE)
    lines = []
    mon.register_callback(tool, mon.events.LINE, lambda code, line: lines.append(line))

    _after_marker()
    _after_marker()
    assert seen.count("_after_marker") == 1  # disabled after its first call

    t = modtrace.trace(lib.work, [(2,)])

    # modtrace's trace is whole: its own disabled locations are per tool.
    assert t.names() == [lib.__name__]
    # The other tool still holds its id, its events and its callbacks ...
    assert mon.get_tool(tool) == "other-tool"
    assert mon.get_events(tool) == mon.events.PY_START
    assert mon.get_local_events(tool, local_code) == mon.events.LINE
    # ... sees new code, and its local events ...
    def fresh():
        return 3

    del seen[:], lines[:]
    fresh()
    _inside_marker()
    assert "fresh" in seen
    assert lines, "the other tool's local LINE events stopped"
    # ... and its DISABLE still works.
    count = seen.count("fresh")
    fresh()
    assert seen.count("fresh") == count
    mon.set_local_events(tool, local_code, 0)
    mon.register_callback(tool, mon.events.LINE, None)


@pytest.mark.skipif(MONITORING, reason="3.10/3.11: one profile hook per thread")
def test_a_program_that_takes_the_profile_hook_is_told(lib):
    """If the traced code installs its own profiler in the tracing thread, the
    trace says that it saw nothing there afterwards."""

    def traced():
        prof = cProfile.Profile()
        prof.enable()
        prof.disable()

    t = modtrace.trace(traced)
    assert any("replaced the profile function" in w for w in t.meta["warnings"])
    assert "warnings" not in modtrace.trace(lib.work, [(1,)]).meta


def test_a_thread_running_before_the_trace_is_traced_and_keeps_its_profiler(lib):
    """A thread that was already running (with its own profile function) is
    traced, and has its profile function back afterwards (3.10/3.11: the C hook
    is installed in every thread; 3.12+: sys.monitoring sees every thread)."""
    calls = []

    def prof(frame, event, arg):
        if event == "call":
            calls.append(frame.f_code.co_name)

    go, worked, again, finished = (threading.Event() for _ in range(4))
    result = {}

    def loop():
        sys.setprofile(prof)
        go.wait()
        lib.work(1)
        worked.set()
        again.wait()
        del calls[:]
        _after_marker()
        result["profile"] = sys.getprofile()
        sys.setprofile(None)
        finished.set()

    th = threading.Thread(target=loop)
    th.start()
    with modtrace.Tracer() as tracer:
        go.set()
        assert worked.wait(10)
    again.set()
    assert finished.wait(10)
    th.join()
    assert lib.__name__ in tracer.trace
    assert result["profile"] is prof
    assert "_after_marker" in calls
