"""Helpers of the plugin and process-tree tests: write a small project and run
python or pytest on it in a subprocess."""

import json
import os
import subprocess
import sys
import textwrap


def write(root, files):
    """Write ``{relative path: source}`` under ``root`` (dedented)."""
    for rel, source in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


def env(extra=None):
    out = dict(os.environ)
    for key in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONSTARTUP", "COVERAGE_PROCESS_START",
                "MODTRACE_SUBPROCESS_DIRS", "MODTRACE_SUBPROCESS_TAG", "PYTEST_XDIST_AUTO_NUM_WORKERS"):
        out.pop(key, None)
    out["PYTHONIOENCODING"] = "utf-8"
    out["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra:
        out.update(extra)
    return out


def run(args, cwd, timeout=120, extra_env=None):
    return subprocess.run(
        [sys.executable, *map(str, args)], cwd=str(cwd), capture_output=True, text=True,
        env=env(extra_env), timeout=timeout,
    )


def pytest(root, *args, timeout=120, extra_env=None):
    """``python -m pytest -q -p no:cacheprovider ARGS`` in ``root``."""
    return run(["-m", "pytest", "-q", "-p", "no:cacheprovider", *args], root, timeout, extra_env)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def ours(tests, prefix):
    """The per-test map restricted to modules under ``prefix``."""
    return {t: [n for n in names if n == prefix or n.startswith(prefix + ".")] for t, names in tests.items()}
