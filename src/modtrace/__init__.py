"""modtrace: find out which modules Python code really uses when it runs.

    >>> import modtrace
    >>> modtrace.trace_dependencies(some_function, [(arg1, arg2)])
    ['package.module', ...]

See :class:`Tracer` and :class:`Trace` for the richer API.
"""

from .trace import CALLED, EXECUTED, IMPORTED, RUN_TIME, SCHEMA, FirstUse, ModuleUse, Trace, TraceFormatError
from .tracer import Tracer, __version__, trace, trace_dependencies

__all__ = [
    "CALLED",
    "EXECUTED",
    "IMPORTED",
    "RUN_TIME",
    "SCHEMA",
    "FirstUse",
    "ModuleUse",
    "Trace",
    "TraceFormatError",
    "Tracer",
    "__version__",
    "trace",
    "trace_dependencies",
]
