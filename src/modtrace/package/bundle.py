"""``modtrace bundle``: a zipapp that runs with nothing more than what was used.

The bundle (``APP.pyz``) holds

* the sources of the interned modules (the needed first-party modules, the
  entry point's own code as ``__main__.py``, or a ``__main__.py`` that runs
  ``-m MODULE`` as ``python -m`` does);
* a stub for each mocked module (it imports cleanly; anything used from it
  fails with :class:`ModuleLeftOutError`, naming the module);
* ``_modtrace_bundle.py``, the stubs' support, and ``modtrace-bundle.json``,
  what is in the bundle and why.

Beside it, ``APP.requirements.txt`` pins the extern distributions.

A plan is a hypothesis; running the bundle proves it. Before the final bundle
is written, :func:`build` verifies a bundle made of the same plan: it re-runs
every traced command against it, under modtrace, with stubs that note any
access and then load the real module, and a guard that notes every module the
bundle lacks. What the verification runs used is added to the plan (a mock
whose data was read, or whose code ran, becomes needed; a module the bundle
lacked becomes needed or a mock) and the verification is repeated until the
plan holds.
"""

import json
import os
import sys
import zipfile

from ..classify import STDLIB, THIRD_PARTY, Environment
from .plan import PlanError, entry_module_name, make_plan

#: The name of the support module inside a bundle.
SUPPORT = "_modtrace_bundle"
MANIFEST = "modtrace-bundle.json"
#: Verification rounds before giving up on a plan that keeps changing.
MAX_ROUNDS = 4
#: Fixed time stamp of the zip entries: the same plan gives the same bytes.
_DATE = (1980, 1, 1, 0, 0, 0)


class BundleError(PlanError):
    """The bundle cannot be made; the message is one line."""


class Result:
    """What :func:`build` made: the plan, the paths written, the verification."""

    def __init__(self, plan, path, requirements, rounds, runs, warnings):
        self.plan = plan
        self.path = path
        self.requirements = requirements
        #: how many verification rounds ran (0: not verified)
        self.rounds = rounds
        #: the last round's runs: [{"argv", "status", "expected", "stderr"}]
        self.runs = runs
        #: one-line warnings (a verification run that did not behave as traced)
        self.warnings = warnings


def requirements_path(output):
    """``APP.pyz`` -> ``APP.requirements.txt``."""
    base = output[:-4] if output.endswith(".pyz") else output
    return base + ".requirements.txt"


def check_entries(plan):
    """The one entry point of the plan's runs; :class:`BundleError` unless all
    runs ran the same script or ``-m`` module."""
    entries = plan.entries
    if not entries:
        raise BundleError("the traces do not say which program they ran")
    first = entries[0]
    for e in entries[1:]:
        if not first.same_program(e):
            raise BundleError(
                f"the traces ran different programs ({first.describe()} and {e.describe()}): "
                "a bundle has one entry point"
            )
    if first.kind not in ("script", "module"):
        what = f"a {first.kind}" if first.kind else "code that `modtrace run` did not run"
        raise BundleError(f"a bundle needs traces of `modtrace run` (a script or -m MODULE), these are of {what}")
    if first.kind == "script" and not first.file:
        raise BundleError("the traces do not name the file of the script they ran")
    return first


# -- writing -------------------------------------------------------------------------------------


def _arcname(name, file):
    """Where module ``name`` from ``file`` goes in the zip."""
    parts = name.split(".")
    base = os.path.basename(file)
    if base.startswith("__init__."):
        parts = parts + ["__init__"]
    ext = ".pyc" if file.endswith((".pyc", ".pyo")) else ".py"
    return "/".join(parts) + ext


def _is_extension(file):
    return file.endswith((".so", ".pyd", ".dll", ".dylib"))


def contents(plan, verify=None):
    """The files of the bundle of ``plan``: ``{arcname: bytes}``. ``verify``:
    the verification settings (a dict) for a verification bundle, else None."""
    entry = check_entries(plan)
    files = {}
    entry_name = entry_module_name(entry)
    for name in plan.intern():
        file = plan.files.get(name)
        if name == "__main__":
            if entry.kind == "script":
                files["__main__.py"] = _read(file, name)
                continue
            name = entry_name
        if not file:
            continue  # a namespace package: the zip's directories make it
        if _is_extension(file):
            raise BundleError(f"{name} is a compiled extension ({file}): a zipapp cannot hold it")
        files[_arcname(name, file)] = _read(file, name)
    if entry.kind == "module":
        run_as = entry.module
        files["__main__.py"] = (
            "# Runs the program's entry point as `python -m %s` did.\n"
            "import runpy\n"
            "runpy.run_module(%r, run_name=\"__main__\", alter_sys=True)\n" % (run_as, run_as)
        ).encode()
    packages = {n.rpartition(".")[0] for n in list(plan.needed) + list(plan.mock)}
    for name in plan.mocks():
        file = plan.files.get(name) or ""
        is_package = os.path.basename(file).startswith("__init__.") or (not file and name in packages)
        arc = "/".join(name.split(".")) + ("/__init__.py" if is_package else ".py")
        if arc in files:
            continue
        files[arc] = (
            f"# {name}: left out by modtrace -- the traced runs imported it but never used it.\n"
            f"# Using anything of it fails with an error that says so.\n"
            f"import {SUPPORT}\n"
            f"{SUPPORT}.stub(__name__)\n"
        ).encode()
    files[SUPPORT + ".py"] = _support_source(verify)
    files[MANIFEST] = (json.dumps(manifest(plan, entry), separators=(",", ":")) + "\n").encode()
    return files


def manifest(plan, entry):
    from .. import __version__

    return {
        "schema": "modtrace.bundle/1",
        "modtrace": __version__,
        "python": plan.python,
        "entry": entry.to_dict(),
        "intern": plan.intern(),
        "mock": {n: plan.mock[n].describe() for n in plan.mocks()},
        "requirements": plan.requirements(),
    }


def _read(file, name):
    if not file:
        raise BundleError(f"the traces do not name the file of {name}")
    try:
        with open(file, "rb") as f:
            return f.read()
    except OSError as exc:
        raise BundleError(f"can't read the source of {name} ({file}): {exc.strerror or exc}") from None


def _support_source(verify):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "_support.py"), encoding="utf-8") as f:
        text = f.read()
    if verify is not None:
        import re

        text = re.sub(r"(?m)^_VERIFY = None\b.*$", lambda m: "_VERIFY = %r" % (verify,), text, count=1)
    else:
        cut = text.find(_VERIFY_MARK)
        if cut > 0:
            text = text[:cut].rstrip() + "\n"
    return text.encode("utf-8")


_VERIFY_MARK = "# -- verification (cut from final bundles)"


def write_zip(path, files, shebang="/usr/bin/env python3"):
    """Write ``files`` as a zipapp at ``path`` (atomically, executable)."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".modtrace-", suffix=".pyz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(b"#!" + shebang.encode() + b"\n")
            # directory entries too: zipimport finds a namespace package (a
            # directory without __init__.py) only by its entry
            dirs = {arc.rsplit("/", i)[0] + "/" for arc in files for i in range(1, arc.count("/") + 1)}
            with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
                for arc in sorted(dirs):
                    info = zipfile.ZipInfo(arc, _DATE)
                    info.external_attr = (0o40755 << 16) | 0x10
                    zf.writestr(info, b"")
                for arc in sorted(files):
                    info = zipfile.ZipInfo(arc, _DATE)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    zf.writestr(info, files[arc])
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def requirements_text(plan, output):
    entry = plan.entry
    runs = len(plan.entries)
    lines = [
        f"# The third-party distributions that {os.path.basename(output)} needs: those the "
        f"{runs} traced run{'s' if runs != 1 else ''} of {entry.describe()} used, pinned to the versions traced.",
        "# Made by `modtrace bundle`. Install them with: pip install -r " + os.path.basename(requirements_path(output)),
    ]
    reqs = plan.requirements()
    lines.extend(reqs)
    if not reqs:
        lines.append("# (none: the standard library is enough)")
    return "\n".join(lines) + "\n"


# -- verification ---------------------------------------------------------------------------


def _verify_settings(plan, zip_path):
    env = Environment()
    extern = plan.extern_names()
    tops = set()
    for name, info in plan.infos.items():
        if info.kind == THIRD_PARTY and info.distribution and info.distribution["name"].lower() in extern:
            tops.add(name.partition(".")[0])
    from .closure import roots_of

    roots = [r for r in roots_of(plan.trace, []) if not any(_under(r, d) for d in env.site_dirs())]
    entry = plan.entry
    if entry.kind == "script" and entry.file:
        roots.insert(0, os.path.dirname(os.path.abspath(entry.file)))
    origins = {n: plan.files[n] for n in plan.mocks() if plan.files.get(n)}
    return {
        "zip": os.path.abspath(zip_path),
        "origins": origins,
        "roots": [r for i, r in enumerate(roots) if r not in roots[:i] and not _is_std(r, env)],
        "extern_tops": sorted(tops),
        "stdlib_dirs": env.stdlib_dirs(),
        "site_dirs": env.site_dirs(),
    }


def _under(path, directory):
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _is_std(path, env):
    real = os.path.realpath(path)
    return any(_under(real, d) for d in env.stdlib_dirs()) and not any(_under(real, d) for d in env.site_dirs())


_BOOT = """\
# modtrace: run a verification bundle as `python BUNDLE.pyz` would.
import sys
bundle = %r
sys.path[0] = bundle
sys.argv[0] = bundle
import _modtrace_bundle
_modtrace_bundle.start_verification()
import runpy
runpy.run_path(bundle, run_name="__main__")
"""


def verify_once(plan, workdir, cwd, timeout):
    """One verification round: build a verification bundle of ``plan`` in
    ``workdir`` and run every traced command against it. Returns ``(traces,
    forced, runs)``: the reports of the runs, the modules to promote, and
    ``[{"argv", "status", "expected", "stderr"}]``."""
    import subprocess

    from ..report import Report, ReportError

    zip_path = os.path.join(workdir, "verify.pyz")
    write_zip(zip_path, contents(plan, _verify_settings(plan, zip_path)))
    boot = os.path.join(workdir, "verify_boot.py")
    with open(boot, "w", encoding="utf-8") as f:
        f.write(_BOOT % zip_path)
    record = os.path.join(workdir, "record.txt")
    traces, runs = [], []
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["MODTRACE_BUNDLE_RECORD"] = record
    env["PYTHONPATH"] = os.pathsep.join([p for p in [env.get("PYTHONPATH"), here] if p])
    for key in ("PYTHONSTARTUP", "PYTHONINSPECT"):
        env.pop(key, None)
    for i, (entry, expected) in enumerate(_runs(plan)):
        out = os.path.join(workdir, f"run{i}.json")
        cmd = [sys.executable, "-m", "modtrace", "run", "-o", out, "--report", os.devnull, boot, *entry.argv]
        try:
            proc = subprocess.run(
                cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout
            )
            status = proc.returncode
            stderr = proc.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            status, stderr = None, f"timed out after {timeout} s"
        runs.append({"argv": entry.argv, "status": status, "expected": expected, "stderr": stderr})
        try:
            traces.append(Report.load(out))
        except ReportError:
            pass
    forced, missing = set(), set()
    try:
        with open(record, encoding="utf-8") as f:
            lines = f.read().splitlines()
        os.unlink(record)
    except OSError:
        lines = []
    for line in lines:
        fields = line.split("\t")
        if fields[0] == "fetch" and len(fields) == 4 and fields[3] == "data":
            forced.add(fields[1])
        elif fields[0] == "subclassed" and len(fields) >= 2:
            forced.add(fields[1])
        elif fields[0] == "missing" and len(fields) >= 2:
            missing.add(fields[1])
    for run in runs:
        run["missing"] = sorted(missing)
    return traces, forced, runs


def _runs(plan):
    """``[(Entry, expected exit status)]`` of the traced runs."""
    return list(zip(plan.entries, plan.exit_statuses))


def _without_stdlib(report):
    """The trace of a verification run without the standard library's modules:
    Python provides them anyway, and part of their use there was the
    verification's own machinery."""
    trace = report.trace.copy()
    for name in list(trace.modules):
        if report.info(name).kind == STDLIB:
            del trace.modules[name]
    return trace


def _signature(plan):
    return (frozenset(plan.needed), frozenset(plan.mock))


def verify(reports, plan, cwd=None, timeout=300, log=None):
    """Prove ``plan`` (made of ``reports``) by running the traced commands
    against a verification bundle, and promote what those runs used; repeat
    until the plan holds. Returns ``(plan, rounds, runs, warnings)``."""
    import tempfile

    log = log or (lambda message: None)
    check_entries(plan)
    rounds, runs, warnings = 0, [], []
    extra, forced = [], set()
    cwd = cwd or os.getcwd()
    with tempfile.TemporaryDirectory(prefix="modtrace-verify-") as workdir:
        while True:
            rounds += 1
            log(f"verifying the plan (round {rounds}): running {len(plan.entries)} traced command(s) against a bundle")
            traces, more, runs = verify_once(plan, workdir, cwd, timeout)
            extra.extend(_without_stdlib(r) for r in traces)
            forced |= more
            new = make_plan(reports, closure=plan.closure or False, extra=extra, force_needed=forced, timeout=timeout)
            if _signature(new) == _signature(plan):
                plan = new
                break
            promoted = sorted(set(new.needed) - set(plan.needed))
            mocked = sorted(set(new.mock) - set(plan.mock))
            if promoted:
                log("promoted to needed: " + ", ".join(promoted))
            if mocked:
                log("now mocked: " + ", ".join(mocked))
            plan = new
            if rounds >= MAX_ROUNDS:
                warnings.append(f"the plan still changed after {rounds} verification rounds; it may be incomplete")
                break
    lacking = sorted({m for run in runs for m in run.get("missing", ()) if m in plan.needed and plan.is_interned_kind(m)})
    if lacking:
        warnings.append(
            "the bundle could not provide " + ", ".join(lacking) + ": the verification runs loaded them from where they were traced"
        )
    for run in runs:
        if run["expected"] is not None and run["status"] != run["expected"]:
            tail = " | ".join(run["stderr"].strip().splitlines()[-3:])
            warnings.append(
                f"the bundle run with arguments {run['argv']} exited with status {run['status']}, "
                f"the traced run with {run['expected']}{': ' + tail if tail else ''}"
            )
    plan.verified = rounds
    return plan, rounds, runs, warnings


def build(reports, output, verify_runs=True, cwd=None, timeout=300, closure=True, log=None):
    """Plan, verify and write the bundle of ``reports`` to ``output``; a :class:`Result`."""
    plan = make_plan(reports, closure=closure, timeout=timeout)
    check_entries(plan)
    contents(plan)  # fail early on what cannot be bundled
    rounds, runs, warnings = 0, [], []
    if verify_runs:
        plan, rounds, runs, warnings = verify(reports, plan, cwd=cwd, timeout=timeout, log=log)
    write_zip(output, contents(plan))
    req = requirements_path(output)
    from ..trace import write_atomic

    write_atomic(req, requirements_text(plan, output))
    _readable(req)
    return Result(plan, output, req, rounds, runs, warnings)


def _readable(path):
    """Give a written file the permissions the umask allows (a temporary file
    is made private)."""
    mask = os.umask(0)
    os.umask(mask)
    try:
        os.chmod(path, 0o666 & ~mask)
    except OSError:
        pass
