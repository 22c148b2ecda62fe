"""Support of the packaging tests (plan, bundle, why, check): the sample
application under ``tests/apps/``, the tiny third-party distributions it uses
(built into wheels here, by hand: no network, no build backend), and venvs.

Building the environment is shared by every packaging test module of one
pytest process (:func:`app_env`): one venv holding the application's
dependencies, in which the application is traced.
"""

import atexit
import base64
import csv
import functools
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

APPS = Path(__file__).resolve().parent / "apps"

#: The test distributions: source directory under apps/dists -> (metadata name,
#: version, top-level entries, Requires-Dist).
DISTS = {
    "tablefmt": ("MT-TableFmt", "1.2.0", ["tablefmt"], ["mt-palette>=0.1"]),
    "palette": ("mt-palette", "0.1.0", ["palette.py"], []),
    "sheetwriter": ("sheetwriter", "0.3.1", ["sheetwriter"], []),
}


def _env(extra=None):
    env = dict(os.environ)
    for key in ("PYTHONSTARTUP", "PYTHONINSPECT", "COVERAGE_PROCESS_START", "PYTHONSAFEPATH", "PYTHONPATH", "PYTHONHOME"):
        env.pop(key, None)
    env["PYTHONIOENCODING"] = "utf-8"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    if extra:
        env.update(extra)
    return env


def run(args, cwd=None, env=None, timeout=300, input=None):
    return subprocess.run(
        [str(a) for a in args],
        cwd=None if cwd is None else str(cwd),
        capture_output=True,
        text=True,
        env=_env(env),
        timeout=timeout,
        input=input,
    )


def _record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def build_wheel(source, name, version, tops, requires, dest):
    """Write a pure-Python wheel of the entries ``tops`` of directory ``source``."""
    stem = f"{name.replace('-', '_')}-{version}"
    path = Path(dest) / f"{stem}-py3-none-any.whl"
    files = []
    for top in tops:
        entry = Path(source) / top
        if entry.is_dir():
            for f in sorted(entry.rglob("*.py")):
                files.append((f.relative_to(source).as_posix(), f.read_bytes()))
        else:
            files.append((top, entry.read_bytes()))
    info = f"{stem}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    files.append((f"{info}/METADATA", metadata.encode()))
    files.append((f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: modtrace-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for arc, data in files:
        writer.writerow([arc, _record_hash(data), len(data)])
    writer.writerow([f"{info}/RECORD", "", ""])
    files.append((f"{info}/RECORD", out.getvalue().encode()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, data in files:
            zf.writestr(arc, data)
    return path


def make_venv(path):
    """A venv without pip (fast); install into it with :func:`pip_install`."""
    proc = run([sys.executable, "-m", "venv", "--without-pip", path])
    assert proc.returncode == 0, proc.stderr
    bindir = "Scripts" if os.name == "nt" else "bin"
    return Path(path) / bindir / ("python.exe" if os.name == "nt" else "python")


def pip_install(python, wheels, *args):
    """Install into the venv of ``python`` with this interpreter's pip, from the
    local wheels only."""
    proc = run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-index", "--find-links", wheels, *args]
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def site_packages(python):
    proc = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    assert proc.returncode == 0, proc.stderr
    return Path(proc.stdout.strip())


def installed(python):
    """The normalized names of the distributions installed in ``python``'s venv."""
    code = "import importlib.metadata as m; print('\\n'.join(sorted({d.metadata['Name'].lower() for d in m.distributions()})))"
    proc = run([python, "-c", code])
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


class AppEnv:
    """A venv with the application's dependencies and modtrace, a copy of the
    application, and the wheels."""

    def __init__(self, root):
        self.root = Path(root)
        self.wheels = self.root / "wheels"
        self.app = self.root / "reportapp"
        self.python = None

    def modtrace(self, *args, cwd=None, **kwargs):
        return run([self.python, "-m", "modtrace", *args], cwd=cwd or self.app, **kwargs)

    def trace(self, name, *program):
        """Trace ``program`` (arguments of ``modtrace run``) in the app directory;
        the path of the saved trace."""
        out = self.root / "traces" / f"{name}.json"
        out.parent.mkdir(exist_ok=True)
        if not out.exists():
            proc = self.modtrace("run", "-o", out, *program)
            assert proc.returncode == 0, proc.stderr
            out.with_suffix(".stdout").write_text(proc.stdout)
        return out

    def output_of(self, name):
        return (self.root / "traces" / f"{name}.stdout").read_text()


_CLEANUP = []


@atexit.register
def _cleanup():
    if os.environ.get("MODTRACE_TEST_KEEP"):  # to look at them after a failure
        return
    for path in _CLEANUP:
        shutil.rmtree(path, ignore_errors=True)


def scratch(prefix):
    path = tempfile.mkdtemp(prefix=prefix)
    _CLEANUP.append(path)
    return Path(path)


@functools.lru_cache(maxsize=None)
def app_env():
    """The shared :class:`AppEnv` (built once per pytest process)."""
    import modtrace

    env = AppEnv(scratch("modtrace-app-"))
    env.wheels.mkdir()
    for directory, (name, version, tops, requires) in DISTS.items():
        build_wheel(APPS / "dists" / directory, name, version, tops, requires, env.wheels)
    shutil.copytree(APPS / "reportapp", env.app, ignore=shutil.ignore_patterns("__pycache__"))
    env.python = make_venv(env.root / "venv")
    pip_install(env.python, env.wheels, "MT-TableFmt", "sheetwriter")
    # modtrace itself, as it is being tested (a directory holding only it)
    own = env.root / "modtrace-src"
    own.mkdir()
    os.symlink(Path(modtrace.__file__).resolve().parent, own / "modtrace")
    if sys.version_info < (3, 11):  # modtrace check reads pyproject.toml with tomli there
        import tomli

        os.symlink(Path(tomli.__file__).resolve().parent, own / "tomli")
    (site_packages(env.python) / "modtrace-under-test.pth").write_text(str(own) + "\n")
    return env


def source_size(directory):
    """Total size in bytes of the ``.py`` files under ``directory``."""
    return sum(p.stat().st_size for p in Path(directory).rglob("*.py"))
