"""The process-wide collector that the backends feed and the sessions listen to.

One engine per process owns the backend (sys.monitoring on 3.12+, a profile
hook on 3.10/3.11) while at least one session is active. Backends call
:meth:`Engine.on_code` and :meth:`Engine.on_call_site` the first time they see a
code location; the engine works out the module, the kind of use, its context
and where it happened, and hands the observation to every active session.

A location is *retired* (never reported again until the next session starts)
once it has been seen at run time. A location seen only during imports stays
live, so that a later use at run time is still seen; each new import context
it is seen in is reported once.

Every session starting resets what was retired, so that nested traces and
traces started one after the other each see everything again.
"""

import _thread
import os
import sys

from ..trace import CALLED, EXECUTED, IMPORTED, Trace
from . import common

if sys.version_info >= (3, 12):
    from .monitoring import MonitoringBackend, NoToolId
else:
    MonitoringBackend = NoToolId = None

_getframe = sys._getframe
_module_of_globals = common.module_of_globals
_is_own = common.is_own
_import_context = common.import_context
_MODULE = "<module>"
_MAIN = common.MAIN


class Session:
    """One trace being collected: a :class:`~modtrace.trace.Trace` plus the
    imports attempted while it ran (confirmed when it stops).

    A *light* session records only which modules were used, how and in which
    context (no first-use locations, no graph): it costs next to nothing when
    it starts inside another session, as the pytest plugin's per-test
    sessions do."""

    def __init__(self, light=False):
        self.trace = Trace()
        self.light = light
        #: a light session's uses: {(module, kind, context), ...}
        self.uses = set() if light else None
        self.attempts = []
        self.thread = _thread.get_ident()
        self.thread_state = None  # the backend's per-thread saved state

    def add(self, name, kind, ctx, file, loc, by):
        if self.light:
            self.uses.add((name, kind, ctx))
        else:
            self.trace.record(name, kind, ctx, file=file, where=loc, by=by)

    def finish(self):
        """Confirm the attempted imports of modules that really loaded (compiled
        extensions, built-in and namespace modules have no Python body to see)."""
        record = self.trace.record
        if self.light:
            for name, kind, ctx in sorted(self.uses, key=lambda u: (u[0], u[1], u[2] or "")):
                record(name, kind, ctx, file=common.module_file(name))
            self.uses = set()
        modules = sys.modules
        for name, ctx, loc, by in self.attempts:
            mod = modules.get(name)
            if name in self.trace.modules or (mod is not None and issubclass(type(mod), common._ModuleType)):
                record(name, IMPORTED, ctx, file=common.module_file(name), where=None if self.light else loc, by=by)
        self.attempts = []


class _ImportRecorder:
    """A meta path finder that only watches: it notes each import about to be
    searched for (the first time a module is imported) and finds nothing."""

    def __init__(self, engine):
        self._engine = engine

    def find_spec(self, fullname, path=None, target=None):
        try:
            self._engine.on_import(fullname, _getframe(1))
        except Exception:
            self._engine.errors += 1
        return None

    def __repr__(self):
        return "<modtrace import recorder>"


class Engine:
    def __init__(self):
        self.sessions = ()
        self.lock = _thread.RLock()
        self.machinery = common.machinery_ids()
        #: location key -> (object kept alive, contexts seen) for locations that
        #: were seen only during imports so far
        self.pending = {}
        self.errors = 0
        #: (callback, *arguments): first sights whose callback hit the
        #: recursion limit, handled at stop
        self.deferred = []
        #: location key -> (object kept alive, generation, (module, kind, None)
        #: or None): what each location retired at run time was found to be
        #: (for a call site: None if it is not reported at all).
        #: A location seen again because a session started (everything is
        #: re-armed then) is answered from here while no *full* session
        #: started since (``generation`` counts those): light sessions need
        #: only the module, and the full ones already have it.
        self.retired = {}
        self.generation = 0
        self.light_adds = ()
        self.backend = None
        self._finder = _ImportRecorder(self)
        # How a frame's import context is found, and what to do when a module
        # body starts: by default, walk the stack. A backend that can follow
        # module bodies (sys.monitoring) replaces them with a per-thread stack.
        self._walk_the_stack()

    # -- sessions ------------------------------------------------------------------
    def start(self, session):
        with self.lock:
            first = not self.sessions
            self.sessions = self.sessions + (session,)
            self._sessions_changed()
            if not session.light:
                self.generation += 1
            self.pending.clear()
            if first:
                try:
                    self.backend = _activate_backend(self)
                except BaseException:
                    self.sessions = ()
                    raise
                sys.meta_path.insert(0, self._finder)
            else:
                self.backend.reset()
            self.backend.attach(session)

    def stop(self, session):
        with self.lock:
            try:
                self._handle_deferred()
                self.backend.detach(session)
            finally:
                self.sessions = tuple(s for s in self.sessions if s is not session)
                self._sessions_changed()
                if not self.sessions:
                    self.retired.clear()
                    try:
                        self.backend.deactivate()
                    finally:
                        self._remove_finder()
                        self.pending.clear()
                        self._walk_the_stack()
        session.trace.meta["backend"] = self.backend.name
        if self.errors:
            session.trace.meta["internal_errors"] = self.errors
        session.finish()

    def _sessions_changed(self):
        self.light_adds = tuple(s.uses.add for s in self.sessions if s.light)

    def _handle_deferred(self):
        """Report the first sights made too deep in a recursion for the callback
        to run. Their frames keep their callers, so the context is found by
        walking those (the backend's view of the stack has moved on)."""
        items, self.deferred = self.deferred, []
        saved = self.context_of, self.outer_context_of, self.body_started
        self._walk_the_stack()
        try:
            for callback, *args in items:
                try:
                    callback(*args)
                except Exception:
                    self.errors += 1
        finally:
            self.context_of, self.outer_context_of, self.body_started = saved

    def _walk_the_stack(self):
        self.context_of = _import_context
        self.outer_context_of = common.outer_import_context
        self.body_started = _nothing

    def _remove_finder(self):
        try:
            sys.meta_path.remove(self._finder)
        except ValueError:
            pass

    # -- observations -------------------------------------------------------------
    def emit(self, name, kind, ctx, loc, by):
        file = common.module_file(name)
        with self.lock:
            for s in self.sessions:
                s.add(name, kind, ctx, file, loc, by)

    def _known(self, key):
        """A location retired at run time, seen again: answer it from
        ``retired`` if that is still valid. True when answered."""
        hit = self.retired.get(key)
        if hit is None or hit[1] != self.generation:
            return False
        if hit[2] is not None:
            for add in self.light_adds:
                add(hit[2])
        return True

    def _in_finder(self, frame):
        """True when ``frame`` runs for a meta path finder that the import
        system is asking for a module (its ``find_spec``, and what that calls):
        the import machinery at work, as the finders of the environment
        (setuptools' distutils shim, pytest's assertion rewriter) run on every
        import. Walks the stack: first sights only."""
        machinery = self.machinery
        f = frame
        while f is not None:
            if f.f_code.co_name == "_find_spec" and id(f.f_globals) in machinery:
                return True
            f = f.f_back
        return False

    def _known_site(self, key, func):
        hit = self.retired.get(key)
        if hit is None or hit[1] != self.generation:
            return False
        if hit[2] is not None and self.light_adds:
            self.light_call(func)
        return True

    def light_call(self, func):
        """Tell the light sessions that ``func`` was called at run time."""
        name = common.callable_home(func)
        if name is not None and not _is_own(name) and id(common.namespace_of(name)) not in self.machinery:
            use = (name, CALLED, None)
            for add in self.light_adds:
                add(use)

    def _retire(self, key, keep, use):
        self.retired[key] = (keep, self.generation, use)
        return True

    def _seen_in(self, key, keep, ctx):
        """For a location used in import context ``ctx``: True if that was
        already reported, else remember it."""
        entry = self.pending.get(key)
        if entry is None:
            self.pending[key] = (keep, {ctx})
            return False
        if ctx in entry[1]:
            return True
        entry[1].add(ctx)
        return False

    def on_code(self, frame, key):
        """Python code started or resumed in ``frame``. Returns True when the
        location can be retired."""
        g = frame.f_globals
        code = frame.f_code
        body = code.co_name == _MODULE and frame.f_locals is g
        # The context first: locations seen during imports come back often.
        ctx = self.context_of(frame.f_back if body else frame)
        if ctx is None:
            if not body and self._known(key):
                return True
        elif _is_own(ctx) or self._seen_in(key, code, ctx):
            return False
        name = _module_of_globals(g)
        if body and name is not None and name != _MAIN:
            self.body_started(code, name)  # modtrace's own too: what they use is not reported
        if name is None or _is_own(name) or id(g) in self.machinery:
            return self._retire(key, code, None)
        if self._in_finder(frame.f_back):
            return ctx is None and self._retire(key, code, None)
        retire = ctx is None
        if body:
            kind = EXECUTED if name == _MAIN else IMPORTED
        elif ctx == name:
            # A module's own code running while it is imported is its import,
            # in the context of that import (and not retired: it may run
            # again at run time).
            kind, ctx = IMPORTED, self.outer_context_of(frame, name)
        else:
            kind = EXECUTED
        loc, by = common.where(common.user_frame(frame.f_back, self.machinery))
        self.emit(name, kind, ctx, loc, by)
        if retire and not body:  # (a body seen again must go on the stack)
            self._retire(key, code, (name, kind, None))
        return retire

    def on_call_site(self, frame, key, func, per_site=True):
        """``func`` is being called from ``frame``. Returns True when the
        location can be retired: the call site (``per_site``), or else the
        callable itself, which is then only retired once its use is decided."""
        g = frame.f_globals
        if id(g) in self.machinery:
            return per_site
        ctx = self.context_of(frame)
        if ctx is None:
            # A site may call something else this time: only its being
            # relevant is known, the callable's home is found again.
            if per_site and self._known_site(key, func):
                return True
        elif _is_own(ctx) or self._seen_in(key, frame.f_code, ctx):
            return False
        site = _module_of_globals(g)
        if (site is not None and _is_own(site)) or self._in_finder(frame):
            return per_site and ctx is None and self._retire(key, frame.f_code, None)
        name = common.callable_home(func)
        if name is None or _is_own(name) or id(common.namespace_of(name)) in self.machinery:
            return not per_site or self._retire(key, frame.f_code, None)
        retire = ctx is None
        kind = CALLED
        if ctx == name:  # see on_code
            kind, ctx = IMPORTED, self.outer_context_of(frame, name)
        loc, _ = common.where(frame)
        self.emit(name, kind, ctx, loc, site)
        if retire and per_site:
            self._retire(key, frame.f_code, (name, kind, None))
        return retire

    def on_import(self, fullname, frame):
        """The import system is about to search for ``fullname`` (``frame`` is
        the finder's caller)."""
        if _is_own(fullname):
            return
        # Only real imports (importlib.util.find_spec does not load anything).
        parent = frame.f_back
        if parent is None or parent.f_code.co_name != "_find_and_load_unlocked":
            return
        ctx = self.context_of(frame)
        if ctx is not None and _is_own(ctx):
            return  # modtrace importing for itself
        loc, by = common.where(common.user_frame(frame, self.machinery))
        entry = (fullname, ctx, loc, by)
        with self.lock:
            for s in self.sessions:
                s.attempts.append(entry)

    def on_entry(self, func):
        """The traced callable itself is about to be called."""
        name = common.callable_home(func)
        if name is not None and not _is_own(name):
            self.emit(name, CALLED, None, None, None)


def _nothing(*args):
    pass


def _activate_backend(engine):
    """sys.monitoring where the interpreter has it and a tool id is free, else
    the profile hook."""
    if MonitoringBackend is not None:
        backend = MonitoringBackend()
        try:
            backend.activate(engine)
            return backend
        except NoToolId:
            pass
    from .profile import ProfileBackend

    backend = ProfileBackend()
    backend.activate(engine)
    return backend


ENGINE = Engine()


def _after_fork_in_child():
    # Another thread may have held the lock when the process forked: in the
    # child that thread does not exist, and the lock would never be released.
    ENGINE.lock = _thread.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
