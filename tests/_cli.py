"""Helpers of the command-line tests: run ``python -m modtrace`` and plain
``python`` in subprocesses."""

import json
import os
import subprocess
import sys
from pathlib import Path

PROGRAMS = Path(__file__).resolve().parent / "programs"
ROOT = Path(__file__).resolve().parent.parent


def _env(extra=None):
    env = dict(os.environ)
    for key in ("PYTHONSTARTUP", "PYTHONINSPECT", "COVERAGE_PROCESS_START", "PYTHONSAFEPATH"):
        env.pop(key, None)
    env["PYTHONIOENCODING"] = "utf-8"
    if extra:
        env.update(extra)
    return env


def python(*args, cwd=PROGRAMS, input=None, env=None, timeout=300):
    """Run ``python ARGS``; a CompletedProcess with text stdout and stderr."""
    return subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=str(cwd),
        input=input,
        capture_output=True,
        text=True,
        env=_env(env),
        timeout=timeout,
    )


def modtrace(*args, **kwargs):
    """Run ``python -m modtrace ARGS``."""
    return python("-m", "modtrace", *args, **kwargs)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def modules(doc):
    """name -> module entry of a saved trace."""
    return {m["name"]: m for m in doc["modules"]}


def one_error_line(proc):
    """The stderr of a modtrace that refused its input: one line, no traceback."""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("modtrace: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]
