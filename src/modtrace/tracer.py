"""The public tracing API: :class:`Tracer`, :func:`trace` and the drop-in
:func:`trace_dependencies`."""

import os
import sys

from .collect.engine import ENGINE, Session

__version__ = "0.1.0"


class Tracer:
    """Trace the modules used while it is active, in every thread.

    As a context manager::

        with Tracer() as t:
            run_something()
        t.trace            # a Trace, also when the block raised

    or with :meth:`start` and :meth:`stop`. A tracer can be started again after
    it stopped; each run gives a new :class:`~modtrace.trace.Trace`. Tracers
    nest and may run in several threads at once: each sees everything that ran
    while it was active.

    With ``light=True`` it records only which modules were used, how and in
    which context: no first-use locations and no module graph. Started inside
    another tracer, a light one costs next to nothing (the pytest plugin runs
    one per test).

    With ``subprocesses=True`` the Python processes started while it is active
    (subprocess, os.exec*, multiprocessing, os.fork) are traced too, and their
    modules merged into :attr:`trace` when it stops (see :mod:`modtrace.subproc`).
    """

    def __init__(self, subprocesses=False, light=False):
        self.trace = None
        self._session = None
        self.subprocesses = subprocesses
        self.light = light
        self._children = None

    @property
    def active(self):
        return self._session is not None

    def start(self):
        if self._session is not None:
            raise RuntimeError("this Tracer is already started")
        session = Session(light=self.light)
        session.trace.meta.update(_meta())
        if self.subprocesses:
            from .subproc import Follower

            self._children = Follower().start()
        try:
            ENGINE.start(session)
        except BaseException:
            children, self._children = self._children, None
            if children is not None:
                children.stop()
            raise
        self._session = session
        return self

    def stop(self):
        """Stop tracing and return the :class:`~modtrace.trace.Trace`."""
        session = self._session
        if session is None:
            raise RuntimeError("this Tracer is not started")
        self._session = None
        try:
            ENGINE.stop(session)
        finally:
            self.trace = session.trace
            self._stop_children()
        return self.trace

    def _stop_children(self):
        children, self._children = self._children, None
        if children is not None:
            children.stop()
            if self.trace is not None:
                children.merge_into(self.trace)

    def note_entry(self, func):
        """Record ``func`` as called: the traced callable itself is a use of
        its home module (its Python code, if any, is seen when it runs). Call it
        while the tracer is active, right before calling ``func``."""
        if self._session is None:
            raise RuntimeError("this Tracer is not started")
        ENGINE.on_entry(func)

    def call(self, func, *args, **kwargs):
        """Call ``func(*args, **kwargs)`` under this (active) tracer, with
        ``func`` recorded as the traced entry. The trace stays available in
        ``self.trace`` after :meth:`stop` even when ``func`` raised."""
        self.note_entry(func)
        return func(*args, **kwargs)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def trace(callable, inputs=((),), subprocesses=False):
    """Call ``callable(*inp)`` for each tuple ``inp`` of ``inputs`` under a
    tracer and return the :class:`~modtrace.trace.Trace` of all the calls
    (and, with ``subprocesses=True``, of the Python processes they started).

    An exception from the callable propagates unchanged, after the tracer has
    been removed."""
    tracer = Tracer(subprocesses=subprocesses)
    tracer.start()
    try:
        tracer.note_entry(callable)
        for inp in inputs:
            callable(*inp)
    finally:
        tracer.stop()
    return tracer.trace


def trace_dependencies(callable, inputs):
    """Drop-in for ``torch.package.analyze.trace_dependencies``: call
    ``callable(*inp)`` for each tuple in ``inputs`` and return the sorted names
    of all the modules used."""
    return trace(callable, inputs).names()


# Computed once, here: code run while a trace is active (for a nested trace)
# would be reported by the enclosing one.
_META = {
    "modtrace": __version__,
    "python": "{}.{}.{}".format(*sys.version_info[:3]),
    "implementation": sys.implementation.name,
}


def _meta():
    meta = dict(_META)
    meta["executable"] = sys.executable
    try:
        meta["cwd"] = os.getcwd()
    except OSError:  # the directory was removed
        pass
    return meta
