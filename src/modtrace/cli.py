"""The ``modtrace`` command line: a thin layer over the library.

    modtrace run [OPTIONS] SCRIPT [ARGS...]
    modtrace run [OPTIONS] -m MODULE [ARGS...]
    modtrace call [OPTIONS] MODULE:QUALNAME [--input JSON]...
    modtrace report [OPTIONS] TRACE.json
    modtrace combine TRACE.json... -o OUT.json

The command line is parsed by hand, not with argparse: ``run`` and ``call``
execute the user's program in this process, and every module modtrace imports
before the program starts is one the program then finds already loaded (its
import is not seen). So nothing but modtrace's own modules is imported before
the program has run; reporting imports what it needs afterwards.
"""

import os
import sys

PROG = "modtrace"

FORMATS = ("text", "json", "requirements", "dot", "mermaid", "html", "tests")

USAGE = """\
usage: modtrace run [OPTIONS] SCRIPT [ARGS...]
       modtrace run [OPTIONS] -m MODULE [ARGS...]
       modtrace call [OPTIONS] MODULE:QUALNAME [--input JSON]...
       modtrace report [OPTIONS] TRACE.json
       modtrace combine TRACE.json... -o OUT.json
       modtrace plan TRACE.json... [--format FORMAT] [-o FILE]
       modtrace bundle TRACE.json... -o APP.pyz
       modtrace why MODULE TRACE.json...
       modtrace check TRACE.json... [--project pyproject.toml] [-r REQUIREMENTS.txt]...
       modtrace tests-using PATTERN... TRACE.json
       modtrace --version
"""

HELP = (
    USAGE
    + """
Find out which modules Python code really uses when it runs.

commands:
  run       run a script (or -m MODULE) as python would, and report the modules it used
  call      import MODULE and call QUALNAME once per --input, and report the modules used
  report    render a trace saved with -o
  combine   merge traces saved by several runs into one
  plan      what traced runs need: modules to intern, distributions to extern (pinned),
            standard library, modules to mock (formats: text, json, requirements,
            torch, pyinstaller)
  bundle    write a zipapp of only what the runs used, and APP.requirements.txt;
            verified by re-running the traced commands against it
  why       the chain from the entry point that makes a module needed or mocked
  check     declared dependencies (pyproject.toml, requirements files) against
            the distributions the runs needed; exit status 1 when they differ
  tests-using  the tests that used a module, from a trace of pytest --modtrace=FILE

options of run, call and report:
  -o, --output FILE     write the trace as JSON to FILE (also when the program fails)
  -f, --format FORMAT   the report's format: text (default), json, requirements, dot, mermaid,
                        html (one page that works offline; it needs --report FILE, or for
                        report, -o FILE), tests (the per-test view of a trace written
                        by pytest --modtrace=FILE)
  --subprocesses        (run, call) also trace the Python processes the program starts
                        (subprocess, os.exec*, multiprocessing) and merge what they used
  --report FILE         write the report to FILE instead of stderr
  --plan PLAN.json      (html) show this packaging plan (modtrace plan --format json)
  --include PATTERN     keep only modules matching PATTERN, in the report and the
                        trace written by -o (repeatable)
  --exclude PATTERN     leave out modules matching PATTERN (repeatable)
  --input JSON          (call) a JSON array: the arguments of one call (repeatable)

patterns: '*' matches within one dotted segment, '**' any number of segments
(shop.** matches shop and everything under it).

The program's own output is left as it is: the report goes to stderr.
The exit status is the program's. 'modtrace COMMAND --help' describes the
options of plan, bundle, why and check.
"""
)


class UsageError(Exception):
    """Bad command line: reported as one line, exit status 2."""


class _Options:
    def __init__(self):
        self.output = None
        self.format = None  # "text" unless given
        self.report = None
        self.include = []
        self.exclude = []
        self.inputs = None
        self.plan = None
        self.module = None
        self.subprocesses = False
        self.positional = []
        self.rest = []


_VALUE_OPTIONS = {
    "-o": "output",
    "--output": "output",
    "-f": "format",
    "--format": "format",
    "--report": "report",
    "--include": "include",
    "--exclude": "exclude",
    "--input": "input",
    "--plan": "plan",
    "-m": "module",
}


def _parse(command, args):
    """Parse the arguments of ``command``. ``run`` stops at the script (or
    ``-m MODULE``): what follows belongs to the program."""
    allowed = {
        "run": {"output", "format", "report", "include", "exclude", "module", "plan"},
        "call": {"output", "format", "report", "include", "exclude", "input", "plan"},
        "report": {"output", "format", "report", "include", "exclude", "plan"},
        "combine": {"output", "format", "report", "include", "exclude", "plan"},
    }[command]
    opts = _Options()
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            opts.positional.extend(args[i:])
            break
        if arg in ("-h", "--help"):
            raise _Help()
        if arg == "--subprocesses" and command in ("run", "call"):
            opts.subprocesses = True
            continue
        if arg.startswith("-") and arg != "-":
            name, value = arg, None
            if arg.startswith("--") and "=" in arg:
                name, value = arg.split("=", 1)
            elif not arg.startswith("--") and len(arg) > 2:
                name, value = arg[:2], arg[2:]
            dest = _VALUE_OPTIONS.get(name)
            if dest is None or dest not in allowed:
                if name.startswith("--"):
                    matches = [o for o in _VALUE_OPTIONS if o.startswith(name) and _VALUE_OPTIONS[o] in allowed]
                    if len(matches) == 1:
                        dest = _VALUE_OPTIONS[matches[0]]
                        name = matches[0]
                if dest is None or dest not in allowed:
                    raise UsageError(f"{command}: unrecognized option {arg!r} (see 'modtrace --help')")
            if value is None:
                if i >= len(args):
                    raise UsageError(f"{command}: option {name} needs a value")
                value = args[i]
                i += 1
            if dest in ("include", "exclude"):
                getattr(opts, dest).append(value)
            elif dest == "input":
                if opts.inputs is None:
                    opts.inputs = []
                opts.inputs.append(value)
            elif dest == "module":
                opts.module = value
                opts.rest = args[i:]
                break
            else:
                setattr(opts, dest, value)
            continue
        if command == "run":
            opts.positional.append(arg)
            opts.rest = args[i:]
            break
        opts.positional.append(arg)
    return opts


class _Help(Exception):
    pass


def _error(message):
    message = " ".join(str(message).split())
    try:
        sys.stderr.write(f"{PROG}: error: {message}\n")
        sys.stderr.flush()
    except Exception:
        pass


def main(argv=None):
    """Run the command line; return the exit status."""
    if argv is None:
        argv = sys.argv[1:]
    argv = list(argv)
    try:
        return _main(argv)
    except UsageError as exc:
        _error(exc)
        return 2
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as exc:  # a bug in modtrace: still one line, no traceback
        _error(f"internal error: {type(exc).__name__}: {exc}")
        return 3


#: Commands that do not run a program live in their own modules, loaded when
#: used: name -> "module:function". The function takes the arguments after the
#: command name and returns the exit status; it reports bad input by raising
#: UsageError (one line, exit 2) or returning a non-zero status.
OTHER_COMMANDS = {
    "plan": "modtrace.package.cli:plan_main",
    "bundle": "modtrace.package.cli:bundle_main",
    "why": "modtrace.package.cli:why_main",
    "check": "modtrace.package.cli:check_main",
    "tests-using": "modtrace.pytest_plugin.cli:tests_using_main",
}


def _other_command(name):
    target = OTHER_COMMANDS.get(name)
    if target is None:
        return None
    module_name, _, func = target.partition(":")
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None  # that command is not built (yet)
        raise
    return getattr(module, func, None)


def _main(argv):
    if not argv:
        sys.stderr.write(USAGE)
        raise UsageError("a command is needed: run, call, report or combine")
    command, args = argv[0], argv[1:]
    if command in ("-h", "--help", "help"):
        sys.stdout.write(HELP)
        return 0
    if command == "--version":
        from . import __version__

        sys.stdout.write(f"modtrace {__version__}\n")
        return 0
    handlers = {"run": _cmd_run, "call": _cmd_call, "report": _cmd_report, "combine": _cmd_combine}
    handler = handlers.get(command)
    if handler is None:
        other = _other_command(command)
        if other is not None:
            return other(args)
        names = ", ".join(list(handlers) + [n for n in OTHER_COMMANDS if _other_command(n)])
        raise UsageError(f"unknown command {command!r} (choose from {names})")
    try:
        opts = _parse(command, args)
    except _Help:
        sys.stdout.write(HELP)
        return 0
    return handler(opts, argv)


# -- checks made before anything runs --------------------------------------------------


def _check_common(opts):
    if opts.format is None:
        opts.format_given = False
        opts.format = "text"
    else:
        opts.format_given = True
    if opts.format not in FORMATS:
        raise UsageError(f"unknown format {opts.format!r} (choose from {', '.join(FORMATS)})")
    if opts.format == "html" and opts.report is None:
        raise UsageError("--format html writes a page to a file: give --report FILE")
    if opts.plan is not None:
        if opts.format != "html":
            raise UsageError("--plan is shown by --format html only")
        if not os.path.isfile(opts.plan):
            raise UsageError(f"can't read the plan {opts.plan}: no such file")
        opts.plan = os.path.abspath(opts.plan)
    keep = None
    if opts.include or opts.exclude:
        from .patterns import ModuleFilter, PatternError

        try:
            keep = ModuleFilter(opts.include, opts.exclude)
        except PatternError as exc:
            raise UsageError(str(exc)) from None
    for label, path in (("output", opts.output), ("report", opts.report)):
        if path is not None:
            _check_writable(path, label)
    # the program may change the current directory: fix the paths now
    if opts.output is not None:
        opts.output = os.path.abspath(opts.output)
    if opts.report is not None:
        opts.report = os.path.abspath(opts.report)
    return keep


def _check_writable(path, label):
    if path == "":
        raise UsageError(f"the {label} file name is empty")
    full = os.path.abspath(path)
    if os.path.isdir(full):
        raise UsageError(f"can't write the {label} to {path}: it is a directory")
    parent = os.path.dirname(full)
    if not os.path.isdir(parent):
        raise UsageError(f"can't write the {label} to {path}: no directory {parent}")
    if not os.access(parent, os.W_OK | os.X_OK) or (os.path.exists(full) and not os.access(full, os.W_OK)):
        raise UsageError(f"can't write the {label} to {path}: permission denied")


# -- run and call ---------------------------------------------------------------------------


def _cmd_run(opts, argv):
    from . import runner

    keep = _check_common(opts)
    try:
        if opts.module is not None:
            if opts.positional:  # pragma: no cover - -m ends the options
                raise UsageError("run: give a SCRIPT or -m MODULE, not both")
            program = runner.prepare_module(opts.module, opts.rest)
        else:
            if not opts.positional:
                raise UsageError("run: a SCRIPT or -m MODULE is needed")
            program = runner.prepare_script(opts.positional[0], opts.rest)
    except runner.ProgramError as exc:
        _error(exc)
        return exc.status
    return _run_program(program, opts, keep, argv)


def _cmd_call(opts, argv):
    from . import runner

    keep = _check_common(opts)
    if len(opts.positional) != 1:
        raise UsageError("call: exactly one MODULE:QUALNAME is needed")
    inputs = None
    if opts.inputs is not None:
        inputs = [_parse_input(text, n) for n, text in enumerate(opts.inputs, 1)]
    try:
        program = runner.prepare_call(opts.positional[0], inputs)
    except runner.ProgramError as exc:
        raise UsageError(str(exc)) from None
    return _run_program(program, opts, keep, argv)


def _parse_input(text, n):
    import json

    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"--input #{n} is not valid JSON: {exc}") from None
    if not isinstance(value, list):
        raise UsageError(f"--input #{n} must be a JSON array of arguments, e.g. '[1, \"a\"]'")
    return value


def _run_program(program, opts, keep, argv):
    from . import runner

    follower = None
    if opts.subprocesses:
        from .subproc import Follower

        follower = Follower().start()
    try:
        result = program.run()
    except runner.ProgramError as exc:
        _error(exc)
        return exc.status
    finally:
        if follower is not None:
            follower.stop()
    if follower is not None:
        follower.merge_into(result.trace)
    # The program is over: from here on modtrace may import what it likes.
    # Its output comes first, as it would when Python exits.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    result.trace.meta["command"] = [PROG, *argv]
    status = _finish(result.trace, opts, keep, result.status)
    if result.interrupted and status == result.status:
        _die_by_sigint()
    return status


def _finish(trace, opts, keep, status):
    from .report import Report, ReportError

    report = Report(trace)
    return _emit(report, opts, keep, status, ReportError)


def _emit(report, opts, keep, status, ReportError):
    from .render import RenderError, render

    report = report.filtered(keep)
    failed = False
    if opts.output is not None:
        try:
            report.save(opts.output)
        except ReportError as exc:
            _error(exc)
            failed = True
    options = {"plan": opts.plan} if opts.format == "html" else {}
    try:
        text = render(report, opts.format, **options)
    except RenderError as exc:
        _error(exc)
        return status or 2
    if opts.report is not None:
        from .trace import write_atomic

        try:
            write_atomic(opts.report, text)
        except OSError as exc:
            _error(f"can't write the report to {opts.report}: {exc.strerror or exc}")
            failed = True
    else:
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        except Exception:
            pass
    if failed and status == 0:
        return 2
    return status


def _die_by_sigint():
    """End the process as Python does after an uncaught KeyboardInterrupt."""
    import signal

    try:
        sys.stdout.flush()
    except Exception:
        pass
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except Exception:
        pass


# -- report and combine -------------------------------------------------------------------------


def _cmd_report(opts, argv):
    from .report import Report, ReportError

    if opts.format == "html" and opts.report is None and opts.output is not None:
        # the trace is already saved: for a page, -o names the page
        opts.report, opts.output = opts.output, None
    keep = _check_common(opts)
    if len(opts.positional) != 1:
        raise UsageError("report: exactly one TRACE.json is needed")
    if opts.report is not None and os.path.abspath(opts.positional[0]) == opts.report:
        raise UsageError(f"report: the report would overwrite the trace {opts.positional[0]}")
    try:
        report = Report.load(opts.positional[0])
    except ReportError as exc:
        _error(exc)
        return 1
    status = _emit(report, opts, keep, 0, ReportError)
    return 1 if status else 0


def _cmd_combine(opts, argv):
    from .report import Report, ReportError

    keep = _check_common(opts)
    if not opts.positional:
        raise UsageError("combine: at least one TRACE.json is needed")
    if opts.output is None:
        raise UsageError("combine: -o OUT.json is needed")
    try:
        reports = [Report.load(p) for p in opts.positional]
    except ReportError as exc:
        _error(exc)
        return 1
    combined = Report.combine(reports)
    combined.trace.meta["command"] = [PROG, *argv]
    if opts.report is None and not opts.format_given:
        # combine is quiet unless a report is asked for
        combined = combined.filtered(keep)
        try:
            combined.save(opts.output)
        except ReportError as exc:
            _error(exc)
            return 1
        return 0
    status = _emit(combined, opts, keep, 0, ReportError)
    return 1 if status else 0
