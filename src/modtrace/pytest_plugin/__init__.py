"""modtrace's pytest plugin: which modules each test uses.

Registered through the ``pytest11`` entry point, so pytest loads it wherever
modtrace is installed; it does nothing unless asked::

    pytest --modtrace=trace.json [--modtrace-subprocesses]

The file is the trace ``modtrace run -o`` writes (every module the session
used, with kind and distribution) plus ``"tests"``: each test's node id, as
pytest prints it, mapped to the sorted names of the modules that test used
during its setup, call and teardown. See :mod:`modtrace.pytest_plugin.session`.

Until ``--modtrace`` is given this module defines two hooks and imports
nothing else.
"""


def pytest_addoption(parser):
    group = parser.getgroup("modtrace", "modtrace: which modules each test uses")
    group.addoption(
        "--modtrace",
        metavar="FILE",
        default=None,
        help="trace the modules the session and each test use; write the trace (JSON) to FILE",
    )
    group.addoption(
        "--modtrace-subprocesses",
        action="store_true",
        default=False,
        help="with --modtrace: also trace the Python processes the tests start "
        "(subprocess, os.exec*, multiprocessing) and count what they use for the test that started them",
    )


def pytest_configure(config):
    path = config.getoption("modtrace", None)
    if not path:
        if config.getoption("modtrace_subprocesses", False):
            raise _usage_error(config, "--modtrace-subprocesses needs --modtrace=FILE")
        return
    from .session import ModtracePlugin

    plugin = ModtracePlugin(config, path)
    config.pluginmanager.register(plugin, "modtrace-session")
    plugin.start()


def _usage_error(config, message):
    import pytest

    return pytest.UsageError(message)
