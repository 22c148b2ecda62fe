"""The packaging commands of ``modtrace``: plan, bundle, why, check.

Each ``*_main`` takes the arguments after the command name and returns the
exit status; a bad command line raises :class:`modtrace.cli.UsageError` (one
line, exit status 2); bad input files give one ``modtrace: error:`` line and
status 1. These commands do not run the program in this process, so argparse
is fine here.
"""

import argparse
import os
import sys

from ..cli import UsageError, _check_writable, _error

PLAN_USAGE = (
    "modtrace plan TRACE.json... [--format json|text|requirements|torch|pyinstaller] [-o FILE] [--verify] [--no-closure]"
)
BUNDLE_USAGE = "modtrace bundle TRACE.json... -o APP.pyz [--no-verify] [--cwd DIR] [--timeout SECONDS] [--no-closure]"
WHY_USAGE = "modtrace why MODULE TRACE.json... [--no-closure]"
CHECK_USAGE = "modtrace check TRACE.json... [--project pyproject.toml] [-r REQUIREMENTS.txt]... [--extra NAME]..."


class _Parser(argparse.ArgumentParser):
    """argparse, with errors as one line (UsageError) and help that returns."""

    def error(self, message):
        raise UsageError(f"{self.prog.split()[-1]}: {message}")

    def exit(self, status=0, message=None):
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


class _Exit(Exception):
    def __init__(self, status):
        super().__init__(status)
        self.status = status


def _parse(parser, args):
    try:
        return parser.parse_args(args), None
    except _Exit as exc:
        return None, exc.status


def _closure_option(parser):
    parser.add_argument(
        "--no-closure",
        dest="closure",
        action="store_false",
        help="do not import the modules again to find their exact import closure (trace data only)",
    )
    parser.add_argument("--timeout", type=_seconds, default=300, metavar="SECONDS", help="limit of each subprocess (default 300)")


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _plan(paths, closure, timeout):
    """``(reports, plan)`` of the traces at ``paths``; ``(None, None)`` after
    reporting a trace that cannot be read."""
    from .plan import PlanError, load_reports, make_plan

    try:
        reports = load_reports(paths)
    except PlanError as exc:
        _error(exc)
        return None, None
    return reports, make_plan(reports, closure=closure, timeout=timeout)


def _write_or_print(text, output):
    if output is None:
        sys.stdout.write(text)
        return 0
    from ..trace import write_atomic

    from .bundle import _readable

    try:
        write_atomic(output, text)
    except OSError as exc:
        _error(f"can't write {output}: {exc.strerror or exc}")
        return 1
    _readable(output)
    return 0


# -- plan ------------------------------------------------------------------------------------


def plan_main(args):
    from .render import FORMATS, render

    parser = _Parser(
        prog="modtrace plan",
        usage=PLAN_USAGE,
        description="What the traced runs need: modules to intern, distributions to extern (pinned), "
        "standard library, and modules to mock.",
    )
    parser.add_argument("traces", nargs="+", metavar="TRACE.json", help="traces saved by modtrace run -o")
    parser.add_argument("-f", "--format", choices=FORMATS, default="text", help="output format (default text)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the plan to FILE instead of stdout")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="prove the plan as bundle does: re-run the traced commands against a bundle of it "
        "and promote what they used",
    )
    parser.add_argument("--cwd", metavar="DIR", help="(--verify) directory to run the traced commands in")
    _closure_option(parser)
    opts, status = _parse(parser, args)
    if opts is None:
        return status
    if opts.output is not None:
        _check_writable(opts.output, "plan")
    if opts.cwd is not None and not os.path.isdir(opts.cwd):
        raise UsageError(f"plan: --cwd {opts.cwd}: no such directory")
    reports, plan = _plan(opts.traces, opts.closure, opts.timeout)
    if plan is None:
        return 1
    warnings = []
    if opts.verify:
        from .bundle import BundleError, verify

        try:
            plan, _rounds, _runs, warnings = verify(reports, plan, cwd=opts.cwd, timeout=opts.timeout)
        except BundleError as exc:
            _error(exc)
            return 1
    status = _write_or_print(render(plan, opts.format), opts.output)
    for warning in warnings:
        sys.stderr.write(f"modtrace: warning: {warning}\n")
    return status or (1 if warnings else 0)


# -- bundle ----------------------------------------------------------------------------------


def bundle_main(args):
    parser = _Parser(
        prog="modtrace bundle",
        usage=BUNDLE_USAGE,
        description="Write a zipapp of what the traced runs used (interned sources, stubs for mocks) and "
        "APP.requirements.txt beside it; verified by running the traced commands against it.",
    )
    parser.add_argument("traces", nargs="+", metavar="TRACE.json", help="traces of the same program, saved by modtrace run -o")
    parser.add_argument("-o", "--output", metavar="APP.pyz", required=True, help="the zipapp to write")
    parser.add_argument("--no-verify", dest="verify", action="store_false", help="do not re-run the traced commands against the bundle")
    parser.add_argument("--cwd", metavar="DIR", help="directory to run the traced commands in (default: the current one)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    _closure_option(parser)
    opts, status = _parse(parser, args)
    if opts is None:
        return status
    _check_writable(opts.output, "bundle")
    from .bundle import BundleError, build, requirements_path

    _check_writable(requirements_path(opts.output), "requirements")
    if opts.cwd is not None and not os.path.isdir(opts.cwd):
        raise UsageError(f"bundle: --cwd {opts.cwd}: no such directory")
    from .plan import PlanError, load_reports

    def log(message):
        if not opts.quiet:
            sys.stderr.write(f"modtrace: {message}\n")
            sys.stderr.flush()

    try:
        reports = load_reports(opts.traces)
        result = build(
            reports, opts.output, verify_runs=opts.verify, cwd=opts.cwd, timeout=opts.timeout, closure=opts.closure, log=log
        )
    except (BundleError, PlanError) as exc:
        _error(exc)
        return 1
    except OSError as exc:
        _error(f"can't write the bundle: {exc.strerror or exc}")
        return 1
    plan = result.plan
    size = os.path.getsize(result.path)
    log(
        f"wrote {result.path} ({size} bytes: {len(plan.intern())} interned modules, {len(plan.mocks())} stubs) "
        f"and {result.requirements} ({len(plan.requirements())} requirements)"
        + (f"; verified in {result.rounds} round{'s' if result.rounds != 1 else ''}" if result.rounds else "; not verified")
    )
    for warning in result.warnings:
        sys.stderr.write(f"modtrace: warning: {warning}\n")
    return 1 if result.warnings else 0


# -- why -------------------------------------------------------------------------------------


def why_main(args):
    parser = _Parser(
        prog="modtrace why",
        usage=WHY_USAGE,
        description="Why a module is needed, mocked or left out: the chain from the entry point to it, "
        "with the file and line of each step.",
    )
    parser.add_argument("module", metavar="MODULE", help="a dotted module name")
    parser.add_argument("traces", nargs="+", metavar="TRACE.json", help="traces saved by modtrace run -o")
    _closure_option(parser)
    opts, status = _parse(parser, args)
    if opts is None:
        return status
    if not all(p.isidentifier() for p in opts.module.split(".")) and opts.module != "__main__":
        raise UsageError(f"why: {opts.module!r} is not a dotted module name")
    _reports, plan = _plan(opts.traces, opts.closure, opts.timeout)
    if plan is None:
        return 1
    from .why import explain, render

    explanation = explain(plan, opts.module)
    sys.stdout.write(render(explanation))
    return 0 if explanation.found else 1


# -- check -----------------------------------------------------------------------------------


def check_main(args):
    parser = _Parser(
        prog="modtrace check",
        usage=CHECK_USAGE,
        description="Compare the declared dependencies (pyproject.toml's PEP 621 dependencies and "
        "optional-dependencies, requirements files) with the distributions the traced runs needed. "
        "Exit status 1 when some are declared but never used, or used but not declared.",
    )
    parser.add_argument("traces", nargs="+", metavar="TRACE.json", help="traces saved by modtrace run -o")
    parser.add_argument("--project", metavar="PYPROJECT", help="a pyproject.toml (default: ./pyproject.toml when no -r is given)")
    parser.add_argument("-r", "--requirements", action="append", default=[], metavar="FILE", help="a requirements file (repeatable)")
    parser.add_argument("--extra", action="append", default=None, metavar="NAME", help="count only these optional-dependency groups (repeatable; default all)")
    parser.add_argument("--no-extras", action="store_true", help="leave the optional dependencies out")
    _closure_option(parser)
    opts, status = _parse(parser, args)
    if opts is None:
        return status
    project_file = opts.project
    if project_file is None and not opts.requirements:
        if os.path.isfile("pyproject.toml"):
            project_file = "pyproject.toml"
        else:
            raise UsageError("check: give --project pyproject.toml or -r requirements.txt (no ./pyproject.toml here)")
    from .check import CheckError, check, read_pyproject, read_requirements, render

    declared, project, sources = [], None, []
    try:
        if project_file is not None:
            extras = [] if opts.no_extras else opts.extra
            deps, project = read_pyproject(project_file, extras)
            declared.extend(deps)
            sources.append(project_file)
        for path in opts.requirements:
            declared.extend(read_requirements(path))
            sources.append(path)
    except CheckError as exc:
        _error(exc)
        return 1
    _reports, plan = _plan(opts.traces, opts.closure, opts.timeout)
    if plan is None:
        return 1
    result = check(plan, declared, project)
    result.sources = sources
    sys.stdout.write(render(result, plan))
    return 0 if result.ok else 1
