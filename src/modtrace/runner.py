"""Run a program under the tracer exactly as ``python`` would run it.

Three kinds of program:

* a script, ``python SCRIPT ARGS`` (a directory or zip file with a
  ``__main__.py`` too): :func:`prepare_script`;
* a module, ``python -m MODULE ARGS``: :func:`prepare_module`;
* one callable, ``MODULE:QUALNAME``, called with lists of arguments:
  :func:`prepare_call`.

A prepared :class:`Program` is then :meth:`~Program.run`. The program sees what
it would see under ``python``: ``sys.argv``, ``sys.path[0]``, a fresh
``__main__`` module with ``__file__``, ``__spec__``, ``__loader__``,
``__builtins__`` set the same way, stdin and stdout untouched. An uncaught
exception is printed the way Python prints it (through ``sys.excepthook``) and
gives exit status 1; ``SystemExit`` gives its code.

The tracer is on only while the program's own code runs: the import of the
parent packages of ``-m MODULE`` (Python imports them too), the program itself,
and the wait for its non-daemon threads at the end (Python waits for them before
exiting). Finding the program, compiling it and printing its exception happen
with the tracer off, so that modtrace's own work never shows up in the trace.
The program's ``atexit`` handlers run when the interpreter exits, after the
report, untraced.

What the tracer cannot see, the runner adds to the trace (``Trace.extra``):

``loaded_unused``
    the modules in ``sys.modules`` when the program ended that it never used
    at all, not even by importing them: modules the interpreter had loaded at
    start-up (``site``, ``encodings``...) and modules that turned up in
    ``sys.modules`` without an import the tracer saw. Modules that modtrace
    loaded for itself are left out, and so is the import machinery.
"""

import os
import sys

from .tracer import Tracer
from .trace import Trace

#: Names never listed as loaded but unused: the import machinery runs every
#: import (the tracer reports that work as "M is imported", not as a use of it).
_MACHINERY = frozenset(
    {
        "_frozen_importlib",
        "_frozen_importlib_external",
        "importlib._bootstrap",
        "importlib._bootstrap_external",
    }
)


class ProgramError(Exception):
    """The program cannot be started: a missing script, an unknown module, a
    syntax error in the script, a malformed target. Its message is one line."""

    def __init__(self, message, status=2):
        super().__init__(message)
        self.status = status


class Result:
    """What came of running a program."""

    def __init__(self, trace, status, interrupted=False):
        #: the :class:`~modtrace.trace.Trace` of the run
        self.trace = trace
        #: the exit status ``python`` would have returned
        self.status = status
        #: True when the program ended on an uncaught KeyboardInterrupt (Python
        #: then ends its process by SIGINT)
        self.interrupted = interrupted


def _is_own(name):
    return name == "modtrace" or name.startswith("modtrace.")


def _startup_modules():
    """The modules the interpreter loaded at start-up, before modtrace: those
    up to ``site`` in ``sys.modules`` (an import puts a module at the end of
    ``sys.modules`` when it completes, and ``site``, which runs the ``.pth``
    files and ``sitecustomize``, completes last), or up to ``__main__`` when
    Python runs without ``site`` (``-S``, ``-I``)."""
    names = list(sys.modules)
    last = "site" if "site" in sys.modules else "__main__"
    try:
        end = names.index(last)
    except ValueError:
        return set()
    return set(names[: end + 1])


class _Window:
    """The tracer, switched on only around the program's own code; each stretch
    it is on adds to one trace."""

    def __init__(self):
        self.trace = Trace()
        self._tracer = None

    def __enter__(self):
        self._tracer = Tracer()
        self._tracer.start()
        return self

    def __exit__(self, *exc):
        tracer, self._tracer = self._tracer, None
        tracer.stop()
        part = tracer.trace
        if part is not None:
            meta = self.trace.meta
            self.trace.update(part)
            meta.update(part.meta)
        return False

    def entry(self, func):
        """Note the traced callable itself as used (only while on)."""
        self._tracer.note_entry(func)


class Program:
    """A program ready to run. Made by :func:`prepare_script`,
    :func:`prepare_module` or :func:`prepare_call`."""

    kind = None

    def __init__(self, argv):
        #: ``sys.argv`` as the program will see it
        self.argv = list(argv)

    def describe(self):
        """The program's command line, as a list of strings."""
        raise NotImplementedError

    # -- the common frame of a run -------------------------------------------------
    def run(self):
        """Run the program under the tracer; return a :class:`Result`."""
        startup = _startup_modules()
        before = set(sys.modules)
        window = _Window()
        saved_argv = sys.argv
        sys.argv = list(self.argv)
        self._set_path0()
        status, exc, interrupted = 0, None, False
        try:
            status, exc = self._run(window)
        finally:
            sys.argv = saved_argv
        if exc is not None:
            status, interrupted = _report_exception(exc)
            exc = None
        trace = window.trace
        trace.meta["program"] = {"kind": self.kind, "argv": self.describe()}
        trace.meta["exit_status"] = status
        trace.extra["loaded_unused"] = _loaded_unused(trace, startup, before)
        return Result(trace, status, interrupted)

    def _set_path0(self):
        raise NotImplementedError

    def _run(self, window):
        """Run with the tracer on around the program's code; return the exit
        status and the uncaught exception (or None)."""
        raise NotImplementedError


def _replace_path0(entry):
    """Put ``entry`` where Python puts the program's directory: in place of the
    entry modtrace's own start put there (unless ``-P`` / safe_path asked for
    none)."""
    if getattr(sys.flags, "safe_path", False):
        return
    if sys.path:
        sys.path[0] = entry
    else:
        sys.path.insert(0, entry)


def _new_main(**attrs):
    """A fresh ``__main__`` module, set up as Python sets up its own."""
    import builtins
    import types

    mod = types.ModuleType("__main__")
    ns = mod.__dict__
    old = sys.modules.get("__main__")
    if old is not None and "__annotations__" in getattr(old, "__dict__", {}):
        ns["__annotations__"] = {}
    ns["__builtins__"] = builtins
    for key, value in attrs.items():
        ns[key] = value
    return mod


def _exec_main(window, code, main):
    """Install ``main`` as ``__main__`` and execute ``code`` in it with the tracer on.
    Returns ``(status, exception or None)``."""
    sys.modules["__main__"] = main
    ns = main.__dict__
    status, exc = 0, None
    with window:
        try:
            exec(code, ns)
        except SystemExit as e:
            status = _exit_status(e)
        except BaseException as e:  # the program's exception, printed later
            exc = e
        _wait_for_threads()
    return status, exc


def _wait_for_threads():
    """Wait, as Python does before it exits, for the non-daemon threads the
    program left running (with the tracer still on: their work is the program's)."""
    threading = sys.modules.get("threading")
    if threading is None:
        return
    try:
        active = list(getattr(threading, "_active", {}).values())
        main = getattr(threading, "_main_thread", None)
        pending = [t for t in active if t is not main and not getattr(t, "_daemonic", True)]
        if not pending and not getattr(threading, "_threading_atexits", None):
            return
        shutdown = getattr(threading, "_shutdown", None)
        if shutdown is not None:
            shutdown()
        else:  # pragma: no cover - every supported Python has _shutdown
            for t in pending:
                t.join()
    except BaseException:  # noqa: BLE001 - a thread's trouble is not modtrace's
        pass


def _exit_status(exc):
    """The exit status Python gives for an uncaught ``SystemExit``; it prints a
    non-integer code to stderr."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if code >= 0 else code % 256
    try:
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def _report_exception(exc):
    """Print the program's uncaught exception as Python does (through
    ``sys.excepthook``), without modtrace's frames. Returns (status, interrupted)."""
    tb = exc.__traceback__
    here = _this_file()
    while tb is not None and _frame_file(tb.tb_frame) == here:
        tb = tb.tb_next
    try:
        exc.__traceback__ = tb  # what sys.excepthook prints from (3.11+)
    except Exception:
        pass
    try:
        sys.excepthook(type(exc), exc, tb)
    except BaseException:
        try:
            sys.__excepthook__(type(exc), exc, tb)
        except BaseException:
            pass
    try:
        sys.stderr.flush()
    except Exception:
        pass
    return 1, isinstance(exc, KeyboardInterrupt)


def _frame_file(frame):
    return os.path.normcase(os.path.abspath(frame.f_code.co_filename))


def _this_file():
    return os.path.normcase(os.path.abspath(_exec_main.__code__.co_filename))


def _loaded_unused(trace, startup, before):
    """See the module docstring: what was in sys.modules at the end, loaded by
    the interpreter's start-up or while the program ran, and never used."""
    out = []
    for name in list(sys.modules):
        if name in trace.modules or _is_own(name) or name in _MACHINERY:
            continue
        if name in startup or name not in before:
            if sys.modules.get(name) is not None:
                out.append(name)
    return sorted(out)


# -- scripts --------------------------------------------------------------------------


class ScriptProgram(Program):
    kind = "script"

    def __init__(self, path, args):
        super().__init__([path, *args])
        self.path = path
        self.abspath = os.path.abspath(path)
        self.code = None
        self.dir_main = None  # the spec of __main__ of a directory or zip file

    def describe(self):
        return ["python", *self.argv]

    def _set_path0(self):
        if self.dir_main is not None:
            _replace_path0(self.abspath)
        else:
            _replace_path0(os.path.dirname(os.path.realpath(self.abspath)))

    def _run(self, window):
        if self.dir_main is not None:
            spec = self.dir_main
            main = _new_main(
                __file__=spec.origin,
                __cached__=spec.cached,
                __loader__=spec.loader,
                __spec__=spec,
                __package__="",
            )
        else:
            from importlib.machinery import SourceFileLoader, SourcelessFileLoader

            if self.abspath.endswith((".pyc", ".pyo")):
                loader = SourcelessFileLoader("__main__", self.abspath)
            else:
                loader = SourceFileLoader("__main__", self.abspath)
            main = _new_main(__file__=self.abspath, __cached__=None, __loader__=loader, __spec__=None, __package__=None)
        return _exec_main(window, self.code, main)


def prepare_script(path, args=()):
    """Get ready to run ``python PATH ARGS``: check the file exists and compile it.
    Raises :class:`ProgramError` for a missing file or a syntax error."""
    abspath = os.path.abspath(path)
    prog = ScriptProgram(path, list(args))
    if os.path.isdir(abspath):
        prog.dir_main, prog.code = _find_dir_main(path, abspath)
        return prog
    importer = _zip_importer(abspath) if os.path.isfile(abspath) else None
    if importer is not None:
        prog.dir_main, prog.code = _find_dir_main(path, abspath, importer)
        return prog
    try:
        with open(abspath, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise ProgramError(f"can't open file {path!r}: no such file") from None
    except IsADirectoryError:  # pragma: no cover - caught above
        raise ProgramError(f"can't run {path!r}: it is a directory") from None
    except OSError as exc:
        raise ProgramError(f"can't open file {path!r}: {exc.strerror or exc}") from None
    if abspath.endswith((".pyc", ".pyo")):
        prog.code = _code_from_pyc(path, data)
    else:
        prog.code = _compile(data, abspath, path)
    return prog


def _zip_importer(path):
    """A zipimporter for ``path`` when it is a zip file, as Python tries before
    running a file (``zipimport`` is loaded at start-up: nothing new is imported)."""
    import zipimport

    try:
        return zipimport.zipimporter(path)
    except (zipimport.ZipImportError, OSError, ValueError):
        return None


def _find_dir_main(path, abspath, importer=None):
    try:
        if importer is not None:
            spec = importer.find_spec("__main__")
        else:
            from importlib.machinery import PathFinder

            spec = PathFinder.find_spec("__main__", [abspath])
    except Exception:
        spec = None
    if spec is None or spec.loader is None:
        raise ProgramError(f"can't find '__main__' module in {path!r}")
    return spec, _code_of(spec, path)


def _compile(source, filename, shown):
    try:
        return compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"{shown}, line {exc.lineno}" if exc.lineno else shown
        raise ProgramError(f"syntax error in {where}: {exc.msg}", status=1) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProgramError(f"can't compile {shown}: {exc}", status=1) from None


def _code_from_pyc(path, data):
    import marshal

    try:
        code = marshal.loads(data[16:])
    except Exception:
        code = None
    if type(code) is not type(_code_from_pyc.__code__):
        raise ProgramError(f"{path!r} is not a compiled Python file for this Python")
    return code


def _code_of(spec, shown):
    loader = spec.loader
    try:
        code = loader.get_code(spec.name)
    except SyntaxError as exc:
        where = f"{exc.filename or shown}, line {exc.lineno}" if exc.lineno else (exc.filename or shown)
        raise ProgramError(f"syntax error in {where}: {exc.msg}", status=1) from None
    except ImportError as exc:
        raise ProgramError(f"can't load {shown}: {exc}", status=1) from None
    except Exception as exc:
        raise ProgramError(f"can't load {shown}: {type(exc).__name__}: {exc}", status=1) from None
    if code is None:
        raise ProgramError(f"no code object available for {shown}", status=1)
    return code


# -- modules (-m) ------------------------------------------------------------------------


def _check_dotted(name, what):
    parts = name.split(".")
    if not name or not all(p.isidentifier() for p in parts):
        raise ProgramError(f"{what} {name!r} is not a valid dotted module name")


class ModuleProgram(Program):
    kind = "module"

    def __init__(self, name, args):
        super().__init__(["-m", *args])
        self.name = name

    def describe(self):
        return ["python", "-m", self.name, *self.argv[1:]]

    def _set_path0(self):
        _replace_path0(os.getcwd())

    def _run(self, window):
        # As runpy does: import the parent package (traced: its body is the
        # program's), then find the module; a package runs its __main__.
        name = self.name
        spec = self._find(window, name)
        if spec.submodule_search_locations is not None:
            if name == "__main__" or name.endswith(".__main__"):
                raise ProgramError("cannot use package as __main__ module", status=1)
            pkg = name
            name = name + ".__main__"
            spec = self._find(window, name, package=pkg)
        code = _code_of(spec, name)
        if spec.has_location and spec.origin:
            self.argv[0] = spec.origin
            sys.argv[0] = spec.origin
        else:
            self.argv[0] = name
            sys.argv[0] = name
        main = _new_main(
            __file__=spec.origin if spec.has_location else None,
            __cached__=spec.cached,
            __loader__=spec.loader,
            __spec__=spec,
            __package__=spec.parent,
        )
        if not spec.has_location:
            del main.__dict__["__file__"]
        return _exec_main(window, code, main)

    def _find(self, window, name, package=None):
        import importlib.util

        parent = name.rpartition(".")[0] if package is None else package
        if parent:
            try:
                with window:
                    __import__(parent)
            except ImportError as exc:
                if exc.name is not None and (parent == exc.name or parent.startswith(exc.name + ".")):
                    raise ProgramError(
                        f"error while finding module specification for {self.name!r}: no module named {exc.name!r}",
                        status=1,
                    ) from None
                raise ProgramError(
                    f"error while finding module specification for {self.name!r}: "
                    f"{type(exc).__name__}: {exc}",
                    status=1,
                ) from None
            except BaseException as exc:
                raise ProgramError(
                    f"error while finding module specification for {self.name!r}: "
                    f"{type(exc).__name__}: {exc}",
                    status=1,
                ) from None
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError, AttributeError) as exc:
            spec = None
            err = exc
        else:
            err = None
        if spec is None:
            if err is not None and not isinstance(err, ModuleNotFoundError):
                raise ProgramError(f"error while finding module specification for {name!r}: {err}", status=1)
            if package is not None:
                raise ProgramError(
                    f"no module named {name!r}; {package!r} is a package and cannot be directly executed",
                    status=1,
                )
            raise ProgramError(f"no module named {name!r}", status=1)
        if spec.loader is None:
            if package is not None or spec.submodule_search_locations is None:
                raise ProgramError(f"no code to run for module {name!r}", status=1)
            # a namespace package: runs its __main__ if it has one
        return spec


def prepare_module(name, args=()):
    """Get ready to run ``python -m NAME ARGS``."""
    _check_dotted(name, "module name")
    return ModuleProgram(name, list(args))


# -- one callable (MODULE:QUALNAME) ---------------------------------------------------------


class CallProgram(Program):
    kind = "callable"

    def __init__(self, target, module, qualname, inputs):
        super().__init__([target])
        self.target = target
        self.module = module
        self.qualname = qualname
        self.inputs = inputs

    def describe(self):
        return [self.target]

    def _set_path0(self):
        _replace_path0(os.getcwd())  # as `python -c` does

    def _run(self, window):
        try:
            with window:
                __import__(self.module)
        except ImportError as exc:
            if exc.name is not None and (self.module == exc.name or self.module.startswith(exc.name + ".")):
                raise ProgramError(f"no module named {exc.name!r}", status=1) from None
            return 1, exc
        except SystemExit as exc:
            return _exit_status(exc), None
        except BaseException as exc:
            return 1, exc
        obj = sys.modules[self.module]
        done = self.module
        for part in self.qualname.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise ProgramError(f"{done!r} has no attribute {part!r}", status=1) from None
            except Exception as exc:
                raise ProgramError(f"can't get {done}.{part}: {type(exc).__name__}: {exc}", status=1) from None
            done = f"{done}.{part}" if done != self.module else f"{done}:{part}"
        if not callable(obj):
            raise ProgramError(f"{self.target} is not callable (it is of type {type(obj).__name__})", status=1)
        status, exc = 0, None
        with window:
            try:
                window.entry(obj)
                for args in self.inputs:
                    obj(*args)
            except SystemExit as e:
                status = _exit_status(e)
            except BaseException as e:
                exc = e
            _wait_for_threads()
        return status, exc


def parse_target(target):
    """Split ``MODULE:QUALNAME``; raise :class:`ProgramError` when malformed."""
    module, sep, qualname = target.partition(":")
    if not sep or not module or not qualname:
        raise ProgramError(f"bad target {target!r}: expected MODULE:QUALNAME, e.g. shop.cart:total")
    if not all(p.isidentifier() for p in module.split(".")):
        raise ProgramError(f"bad target {target!r}: {module!r} is not a dotted module name")
    if not all(p.isidentifier() for p in qualname.split(".")):
        raise ProgramError(f"bad target {target!r}: {qualname!r} is not a dotted name")
    return module, qualname


def prepare_call(target, inputs=None):
    """Get ready to call ``MODULE:QUALNAME`` once per input (a list of positional
    arguments); with no inputs, once with no arguments."""
    module, qualname = parse_target(target)
    inputs = [()] if inputs is None else [tuple(i) for i in inputs]
    return CallProgram(target, module, qualname, inputs)
