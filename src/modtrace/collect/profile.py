"""The Python 3.10/3.11 backend: a profile hook in every thread.

The hook itself is C (``_cprofile.Hook``): it calls into Python only the first
time it sees a code object ('call' events, which also mark each resumption of a
generator or coroutine) or a C function ('c_call' events), and skips what was
retired with a pointer-set lookup. It is installed in the tracing thread, in
every thread already running (``Hook.install_others``, the same thing 3.12's
``threading.setprofile_all_threads`` does), and, through
``threading.setprofile``, in threads started during the trace.

The profile functions of the tracing thread and of ``threading`` are saved
when the trace starts and restored when it stops, exactly (also a profiler
installed from C, such as cProfile); the other threads get theirs back at their
next event after the last trace stopped.

Without a compiler at install time the same logic runs as a pure Python hook
(the tracing thread and threads started during the trace only): the same
results otherwise, several times slower.
"""

import _thread
import sys

try:
    from . import _cprofile
except ImportError:  # no compiler when installed: the pure Python hook
    _cprofile = None

from . import common

_builtin_self = common._builtin_self
_builtin_name = common._builtin_name
_ModuleType = common._ModuleType


class _PyHook:
    """The pure Python twin of ``_cprofile.Hook``."""

    def __init__(self, on_call, on_c_call, deferred):
        self.active = False
        codes = {}
        cfuncs = {}
        self._codes = codes
        self._cfuncs = cfuncs
        setprofile = sys.setprofile

        def profile(frame, event, arg):
            if not self.active:
                setprofile(None)
                return
            try:
                if event == "call":
                    code = frame.f_code
                    if id(code) not in codes and on_call(frame):
                        codes[id(code)] = code
                elif event == "c_call":
                    owner = _builtin_self(arg)
                    key = (id(owner) if issubclass(type(owner), _ModuleType) else id(type(owner)), _builtin_name(arg))
                    if key not in cfuncs and on_c_call(frame, arg):
                        cfuncs[key] = owner if issubclass(type(owner), _ModuleType) else type(owner)
            except RecursionError:
                deferred.append((on_call, frame) if event == "call" else (on_c_call, frame, arg))

        self._profile = profile

    def install(self):
        sys.setprofile(self._profile)

    def forget(self):
        self._codes.clear()
        self._cfuncs.clear()

    @property
    def retired(self):
        return len(self._codes), len(self._cfuncs)


if _cprofile is not None:
    _Hook = _cprofile.Hook
    _get_profile = _cprofile.get_profile
    _set_profile = _cprofile.set_profile
else:
    _Hook = _PyHook
    _get_profile = sys.getprofile
    _set_profile = sys.setprofile


class ProfileBackend:
    name = "profile" if _cprofile is not None else "profile-python"

    def __init__(self):
        self.hook = None
        self._threading_saved = None

    def activate(self, engine):
        import threading

        self._threading = threading
        on_code, on_call_site = engine.on_code, engine.on_call_site
        deferred = engine.deferred

        def on_call(frame):
            try:
                return on_code(frame, id(frame.f_code))
            except RecursionError:
                deferred.append((on_code, frame, id(frame.f_code)))
            except Exception:
                engine.errors += 1
            return False

        def on_c_call(frame, func):
            try:
                return on_call_site(frame, (id(frame.f_code), frame.f_lasti), func, False)
            except RecursionError:
                deferred.append((on_call_site, frame, (id(frame.f_code), frame.f_lasti), func, False))
            except Exception:
                engine.errors += 1
            return False

        # The C hook notes here what it could not even hand to on_call or
        # on_c_call (the recursion limit hit by the call itself).
        hook = _Hook(on_call, on_c_call, deferred)

        def thread_start(frame, event, arg):
            # threading installs this in each thread started during the trace;
            # its first event replaces it with the hook.
            hook.install()
            if event == "call":
                on_call(frame)

        self.hook = hook
        self._threading_saved = getattr(threading, "getprofile", lambda: None)()
        hook.active = True
        threading.setprofile(thread_start)
        if _cprofile is not None:
            hook.install_others()  # threads that were running already

    def reset(self):
        self.hook.forget()

    def attach(self, session):
        session.thread_state = _get_profile()
        self.hook.install()

    def detach(self, session):
        if session.thread == _thread.get_ident():
            ours = self.hook if _cprofile is not None else self.hook._profile
            if sys.getprofile() is not ours:
                # The traced program installed its own profile function (say
                # cProfile) in this thread: modtrace saw nothing here after that.
                session.trace.meta.setdefault("warnings", []).append(
                    "the traced code replaced the profile function of the tracing thread; "
                    "what ran in that thread afterwards was not traced"
                )
            _set_profile(session.thread_state)

    def deactivate(self):
        hook = self.hook
        if hook is None:
            return
        hook.active = False
        self._threading.setprofile(self._threading_saved)
        self._threading_saved = None
        self.hook = None
