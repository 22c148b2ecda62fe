"""The active part of the pytest plugin (loaded only with ``--modtrace``).

One :class:`~modtrace.Tracer` runs from ``pytest_configure`` to the end of the
session: it sees everything the session used (collection, the tests, pytest
itself). Each test gets its own nested tracer from the start of its setup to
the end of its teardown; a nested tracer sees everything again, so a module
that an earlier test used already is still seen in the next test that uses it.
Modules imported while collecting belong to no test.

Fixtures of a wider scope than ``function`` run once, during the setup of the
first test that needs them. What their setup used is counted for every test
that uses them, so a test's modules do not depend on which test happened to
run first (with pytest-xdist, on which worker).

The per-test lists leave out the test runner's own modules (:data:`RUNNER`):
pytest runs them around every test. The session's module list has them.

pytest-xdist: each worker traces its tests and hands its part to the
controller through ``workeroutput``; the controller, which runs no test,
merges the parts (``pytest_testnodedown``) and writes the file.

``--modtrace-subprocesses``: a :class:`~modtrace.subproc.Follower` runs for the
whole session (in the controller under xdist). While a test runs,
``MODTRACE_SUBPROCESS_TAG`` holds its node id, so each child process is
counted for the test that started it, and its modules added to the session's.
"""

import json
import os
import sys

import pytest

from .. import Tracer
from ..trace import Trace
from .. import testmap

#: Top-level packages of the test runner, left out of the per-test lists.
RUNNER = frozenset({"_pytest", "pytest", "pluggy", "xdist", "execnet"})

#: The key of the worker's part in xdist's ``workeroutput``.
WORKER_KEY = "modtrace"


def is_runner_module(name):
    return name.partition(".")[0] in RUNNER


def test_modules(trace):
    """The names a test's trace lists for the test: all but the runner's."""
    return [n for n in trace.names() if not is_runner_module(n)]


class ModtracePlugin:
    def __init__(self, config, path):
        self.config = config
        self.path = os.path.abspath(path)
        self.subprocesses = bool(config.getoption("modtrace_subprocesses", False))
        self.worker = hasattr(config, "workerinput")
        self.controller = not self.worker and getattr(config.option, "dist", "no") not in ("no", None)
        #: node id -> set of module names
        self.tests = {}
        #: id(fixturedef) -> (fixturedef, set of module names its setup used)
        self.fixtures = {}
        self.session_tracer = None
        self.test_tracer = None
        self.current = None
        self.follower = None
        self.parts = []  # (controller) what the workers sent
        self.trace = None
        self.written = False

    # -- the session -----------------------------------------------------------------------
    def start(self):
        if not self.worker:
            _check_writable(self.path)
        if self.worker:
            # A worker started while children are followed traces itself here:
            # its start-up trace would count everything twice.
            from .. import subproc

            this = subproc.this_process()
            if this is not None:
                this.discard()
        elif self.subprocesses:
            from ..subproc import Follower

            self.follower = Follower().start()
        if not self.controller:
            self.session_tracer = Tracer().start()

    def _stop_tracers(self):
        self._end_test()
        tracer, self.session_tracer = self.session_tracer, None
        if tracer is not None and tracer.active:
            return tracer.stop()
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        trace = self._stop_tracers()
        if self.worker:
            if trace is not None:
                part = {"trace": trace.to_dict(), "tests": _sorted_tests(self.tests),
                        "loaded_unused": _loaded_unused(trace)}
                self.config.workeroutput[WORKER_KEY] = json.dumps(part)
            return
        if self.controller:
            trace = Trace()
            unused = set()
            for part in self.parts:
                trace.update(Trace.from_dict(part["trace"]))
                testmap.merge_tests(self.tests, part["tests"])
                unused.update(part.get("loaded_unused") or ())
            trace.extra["loaded_unused"] = sorted(unused - set(trace.modules))
            from .. import tracer as _tracer

            trace.meta.update(_tracer._meta())
        else:
            trace.extra["loaded_unused"] = _loaded_unused(trace)
        if self.follower is not None:
            follower, self.follower = self.follower, None
            follower.stop()
            children = follower.children()
            from ..subproc import merge_children

            merge_children(trace, children)
            for child in children:
                tag = child.extra["process"].get("tag")
                if isinstance(tag, str) and tag:
                    self.tests.setdefault(tag, set()).update(test_modules(child))
        self._write(trace, int(exitstatus))

    def _write(self, trace, exitstatus):
        from ..report import Report, ReportError

        args = [str(a) for a in self.config.invocation_params.args]
        trace.meta["program"] = {"kind": "pytest", "argv": ["pytest", *args]}
        trace.meta["command"] = ["pytest", *args]
        trace.meta["exit_status"] = exitstatus
        trace.extra["tests"] = _sorted_tests(self.tests)
        self.trace = trace
        try:
            Report(trace).save(self.path)
            self.written = True
        except ReportError as exc:
            self.error = str(exc)

    def pytest_terminal_summary(self, terminalreporter):
        if self.worker or self.trace is None:
            return
        if self.written:
            n, t = len(self.trace), len(self.tests)
            terminalreporter.write_line(
                f"modtrace: {n} module{'s' if n != 1 else ''} used, {t} test{'s' if t != 1 else ''} traced; "
                f"trace written to {self.path}"
            )
        else:
            terminalreporter.write_line(f"modtrace: error: {getattr(self, 'error', 'trace not written')}", red=True)

    def pytest_unconfigure(self, config):
        self._stop_tracers()
        if self.follower is not None:
            self.follower.stop()
            self.follower = None

    # -- xdist (controller) ---------------------------------------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        output = getattr(node, "workeroutput", None) or {}
        text = output.get(WORKER_KEY)
        if isinstance(text, str):
            self.parts.append(json.loads(text))

    # -- each test ---------------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item):
        self._begin_test(item)
        yield

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item, nextitem):
        yield
        self._end_test()

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_fixture_setup(self, fixturedef, request):
        if self.test_tracer is None or fixturedef.scope == "function":
            yield
            return
        tracer = Tracer(light=True).start()
        try:
            yield
        finally:
            used = test_modules(tracer.stop())
            entry = self.fixtures.get(id(fixturedef))
            if entry is None or entry[0] is not fixturedef:
                entry = self.fixtures[id(fixturedef)] = (fixturedef, set())
            entry[1].update(used)

    def _begin_test(self, item):
        if self.session_tracer is None:
            return
        self._end_test()
        self.current = item
        if self.subprocesses:
            from ..subproc import ENV_TAG

            os.environ[ENV_TAG] = item.nodeid
        self.test_tracer = Tracer(light=True).start()

    def _end_test(self):
        tracer, self.test_tracer = self.test_tracer, None
        item, self.current = self.current, None
        if tracer is None:
            return
        if self.subprocesses:
            from ..subproc import ENV_TAG

            os.environ.pop(ENV_TAG, None)
        names = self.tests.setdefault(item.nodeid, set())
        names.update(test_modules(tracer.stop()))
        for fixturedef in _fixturedefs(item):
            entry = self.fixtures.get(id(fixturedef))
            if entry is not None and entry[0] is fixturedef:
                names.update(entry[1])


def _fixturedefs(item):
    """The fixture definitions ``item`` uses (pytest's own bookkeeping; nothing
    when a pytest version keeps it elsewhere)."""
    try:
        name2defs = item._fixtureinfo.name2fixturedefs
        out = []
        for name in item.fixturenames:
            defs = name2defs.get(name)
            if defs:
                out.append(defs[-1])
        return out
    except Exception:
        return []


def _sorted_tests(tests):
    return {nodeid: sorted(tests[nodeid]) for nodeid in sorted(tests)}


def _loaded_unused(trace):
    out = []
    for name, mod in list(sys.modules.items()):
        if mod is None or name in trace.modules or name == "modtrace" or name.startswith("modtrace."):
            continue
        out.append(name)
    return sorted(out)


def _check_writable(path):
    parent = os.path.dirname(path)
    if os.path.isdir(path):
        raise pytest.UsageError(f"--modtrace: {path} is a directory")
    if not os.path.isdir(parent):
        raise pytest.UsageError(f"--modtrace: no directory {parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise pytest.UsageError(f"--modtrace: can't write to {parent}: permission denied")
