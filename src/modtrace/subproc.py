"""Follow child processes: trace the Python processes a traced program starts
and merge what they used into its trace.

How it works. A :class:`Follower` (``modtrace run --subprocesses``,
``pytest --modtrace-subprocesses``, ``Tracer(subprocesses=True)``) makes a data
directory and, for as long as it is started, puts two things in ``os.environ``,
which every child inherits:

* ``MODTRACE_SUBPROCESS_DIRS``: the data directories to write to (one per
  follower active in the parent, ``os.pathsep``-separated);
* ``PYTHONPATH`` with modtrace's start-up directory (``modtrace/_startup``) in
  front. That directory holds only a ``sitecustomize.py``, which Python's
  ``site`` imports when any interpreter starts. It traces that process from then
  on (see :func:`bootstrap`), takes itself off ``sys.path``, and then imports the
  ``sitecustomize`` it hides, if there is one.

Nothing needs installing beyond modtrace itself (a plain ``pip install``): the
directory ships inside the package. Children started with ``-I``, ``-E`` or
``-S``, or with an environment that drops those two variables, are not traced.

Each traced process writes its own trace, atomically, as
``<pid>-<random>.json`` in each data directory when it ends: at normal exit
(``atexit``), at ``os._exit`` (how ``fork`` children of multiprocessing end),
on ``SIGTERM`` when the program had no handler of its own
(``multiprocessing.Pool.terminate()`` ends its workers so), and before an
``os.exec*`` replaces it. A child that crashes or is killed otherwise loses only
its own part. Children of children are traced the same way and write to the
same directories.

``fork``: a forked child starts a fresh trace of its own at the fork
(``os.register_at_fork``), so ``multiprocessing``'s ``fork`` and
``forkserver`` start methods are covered as well as ``spawn`` and plain
``os.fork()``.

Each child trace carries ``extra["process"]``: ``pid``, ``ppid``, ``argv``
(the interpreter's whole command line, ``sys.orig_argv``), ``how`` (``start``
or ``fork``), ``tag`` (the value of ``MODTRACE_SUBPROCESS_TAG`` the child
inherited; the pytest plugin sets it to the running test's node id),
``started`` (a time stamp) and ``exit`` (``exit``, ``os._exit``, ``SIGTERM`` or
``exec``). :meth:`Follower.merge_into` adds every child's modules to the
parent's trace and lists the children in ``extra["processes"]``, each with the
sorted names of the modules it used.

This module imports nothing at import time beyond what the interpreter has
loaded already: :class:`Follower` runs before the traced program, whose own
imports must still be seen.
"""

import os
import sys

from .trace import Trace, write_atomic
from .tracer import Tracer

ENV_DIRS = "MODTRACE_SUBPROCESS_DIRS"
ENV_TAG = "MODTRACE_SUBPROCESS_TAG"

#: The directory holding the ``sitecustomize.py`` that children run at start-up.
STARTUP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_startup")


# -- the parent side ------------------------------------------------------------------------


class Follower:
    """While started, the Python processes started from this one (and theirs)
    are traced; :meth:`children` reads their traces after they ended.

    ::

        with Follower() as children, Tracer() as t:
            run_something_that_starts_processes()
        trace = children.merge_into(t.trace)
    """

    def __init__(self):
        self.directory = None
        self._added_path = False
        self._children = None

    def start(self):
        if self.directory is not None:
            raise RuntimeError("this Follower is already started")
        self.directory = _make_dir()
        self._children = None
        dirs = [d for d in os.environ.get(ENV_DIRS, "").split(os.pathsep) if d]
        os.environ[ENV_DIRS] = os.pathsep.join(dirs + [self.directory])
        path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        if STARTUP_DIR not in path:
            os.environ["PYTHONPATH"] = os.pathsep.join([STARTUP_DIR] + path)
            self._added_path = True
        install_process_hooks()
        return self

    def stop(self):
        """Stop following (children started from now on are not traced), read
        the traces the children wrote and remove the data directory."""
        directory = self.directory
        if directory is None:
            return self
        dirs = [d for d in os.environ.get(ENV_DIRS, "").split(os.pathsep) if d and d != directory]
        if dirs:
            os.environ[ENV_DIRS] = os.pathsep.join(dirs)
        else:
            os.environ.pop(ENV_DIRS, None)
            if self._added_path:
                path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != STARTUP_DIR]
                if path:
                    os.environ["PYTHONPATH"] = os.pathsep.join(path)
                else:
                    os.environ.pop("PYTHONPATH", None)
        self._added_path = False
        self._children = read_children(directory)
        _remove_dir(directory)
        self.directory = None
        return self

    def children(self):
        """The traces of the children that ended while following, oldest first;
        each has ``extra["process"]``. Call after :meth:`stop`."""
        if self._children is None:
            if self.directory is None:
                return []
            return read_children(self.directory)
        return list(self._children)

    def merge_into(self, trace):
        """Merge the children's traces into ``trace`` (in place) and return it."""
        return merge_children(trace, self.children())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def read_children(directory):
    """The child traces written in ``directory``, oldest first. Files that cannot
    be read are skipped (writes are atomic: only a process killed before it wrote
    leaves nothing)."""
    out = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return out
    for name in names:
        if not name.endswith(".json") or name.startswith("."):
            continue
        try:
            child = Trace.load(os.path.join(directory, name))
        except (OSError, ValueError):
            continue
        if not isinstance(child.extra.get("process"), dict):
            continue
        out.append(child)
    out.sort(key=lambda t: (_number(t.extra["process"].get("started")), _number(t.extra["process"].get("pid"))))
    return out


def merge_children(trace, children):
    """Add each child trace's modules to ``trace`` and describe the child in
    ``trace.extra["processes"]``. Returns ``trace``."""
    processes = trace.extra.setdefault("processes", [])
    for child in children:
        info = dict(child.extra.get("process") or {})
        part = Trace(child.modules, {}, {})
        trace.update(part)
        info["modules"] = child.names()
        processes.append(info)
    return trace


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _make_dir():
    """A new private directory for the children's traces (without ``tempfile``:
    the traced program has not run yet and must find it not imported)."""
    base = os.environ.get("TMPDIR") or os.environ.get("TEMP") or os.environ.get("TMP")
    if not base or not os.path.isdir(base):
        base = "/tmp" if os.name == "posix" else os.getcwd()
    for _ in range(100):
        path = os.path.join(base, f"modtrace-children-{os.getpid()}-{os.urandom(6).hex()}")
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        return os.path.abspath(path)
    raise OSError(f"can't make a directory for the traces of child processes in {base}")


def _remove_dir(path):
    try:
        for name in os.listdir(path):
            try:
                os.unlink(os.path.join(path, name))
            except OSError:
                pass
        os.rmdir(path)
    except OSError:
        pass


# -- the child side ---------------------------------------------------------------------------

#: The trace of this process, when it is a traced child.
_this = None
_hooks_installed = False
_real_exit = None
_real_execv = None
_real_execve = None


class ProcessTrace:
    """The trace of one child process, written to the data directories when the
    process ends."""

    def __init__(self, how, dirs):
        import time

        self.pid = os.getpid()
        self.dirs = list(dirs)
        self.how = how
        self.info = {
            "pid": self.pid,
            "ppid": os.getppid(),
            "argv": list(getattr(sys, "orig_argv", sys.argv)),
            "how": how,
            "tag": os.environ.get(ENV_TAG),
            "started": time.time(),
        }
        self.parts = []
        self.file = f"{self.pid}-{os.urandom(6).hex()}.json"
        self.done = False
        #: True while the final trace is being written
        self.writing = False
        self.tracer = Tracer()
        self.tracer.start()

    def checkpoint(self, why):
        """Write what was traced so far and go on tracing (before an exec,
        which may fail)."""
        self._write(why, final=False)

    def finish(self, why):
        """Stop tracing and write the trace; later calls do nothing."""
        if not self.done:
            self._write(why, final=True)

    def discard(self):
        """Stop tracing and write nothing."""
        self.done = True
        if self.tracer.active:
            try:
                self.tracer.stop()
            except Exception:
                pass

    def _write(self, why, final):
        if self.done or os.getpid() != self.pid:
            return
        if final:
            self.done = True
            self.writing = True
        try:
            self._write_now(why, final)
        finally:
            self.writing = False

    def _write_now(self, why, final):
        if self.tracer.active:
            self.parts.append(self.tracer.stop())
        if not final:
            self.tracer = Tracer()
            self.tracer.start()
        trace = Trace.union(self.parts)
        trace.meta.update(self.parts[0].meta if self.parts else {})
        info = dict(self.info)
        info["exit"] = why
        main = sys.modules.get("__main__")
        main_file = getattr(main, "__dict__", {}).get("__file__") if main is not None else None
        if isinstance(main_file, str):
            info["main"] = main_file
        trace.extra["process"] = info
        text = trace.to_json(indent=None)
        for directory in self.dirs:
            try:
                write_atomic(os.path.join(directory, self.file), text)
            except OSError:
                pass  # the parent is gone or stopped following


def this_process():
    """The :class:`ProcessTrace` of this process when it is a traced child, else None."""
    t = _this
    if t is not None and t.pid == os.getpid() and not t.done:
        return t
    return None


def _dirs_from_env():
    return [d for d in os.environ.get(ENV_DIRS, "").split(os.pathsep) if d]


def bootstrap():
    """Trace this process, a child of a followed one (called by the start-up
    ``sitecustomize`` when the interpreter starts)."""
    global _this
    dirs = _dirs_from_env()
    if not dirs or this_process() is not None:
        return
    _this = ProcessTrace("start", dirs)
    _install_exit_hooks()
    install_process_hooks()


def install_process_hooks():
    """Make forked children trace themselves (once per process)."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)


def _after_fork_in_child():
    global _this
    try:
        dirs = _dirs_from_env()
        if not dirs:
            return
        parent = _this
        if parent is not None:
            parent.done = True  # the parent's trace is the parent's to write
        _this = ProcessTrace("fork", dirs)
        _install_exit_hooks()
    except Exception:
        pass


def _install_exit_hooks():
    """Write this process's trace however it ends, short of being killed."""
    global _real_exit, _real_execv, _real_execve
    import atexit

    atexit.register(_at_exit)
    if _real_exit is None:
        _real_exit = os._exit
        os._exit = _os_exit
    if _real_execv is None and hasattr(os, "execv"):
        _real_execv = os.execv
        os.execv = _execv
    if _real_execve is None and hasattr(os, "execve"):
        _real_execve = os.execve
        os.execve = _execve
    _install_sigterm()


def _finish(why):
    t = this_process()
    if t is not None:
        try:
            t.finish(why)
        except Exception:
            pass


def _at_exit():
    _finish("exit")


def _os_exit(status):
    _finish("os._exit")
    _real_exit(status)


def _checkpoint():
    t = this_process()
    if t is not None:
        try:
            t.checkpoint("exec")
        except Exception:
            pass


def _execv(path, args):
    _checkpoint()
    return _real_execv(path, args)


def _execve(path, args, env):
    _checkpoint()
    return _real_execve(path, args, env)


def _install_sigterm():
    """Write the trace on SIGTERM, then die by it as before, when the program
    has no handler of its own (``_signal``: importing ``signal`` would import
    ``enum`` before the program runs)."""
    try:
        import _signal

        if _signal.getsignal(_signal.SIGTERM) == _signal.SIG_DFL:
            _signal.signal(_signal.SIGTERM, _on_sigterm)
    except Exception:  # not the main thread, no SIGTERM on this platform
        pass


def _on_sigterm(signum, frame):
    import _signal

    t = _this
    if t is not None and t.writing and t.pid == os.getpid():
        return  # the process is ending already (os._exit, exit): let it write
    _finish("SIGTERM")
    try:
        _signal.signal(signum, _signal.SIG_DFL)
    except Exception:
        pass
    os.kill(os.getpid(), signum)
