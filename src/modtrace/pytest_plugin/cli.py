"""``modtrace tests-using PATTERN... TRACE.json``: the tests that used a module.

Reads a trace written by ``pytest --modtrace`` and prints, one per line and
sorted, the node ids of the tests that used a module matching any PATTERN
(module patterns as in ``--include``: ``*`` within a dotted segment, ``**`` any
number of segments). The node ids can be handed back to pytest::

    pytest $(modtrace tests-using 'shop.cart.**' trace.json)

Exit status: 0 (also when no test matches: nothing is printed), 1 when the
trace cannot be read or has no per-test map, 2 for bad usage.
"""

import sys

USAGE = "usage: modtrace tests-using PATTERN [PATTERN...] TRACE.json"


def tests_using_main(args):
    from ..cli import UsageError, _error
    from ..patterns import ModuleFilter, PatternError

    args = list(args)
    if any(a in ("-h", "--help") for a in args):
        sys.stdout.write(USAGE + "\n\n" + __doc__.split("\n\n", 1)[1])
        return 0
    if args and args[0] == "--":
        args = args[1:]
    for a in args:
        if a.startswith("-") and a != "-":
            raise UsageError(f"tests-using: unrecognized option {a!r} ({USAGE})")
    if len(args) < 2:
        raise UsageError(f"tests-using: a module PATTERN and a TRACE.json are needed ({USAGE})")
    *patterns, path = args
    try:
        keep = ModuleFilter(patterns)
    except PatternError as exc:
        raise UsageError(f"tests-using: {exc}") from None
    from ..report import Report, ReportError
    from ..testmap import tests_using

    try:
        report = Report.load(path)
    except ReportError as exc:
        _error(exc)
        return 1
    if not isinstance(report.trace.extra.get("tests"), dict):
        _error(f"{path} has no per-test map (write one with pytest --modtrace={path})")
        return 1
    out = tests_using(report.trace, keep)
    if out:
        sys.stdout.write("\n".join(out) + "\n")
    return 0
