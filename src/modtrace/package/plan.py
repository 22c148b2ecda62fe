"""The packaging plan: from one or more traces of a program to what it needs.

:func:`make_plan` applies the rule of DESIGN.md ("The rule, stated once"):

*needed*
    active at run time; or active while a needed module was being imported; or
    a parent package of a needed module; or the traced entry point.
*mock*
    imported by a module that runs when the program runs (a needed module, or
    any module of an extern distribution or of the standard library that those
    import), but not needed itself: importing it must succeed, nothing of it is
    reached.

A third-party distribution is shipped whole (pip installs all of it), so a
module of an *extern* distribution that the shipped modules import runs for
real even when nothing of it is used afterwards; what its import uses is
needed too. That is the rule applied at the granularity a distribution can be
installed at.

From these, per module kind:

*intern*
    the needed first-party modules (the entry point included): their sources
    are shipped;
*extern*
    the third-party distributions of the needed third-party modules, pinned to
    the versions the traces saw;
*stdlib*
    the needed modules Python itself provides;
*mock*
    as above (never a module of the standard library or of an extern
    distribution: those are there anyway).

Who imports what comes from the traces, from the exact import closure (see
:mod:`modtrace.package.closure`: the modules imported again in a fresh
interpreter under an import recorder, which also sees imports made before a
trace started) and, for the interned sources, from their import statements
(an ``import`` of a module that was already loaded is invisible to a trace).
"""

import os
import sys

from ..classify import FIRST_PARTY, MAIN, STDLIB, THIRD_PARTY, Environment, ModuleInfo
from ..trace import CALLED, EXECUTED, RUN_TIME, Trace

SCHEMA = "modtrace.plan/1"

#: Why a module is needed (``Reason.kind``).
ENTRY = "entry"  # the traced entry point
RUN = "run_time"  # active at run time
IMPORT = "import"  # active during the import of ``via`` (needed, or run by an extern import)
PARENT = "parent"  # parent package of ``via``
VERIFIED = "verified"  # touched when the bundle was verified
#: Why a module is mocked.
IMPORTED_BY = "imported_by"  # imported by ``via``, which runs
MOCK_PARENT = "mock_parent"  # parent package of the mock ``via``


class PlanError(Exception):
    """The plan cannot be made (unreadable traces, ...); the message is one line."""


class Reason:
    """Why a module is in the plan: ``kind`` (see the constants) and ``via``,
    the module that brought it in (or None)."""

    __slots__ = ("kind", "via")

    def __init__(self, kind, via=None):
        self.kind = kind
        self.via = via

    def to_dict(self):
        return {"kind": self.kind, "via": self.via}

    def describe(self):
        k, via = self.kind, self.via
        if k == ENTRY:
            return "the traced entry point"
        if k == RUN:
            return "used at run time"
        if k == IMPORT:
            return f"used while {via} was being imported"
        if k == PARENT:
            return f"parent package of {via}"
        if k == VERIFIED:
            return "read by the program when the bundle was verified (data used at run time)"
        if k == IMPORTED_BY:
            return f"imported by {via}, never used"
        if k == MOCK_PARENT:
            return f"parent package of the mocked {via}"
        return k

    def __repr__(self):
        return f"Reason({self.kind}, {self.via})"


class Edge:
    """``user`` used ``used`` (``how``: imported, called, executed, used) at
    ``file``:``line`` in ``function``; ``source``: trace, closure or static."""

    __slots__ = ("user", "used", "how", "file", "line", "function", "source")

    def __init__(self, user, used, how, file=None, line=None, function=None, source="trace"):
        self.user = user
        self.used = used
        self.how = how
        self.file = file
        self.line = line
        self.function = function
        self.source = source

    @property
    def located(self):
        return self.file is not None and self.line is not None

    def to_dict(self):
        return {
            "user": self.user,
            "used": self.used,
            "how": self.how,
            "file": self.file,
            "line": self.line,
            "function": self.function,
            "source": self.source,
        }

    def __repr__(self):
        return f"Edge({self.user} -{self.how}-> {self.used} at {self.file}:{self.line}, {self.source})"


class Graph:
    """Who used (or imports) whom, with the best known location of each pair."""

    def __init__(self):
        self.out = {}  # user -> {used: Edge}
        self.into = {}  # used -> {user: Edge}

    def add(self, edge):
        if edge.user == edge.used or not edge.user or not edge.used:
            return
        row = self.out.setdefault(edge.user, {})
        old = row.get(edge.used)
        if old is not None and not _better(edge, old):
            return
        row[edge.used] = edge
        self.into.setdefault(edge.used, {})[edge.user] = edge

    def users(self, name):
        return self.into.get(name, {})

    def uses(self, name):
        return self.out.get(name, {})

    def edge(self, user, used):
        return self.out.get(user, {}).get(used)


_HOW_RANK = {"imported": 0, "called": 1, "executed": 1, "used": 3}
_SOURCE_RANK = {"trace": 0, "closure": 1, "static": 2}


def _better(new, old):
    """Prefer located edges, then what the traces saw (the closure, then the
    import statements), then imports to other uses."""
    a = (0 if new.located else 1, _SOURCE_RANK.get(new.source, 3), _HOW_RANK.get(new.how, 3))
    b = (0 if old.located else 1, _SOURCE_RANK.get(old.source, 3), _HOW_RANK.get(old.how, 3))
    return a < b


class Entry:
    """The traced program: ``kind`` script, module or callable; ``argv`` its
    arguments (after the script or module); ``file`` the source of its
    ``__main__``; ``module`` the module of ``-m`` (or of a callable)."""

    __slots__ = ("kind", "argv", "file", "module", "command")

    def __init__(self, kind=None, argv=(), file=None, module=None, command=None):
        self.kind = kind
        self.argv = list(argv)
        self.file = file
        self.module = module
        #: the program's command line as the trace shows it
        self.command = list(command or [])

    @classmethod
    def from_program(cls, program, main_file):
        """From a trace's ``meta["program"]``."""
        if not isinstance(program, dict):
            return cls(file=main_file)
        kind = program.get("kind")
        argv = program.get("argv")
        argv = [str(a) for a in argv] if isinstance(argv, list) else []
        if kind == "script":
            return cls(kind, argv[2:], main_file, None, argv)
        if kind == "module":
            module = argv[2] if len(argv) > 2 else None
            return cls(kind, argv[3:], main_file, module, argv)
        if kind == "callable":
            target = argv[0] if argv else None
            module = target.partition(":")[0] if target else None
            return cls(kind, [], main_file, module, argv)
        return cls(None, [], main_file, None, argv)

    def same_program(self, other):
        return (self.kind, self.module, _norm(self.file)) == (other.kind, other.module, _norm(other.file))

    def describe(self):
        if self.command:
            return "`" + " ".join(self.command) + "`"
        return "the traced code"

    def to_dict(self):
        return {"kind": self.kind, "argv": self.argv, "file": self.file, "module": self.module, "command": self.command}


def _norm(path):
    return os.path.normcase(os.path.realpath(path)) if path else None


class Plan:
    """What a program needs: see the module docstring. Built by :func:`make_plan`."""

    def __init__(self):
        self.trace = Trace()  # the union of the traces and the closure
        self.infos = {}  # name -> ModuleInfo
        self.files = {}  # name -> source file
        self.entries = []  # one Entry per traced run
        self.exit_statuses = []  # the exit status of each traced run
        self.needed = {}  # name -> Reason
        self.mock = {}  # name -> Reason
        self.executing = set()  # modules that run when the shipped program runs
        self.graph = Graph()
        self.closure_errors = {}  # name -> error, modules the closure could not import
        self.closure_used = False
        self.closure = None  # the Closure, when one was found
        self.verified = 0  # verification rounds run (0: a hypothesis)
        self.notes = []  # one-line remarks (closure skipped, ...)
        self.python = None  # the Python version of the traces
        self.trace_count = 0

    # -- views --------------------------------------------------------------------------
    @property
    def entry(self):
        return self.entries[0] if self.entries else Entry()

    def info(self, name):
        return self.infos.get(name) or ModuleInfo(FIRST_PARTY)

    def kind(self, name):
        return self.info(name).kind

    def is_interned_kind(self, name):
        """First-party code, or third-party code without a distribution to pin."""
        info = self.info(name)
        return info.kind in (MAIN, FIRST_PARTY) or (info.kind == THIRD_PARTY and info.distribution is None)

    def intern(self):
        """The sorted names of the needed modules whose sources are shipped."""
        return sorted(n for n in self.needed if self.is_interned_kind(n))

    def stdlib(self):
        return sorted(n for n in self.needed if self.kind(n) == STDLIB)

    def extern(self):
        """``[{"name", "version", "modules"}]``: the distributions of the needed
        third-party modules, sorted by name."""
        groups = {}
        for name in self.needed:
            info = self.info(name)
            if info.kind != THIRD_PARTY or info.distribution is None:
                continue
            dist = info.distribution
            key = (dist["name"].lower(), dist["name"], dist.get("version"))
            groups.setdefault(key, []).append(name)
        return [{"name": k[1], "version": k[2], "modules": sorted(v)} for k, v in sorted(groups.items())]

    def extern_names(self):
        return {d["name"].lower() for d in self.extern()}

    def mocks(self):
        return sorted(self.mock)

    def requirements(self):
        """The pinned requirement lines of the extern distributions."""
        return [f"{d['name']}=={d['version']}" if d["version"] else d["name"] for d in self.extern()]

    def known(self, name):
        return name in self.trace.modules

    # -- JSON --------------------------------------------------------------------------------
    def to_dict(self):
        def entry(name, reason):
            info = self.info(name)
            out = {"name": name, "kind": info.kind, "reason": reason.to_dict(), "file": self.files.get(name)}
            if info.distribution:
                out["distribution"] = info.distribution
            return out

        return {
            "schema": SCHEMA,
            "python": self.python,
            "traces": self.trace_count,
            "entries": [e.to_dict() for e in self.entries],
            "intern": [entry(n, self.needed[n]) for n in self.intern()],
            "extern": self.extern(),
            "stdlib": self.stdlib(),
            "mock": [entry(n, self.mock[n]) for n in self.mocks()],
            "needed": [entry(n, self.needed[n]) for n in sorted(self.needed)],
            "closure": {"used": self.closure_used, "errors": dict(sorted(self.closure_errors.items()))},
            "verified": self.verified,
            "notes": list(self.notes),
        }


# -- loading ---------------------------------------------------------------------------------


def load_reports(paths):
    """Load saved traces as :class:`~modtrace.report.Report` objects;
    :class:`PlanError` with a one-line message when one cannot be read."""
    from ..report import Report, ReportError

    if not paths:
        raise PlanError("at least one TRACE.json is needed")
    env = Environment()
    out = []
    for path in paths:
        try:
            out.append(Report.load(path, env))
        except ReportError as exc:
            raise PlanError(str(exc)) from None
    return out


def _programs(trace):
    """The ``meta["program"]`` of each run a trace holds (a combined trace
    holds several)."""
    meta = trace.meta
    combined = meta.get("combined")
    if isinstance(combined, list):
        out = []
        for m in combined:
            if isinstance(m, dict):
                if isinstance(m.get("combined"), list):
                    out.extend(_programs(Trace(meta=m)))
                else:
                    out.append((m.get("program"), m.get("exit_status")))
        return out
    return [(meta.get("program"), meta.get("exit_status"))]


def entries_of(reports):
    """``[(Entry, exit_status)]`` for every run the reports hold."""
    out = []
    for report in reports:
        main = report.trace.get("__main__")
        main_file = main.file if main is not None else None
        for program, status in _programs(report.trace):
            out.append((Entry.from_program(program, main_file), status))
    return out


# -- the plan ----------------------------------------------------------------------------------


def make_plan(reports, closure=True, extra=(), force_needed=(), python=None, timeout=300):
    """The :class:`Plan` of the runs in ``reports`` (loaded traces).

    ``closure``: import the modules again in a fresh interpreter to find the
    exact import closure (a :class:`~modtrace.package.closure.Closure` may be
    given instead, to reuse one). ``extra``: more traces (of verification
    runs) whose uses count, whose entry points do not. ``force_needed``:
    module names that are needed whatever the traces say."""
    from ..report import Report

    reports = list(reports)
    if not reports:
        raise PlanError("at least one trace is needed")
    plan = Plan()
    plan.trace_count = len(reports)
    combined = reports[0] if len(reports) == 1 else Report.combine(reports)
    runs = entries_of(reports)
    plan.entries = [e for e, _ in runs]
    plan.exit_statuses = [s for _, s in runs]
    pythons = sorted({str(r.trace.meta.get("python")) for r in reports if r.trace.meta.get("python")})
    plan.python = pythons[0] if len(pythons) == 1 else (", ".join(pythons) or None)
    union = combined.trace.copy()
    infos = dict(combined.infos)
    for t in extra:
        _add_trace(union, t)
    plan.trace = union

    # the import closure
    from .closure import Closure, ClosureError, import_closure, roots_of

    clo = None
    if isinstance(closure, Closure):
        clo = closure
    elif closure:
        names = _closure_modules(union, infos)
        if names:
            entry_dirs = _entry_dirs(plan.entries)
            try:
                clo = import_closure(names, roots_of(union, entry_dirs), python=python, timeout=timeout)
            except ClosureError as exc:
                plan.notes.append(f"the import closure could not be found: {exc}")
    if clo is not None:
        plan.closure = clo
        plan.closure_used = True
        plan.closure_errors = dict(clo.errors)
        _add_trace(union, clo.trace)
    else:
        plan.closure = None

    # classify what the closure brought in
    env = None
    for name in union.names():
        if name not in infos:
            env = env or Environment()
            infos[name] = env.classify(name, union[name].file)
    _classify_entry(plan, union, infos)
    plan.infos = infos
    for name in union.names():
        if union[name].file:
            plan.files[name] = union[name].file
    # the files of the original traces win (a verification run sees the bundle's)
    for name, rec in combined.trace.modules.items():
        if rec.file:
            plan.files[name] = rec.file

    _build_graph(plan, union, clo, [*(r.trace for r in reports), *extra])
    _decide(plan, union, set(force_needed))
    if plan.python and plan.python.count(".") >= 1:
        here = ".".join(str(v) for v in sys.version_info[:2])
        if ".".join(plan.python.split(".")[:2]) != here and "," not in plan.python:
            plan.notes.append(
                f"the traces were made with Python {plan.python}, this is Python {here}: "
                "the standard library's modules may differ"
            )
    return plan


def _classify_entry(plan, union, infos):
    """``-m MODULE`` of an installed distribution (``-m black``): the entry
    point is that distribution's code, extern like the rest of it."""
    main = union.get("__main__")
    names = {entry_module_name(e) for e in plan.entries}
    if main is None or not main.file or len(names) != 1 or None in names:
        return
    info = Environment().classify(names.pop(), main.file)
    if info.kind == THIRD_PARTY and info.distribution is not None:
        infos["__main__"] = info


def _add_trace(union, other):
    for name, rec in other.modules.items():
        if name == "modtrace" or name.startswith("modtrace.") or name == "_modtrace_bundle":
            continue
        mine = union.modules.get(name)
        if mine is None:
            union.modules[name] = rec.copy()
        else:
            mine.merge(rec)


def _closure_modules(trace, infos):
    """The modules to import again: every module of the traces that Python does
    not provide, parents first (the entry point is not imported: its body is
    the program)."""
    out = []
    for name in trace.names():
        if name == "__main__" or name.startswith("__main__."):
            continue
        info = infos.get(name)
        if info is not None and info.kind in (STDLIB, MAIN):
            continue
        rec = trace[name]
        if rec.file and os.path.isabs(rec.file) and not os.path.exists(rec.file):
            continue  # traced elsewhere
        out.append(name)
    return out


def _entry_dirs(entries):
    out = []
    for e in entries:
        if e.kind == "script" and e.file:
            d = os.path.dirname(os.path.abspath(e.file))
            if d not in out:
                out.append(d)
        elif e.kind == "module" and e.file and e.module:
            from .closure import root_of

            name = e.module
            if os.path.basename(e.file).startswith("__main__.") and not name.endswith("__main__"):
                name += ".__main__"
            d = root_of(name, e.file)
            if d and d not in out:
                out.append(d)
    return out


def entry_module_name(entry):
    """The real module name of the entry point's code: ``pkg.cli`` for
    ``-m pkg.cli``, ``pkg.__main__`` for ``-m pkg``; None for a script."""
    if entry.kind != "module" or not entry.module:
        return None
    name = entry.module
    if entry.file and os.path.basename(entry.file).startswith("__main__.") and not name.endswith("__main__"):
        name += ".__main__"
    return name


def _build_graph(plan, union, clo, traces):
    graph = plan.graph
    # the first use of each module in each trace (a union keeps only one)
    for trace in traces:
        for name, rec in trace.modules.items():
            fu = rec.first_use
            if fu is not None and fu.by and name in union.modules:
                graph.add(Edge(fu.by, name, fu.kind, fu.file, fu.line, fu.function, "trace"))
    for name in union.names():
        rec = union[name]
        for by in rec.used_by:
            graph.add(Edge(by, name, "used", source="trace"))
    if clo is not None:
        for e in clo.edges:
            graph.add(Edge(e.importer, e.imported, "imported", e.file, e.line, e.function, "closure"))
    # the import statements of first-party code: an import of a module that was
    # already loaded is not seen by a trace (nor, for the entry point, by the closure)
    from .static import static_imports

    entry_names = {entry_module_name(e) for e in plan.entries}
    entry_names.discard(None)
    for name in union.names():
        if name != "__main__" and not plan.is_interned_kind(name):
            continue
        file = plan.files.get(name)
        as_name = name
        if name == "__main__":
            as_name = next(iter(entry_names)) if len(entry_names) == 1 else "__main__"
        for imp in static_imports(as_name, file):
            targets = [imp.target] + [f"{imp.target}.{n}" for n in imp.names]
            for target in targets:
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    t = ".".join(parts[:i])
                    if t in union.modules and t != name:
                        graph.add(Edge(name, t, "imported", file, imp.line, None, "static"))


def _parents(name):
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


def _decide(plan, union, forced):
    """Apply the rule: fill ``plan.needed``, ``plan.executing`` and ``plan.mock``."""
    active_in = {}  # context -> modules active there
    run_time = []
    for name in union.names():
        rec = union[name]
        for ctx, kinds in rec.contexts.items():
            if kinds & {EXECUTED, CALLED}:
                if ctx is RUN_TIME:
                    run_time.append(name)
                else:
                    active_in.setdefault(ctx, set()).add(name)
    needed = plan.needed
    queue = []
    if "__main__" in union.modules:
        queue.append(("__main__", Reason(ENTRY)))
    for e in plan.entries:
        if e.kind == "callable" and e.module:
            queue.append((e.module, Reason(ENTRY)))
    queue.extend((n, Reason(RUN)) for n in run_time)
    queue.extend((n, Reason(VERIFIED)) for n in sorted(forced))

    def propagate():
        while queue:
            name, reason = queue.pop(0)
            if name in needed:
                continue
            needed[name] = reason
            for parent in _parents(name):
                if parent not in needed:
                    queue.append((parent, Reason(PARENT, name)))
                    break  # its own parents follow from it
            for used in sorted(active_in.get(name, ())):
                if used not in needed:
                    queue.append((used, Reason(IMPORT, name)))

    graph = plan.graph
    while True:
        propagate()
        extern = plan.extern_names()

        def runs(name):
            """Runs for real in the shipped program once something imports it."""
            if name in needed:
                return True
            info = plan.info(name)
            if info.kind == STDLIB:
                return True
            return info.kind == THIRD_PARTY and info.distribution is not None and info.distribution["name"].lower() in extern

        executing = set()
        todo = sorted(needed)
        while todo:
            name = todo.pop()
            if name in executing:
                continue
            executing.add(name)
            for parent in _parents(name):
                if parent not in executing and (parent in union.modules):
                    todo.append(parent)
            for used, edge in graph.uses(name).items():
                if edge.source == "static" or used in executing:
                    continue
                if used in union.modules and runs(used):
                    todo.append(used)
        more = False
        for name in sorted(executing - set(needed)):
            for used in sorted(active_in.get(name, ())):
                if used not in needed:
                    queue.append((used, Reason(IMPORT, name)))
                    more = True
        if not more:
            break
    plan.executing = executing
    extern = plan.extern_names()

    def provided(name):
        """Python or an extern distribution has it: no stub."""
        info = plan.info(name)
        if info.kind == STDLIB:
            return True
        return info.kind == THIRD_PARTY and info.distribution is not None and info.distribution["name"].lower() in extern

    # mocks: imported by what runs, not running, not provided by Python
    mock = plan.mock
    for name in sorted(executing):
        for used, edge in sorted(graph.uses(name).items()):
            if used in executing or used in mock or used not in union.modules:
                continue
            if edge.how != "imported":
                continue  # a call or a run of its code elsewhere is no import from here
            if provided(used):
                continue
            mock[used] = Reason(IMPORTED_BY, name)
    for name in sorted(mock):
        for parent in _parents(name):
            if parent in executing or parent in mock or provided(parent):
                break
            mock[parent] = Reason(MOCK_PARENT, name)
