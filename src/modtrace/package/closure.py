"""The exact import closure of a set of modules.

A trace sees the imports made while it ran. It cannot see imports made before
it started (a module imported by the program before the tracer was switched
on, or by the interpreter at start-up), nor an ``import x`` statement that found
``x`` already in ``sys.modules``. Packaging needs both: a stub must exist for
every module that a shipped module imports.

So :func:`import_closure` imports the modules in a fresh subprocess of this
interpreter, with

* an import recorder: a wrapper of ``builtins.__import__`` (every import
  statement, also of modules already loaded) and a finder at the front of
  ``sys.meta_path`` (first imports by any route, ``importlib.import_module``
  included), each noting who imported what, at which file and line;
* a :class:`modtrace.Tracer` around the imports, for what each module's import
  uses (a decorator from another module called while it is imported).

Nothing of the caller's process is touched. The subprocess writes its findings
as JSON; :class:`Closure` holds them.
"""

import os
import sys

from ..trace import RUN_TIME, Trace

#: Module names whose frames are the import machinery, skipped when looking
#: for the frame that asked for an import.
_MACHINERY = frozenset(
    {
        "importlib",
        "importlib._bootstrap",
        "importlib._bootstrap_external",
        "_frozen_importlib",
        "_frozen_importlib_external",
        "zipimport",
    }
)


class ImportEdge:
    """Module ``importer`` imported ``imported`` at ``file``:``line`` in ``function``."""

    __slots__ = ("importer", "imported", "file", "line", "function")

    def __init__(self, importer, imported, file=None, line=None, function=None):
        self.importer = importer
        self.imported = imported
        self.file = file
        self.line = line
        self.function = function

    def to_list(self):
        return [self.importer, self.imported, self.file, self.line, self.function]

    @classmethod
    def from_list(cls, item):
        return cls(*item[:5])

    def __repr__(self):
        return f"ImportEdge({self.importer} -> {self.imported} at {self.file}:{self.line})"


class Closure:
    """What importing the modules in a fresh interpreter showed."""

    def __init__(self, trace=None, edges=(), errors=None, imported=()):
        #: a :class:`~modtrace.trace.Trace` of the imports: only import-time
        #: contexts are kept (the recorder's own calls are not the program's)
        self.trace = Trace() if trace is None else trace
        #: the :class:`ImportEdge` list, first location of each pair
        self.edges = list(edges)
        #: module name -> one-line error, for the modules that failed to import
        self.errors = dict(errors or {})
        #: the modules asked for
        self.imported = list(imported)


class ClosureError(Exception):
    """The closure subprocess could not run; the message is one line."""


def roots_of(trace, entry_dirs=()):
    """The ``sys.path`` entries under which the trace's modules were found: for
    ``a.b`` from ``/x/a/b.py`` (or ``/x/a/b/__init__.py``), ``/x``."""
    roots = []
    for d in entry_dirs:
        if d and d not in roots:
            roots.append(d)
    for name in trace.names():
        rec = trace[name]
        if name == "__main__" or not rec.file or not os.path.isabs(rec.file):
            continue
        root = root_of(name, rec.file)
        if root and root not in roots:
            roots.append(root)
    return roots


def root_of(name, file):
    """The directory that holds module ``name`` whose file is ``file``, or None."""
    path = os.path.normpath(file)
    parts = name.split(".")
    base = os.path.basename(path)
    directory = os.path.dirname(path)
    stem = base.split(".")[0]
    if stem == "__init__":
        pass  # /x/a/b/__init__.py: the package directory is /x/a/b
    elif stem == parts[-1]:
        parts = parts[:-1]
    else:
        return None
    for part in reversed(parts):
        if os.path.basename(directory) != part:
            return None
        directory = os.path.dirname(directory)
    return directory


def import_closure(modules, roots=(), python=None, timeout=300):
    """Import ``modules`` (in order) in a fresh ``python`` (default: this
    interpreter) with ``roots`` in front of ``sys.path``; a :class:`Closure`."""
    import json
    import subprocess
    import tempfile

    python = python or sys.executable
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory(prefix="modtrace-closure-") as tmp:
        request = os.path.join(tmp, "request.json")
        result = os.path.join(tmp, "result.json")
        with open(request, "w", encoding="utf-8") as f:
            json.dump({"modules": list(modules), "roots": list(roots), "modtrace": here}, f)
        # The modtrace in use is put on the path for the import of the driver
        # only: the imported modules see the path the program saw.
        code = (
            "import sys\n"
            "_p = %r\n"
            "_added = _p not in sys.path\n"
            "if _added: sys.path.append(_p)\n"
            "from modtrace.package.closure import _driver_main\n"
            "if _added: sys.path.remove(_p)\n"
            "_driver_main(%r, %r)\n"
        ) % (here, request, result)
        env = dict(os.environ)
        env.pop("PYTHONSTARTUP", None)
        env.pop("PYTHONINSPECT", None)
        try:
            proc = subprocess.run(
                [python, "-c", code],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=timeout,
                env=env,
                cwd=tmp,
            )
        except subprocess.TimeoutExpired:
            raise ClosureError(f"importing the modules took longer than {timeout} s") from None
        except OSError as exc:
            raise ClosureError(f"can't run {python}: {exc.strerror or exc}") from None
        try:
            with open(result, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            tail = " ".join(proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:])
            raise ClosureError(f"the import subprocess failed (exit status {proc.returncode}){': ' + tail if tail else ''}") from None
    trace = Trace.from_dict(data["trace"])
    _keep_import_contexts(trace)
    edges = [ImportEdge.from_list(e) for e in data["edges"]]
    return Closure(trace, edges, data["errors"], modules)


def _keep_import_contexts(trace):
    """Drop run-time uses from the closure's trace: at run time only the driver
    ran (it called importlib); what each module's import used is kept."""
    for name in list(trace.modules):
        rec = trace.modules[name]
        kinds = rec.contexts.get(RUN_TIME)
        if kinds is not None:
            kinds = kinds & {"imported"}
            if kinds:
                rec.contexts[RUN_TIME] = kinds
            else:
                del rec.contexts[RUN_TIME]
        if not rec.contexts:
            del trace.modules[name]


# -- the subprocess --------------------------------------------------------------------


class _Recorder:
    """Who imports what: an ``__import__`` wrapper and a finder. Installed only
    in the closure subprocess."""

    def __init__(self):
        self.edges = {}  # (importer, imported) -> [file, line, function]
        self.busy = False
        self.on = False
        self.stop_code = None  # the code object of the driver's import call

    # recording
    def note(self, importer, imported, frame):
        if importer == imported or not importer or not imported:
            return
        key = (importer, imported)
        if key in self.edges:
            return
        code = frame.f_code if frame is not None else None
        if code is None:
            self.edges[key] = [None, None, None]
        else:
            self.edges[key] = [code.co_filename, frame.f_lineno, getattr(code, "co_qualname", code.co_name)]

    def statement(self, name, g, fromlist, level, frame):
        if type(g) is not dict:
            return
        importer = g.get("__name__")
        if type(importer) is not str or _own(importer):
            return
        if level:
            package = g.get("__package__")
            if not package:
                package = importer if "__path__" in g else importer.rpartition(".")[0]
            bits = package.rsplit(".", level - 1)
            if len(bits) < level:
                return
            base = bits[0]
            target = f"{base}.{name}" if name else base
        else:
            target = name
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            self.note(importer, ".".join(parts[:i]), frame)
        if fromlist:
            for item in fromlist:
                if type(item) is str and item != "*":
                    sub = f"{target}.{item}"
                    if sub in sys.modules:
                        self.note(importer, sub, frame)

    # the __import__ wrapper
    def wrap(self, real):
        recorder = self

        def __import__(name, globals=None, locals=None, fromlist=(), level=0):
            module = real(name, globals, locals, fromlist, level)
            if recorder.on and not recorder.busy:
                recorder.busy = True
                try:
                    recorder.statement(name, globals, fromlist, level, sys._getframe(1))
                except Exception:
                    pass
                finally:
                    recorder.busy = False
            return module

        return __import__

    # the finder (first imports by any route)
    def find_spec(self, name, path=None, target=None):
        if not self.on or self.busy:
            return None
        self.busy = True
        try:
            f = sys._getframe(1)
            while f is not None:
                if f.f_code is self.stop_code:
                    return None
                g = f.f_globals
                mod = g.get("__name__") if type(g) is dict else None
                if type(mod) is str and (mod in _MACHINERY or _own(mod)):
                    if f.f_code.co_name == "_find_and_load":
                        # an outer import in progress with no Python frame of
                        # its own in between: a compiled module (Cython,
                        # mypyc) importing from its initialization
                        outer = f.f_locals.get("name")
                        if type(outer) is str and outer != name:
                            self.note(outer, name, None)
                            return None
                    f = f.f_back
                    continue
                break
            if f is not None:
                mod = f.f_globals.get("__name__")
                if type(mod) is str:
                    self.note(mod, name, f)
        except Exception:
            pass
        finally:
            self.busy = False
        return None


def _own(name):
    return name == "modtrace" or name.startswith("modtrace.")


class _Finder:
    def __init__(self, recorder):
        self.recorder = recorder

    def find_spec(self, name, path=None, target=None):
        return self.recorder.find_spec(name, path, target)

    def invalidate_caches(self):
        pass


def _import_one(name):
    __import__(name)


def _driver_main(request_path, result_path):
    """The closure subprocess: import the requested modules, write what was seen."""
    import builtins
    import json

    from ..tracer import Tracer

    with open(request_path, encoding="utf-8") as f:
        request = json.load(f)
    # the program's path: its roots in front, no current directory
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]
    sys.path[:0] = [r for r in request["roots"] if r not in sys.path]
    sys.argv[:] = ["modtrace-closure"]
    recorder = _Recorder()
    recorder.stop_code = _import_one.__code__
    real_import = builtins.__import__
    builtins.__import__ = recorder.wrap(real_import)
    finder = _Finder(recorder)
    sys.meta_path.insert(0, finder)
    errors = {}
    tracer = Tracer()
    recorder.on = True
    tracer.start()
    try:
        for name in request["modules"]:
            if name in sys.modules:
                continue
            try:
                _import_one(name)
            except BaseException as exc:  # noqa: BLE001 - a module's failure is data
                message = " ".join(str(exc).split())
                errors[name] = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    finally:
        tracer.stop()
        recorder.on = False
        builtins.__import__ = real_import
        try:
            sys.meta_path.remove(finder)
        except ValueError:
            pass
    trace = tracer.trace if tracer.trace is not None else Trace()
    data = {
        "trace": trace.to_dict(),
        "edges": [[a, b, *loc] for (a, b), loc in recorder.edges.items()],
        "errors": errors,
    }
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(data, f)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    # imported modules may have started threads or registered atexit handlers:
    # none of that is wanted here
    os._exit(0)
