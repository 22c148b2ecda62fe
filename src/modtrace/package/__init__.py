"""Packaging: from traces to decisions, bundles and dependency checks.

* :mod:`~modtrace.package.plan` -- which modules a program needs, which can be
  mocked, which are first-party sources to ship (intern), which come from
  third-party distributions (extern) or from Python (stdlib);
* :mod:`~modtrace.package.closure` -- the exact import closure of those modules,
  found by importing them in a fresh interpreter under an import recorder;
* :mod:`~modtrace.package.bundle` -- a zipapp holding the interned sources and
  stubs for the mocks, verified by running it;
* :mod:`~modtrace.package.why` -- the chain that makes a module needed or mocked;
* :mod:`~modtrace.package.check` -- declared dependencies against used ones;
* :mod:`~modtrace.package.render` -- the plan's output formats.

The rule (see DESIGN.md, "The rule, stated once"): a module is *active* in a
context when its code ran there (its own module body excluded) or a callable of
it was called there. A module is *needed* when it is active at run time, or
active during the import of a needed module, or is a parent package of a needed
module, or is the traced entry point. A module that needed modules import but
that is not needed is *mocked*.

Nothing here is imported by ``import modtrace``.
"""

__all__ = ["Plan", "PlanError", "load_reports", "make_plan"]


def __getattr__(name):
    # loaded when asked for: the closure subprocess imports this package and
    # should load as little as possible before it records imports
    if name in __all__:
        from . import plan

        return getattr(plan, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
