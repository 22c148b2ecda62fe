"""The human-readable report: modules grouped by kind, then distribution, with
when and how each was used and where it was first used; then the modules only
imported and those loaded but never used."""

import os
import textwrap

from ..classify import FIRST_PARTY, MAIN, STDLIB, THIRD_PARTY

_KIND_TITLES = (
    (MAIN, "main"),
    (FIRST_PARTY, "first party"),
    (THIRD_PARTY, "third party"),
    (STDLIB, "standard library"),
)

_WIDTH = 100


def render(report):
    trace = report.trace
    out = [""]  # apart from the program's own output
    out.append(_headline(report))
    counts = []
    for kind, title in _KIND_TITLES:
        n = len(report.names_by_kind(kind))
        if n:
            counts.append(f"{title} {n}")
    dists = report.distributions()
    third = [d for d, names in dists if any(report.info(n).kind == THIRD_PARTY for n in names)]
    if third:
        counts.append(f"{len(third)} third-party distribution{'s' if len(third) != 1 else ''}")
    if counts:
        out.append("  " + ", ".join(counts))
    if not len(trace):
        out.append("  (no module was used)")
    else:
        out.append("  columns: module, when it was used (run time; import time: only while other modules")
        out.append("  were being imported; import only), uses (c called, e executed, i imported), first use")
    paths = _PathShortener()
    width = min(max([len(n) for n in trace.names()] + [8]), 40)
    for kind, title in _KIND_TITLES:
        names = report.names_by_kind(kind)
        if not names:
            continue
        out.append("")
        out.append(f"{title} ({len(names)})")
        groups = {}
        for name in names:
            info = report.info(name)
            key = None
            if info.distribution:
                key = (info.distribution["name"].lower(), info.distribution["name"], info.distribution.get("version"))
            groups.setdefault(key, []).append(name)
        for key in sorted(groups, key=lambda k: (k is not None, k or ())):
            indent = "  "
            if key is not None:
                version = f" {key[2]}" if key[2] else ""
                several = [
                    n for n in groups[key] if len(report.info(n).distributions) > 1
                ]
                note = " (namespace package shared with other distributions)" if several else ""
                out.append(f"  {key[1]}{version}: {len(groups[key])} module{'s' if len(groups[key]) != 1 else ''}{note}")
                indent = "    "
            for name in groups[key]:
                out.append(_module_line(trace[name], indent, width, paths))

    only = [n for n in trace.only_imported_names()]
    out.append("")
    out.append(f"only imported: their body ran, nothing of them was used afterwards ({len(only)})")
    if not only:
        out.append("  (none)")
    for name in only:
        out.append(f"  {name:<{width}}  {_pulled_in(trace[name], paths)}")

    unused = report.loaded_unused
    out.append("")
    out.append(f"loaded but never used, not even imported by the program ({len(unused)})")
    if unused:
        out.extend(textwrap.wrap(", ".join(unused), _WIDTH, initial_indent="  ", subsequent_indent="  ",
                                 break_on_hyphens=False))
    else:
        out.append("  (none)")
    out.extend(_tests_note(trace))
    return "\n".join(out) + "\n"


def _tests_note(trace):
    """A trace of a test suite (pytest --modtrace) has a per-test map: say so."""
    tests = trace.extra.get("tests")
    if not isinstance(tests, dict):
        return []
    n = len(tests)
    return ["", f"per-test map: {n} test{'s' if n != 1 else ''} (see `modtrace report -f tests` and "
            "`modtrace tests-using MODULE TRACE.json`)"]


def _headline(report):
    meta = report.trace.meta
    n = len(report.trace)
    used = f"{n} module{'s' if n != 1 else ''} used"
    program = meta.get("program")
    if isinstance(program, dict) and isinstance(program.get("argv"), list):
        cmd = " ".join(str(a) for a in program["argv"])
        status = meta.get("exit_status")
        tail = f", exit status {status}" if status is not None else ""
        return f"modtrace: {used} by `{cmd}`{tail}"
    combined = meta.get("combined")
    if isinstance(combined, list):
        return f"modtrace: {used} by {len(combined)} combined run{'s' if len(combined) != 1 else ''}"
    return f"modtrace: {used}"


def _when(mod):
    if mod.used_at_run_time:
        return "run time"
    if mod.only_imported:
        return "import only"
    return "import time"


def _module_line(mod, indent, width, paths):
    uses = ",".join(u[0] for u in sorted(mod.uses))  # c, e, i
    return f"{indent}{mod.name:<{width}}  {_when(mod):<11}  {uses:<5}  {_first_use(mod, paths)}"


def _first_use(mod, paths):
    fu = mod.first_use
    if fu is None:
        return ""
    if fu.file is None and fu.by is None:
        text = {
            "called": "called (the traced callable)",
            "imported": "imported (as python does before it runs the program)",
        }.get(fu.kind, f"{fu.kind} (the entry point)")
    else:
        text = fu.kind
        if fu.by:
            text += f" by {fu.by}"
        if fu.file:
            text += f" at {paths(fu.file)}"
            if fu.line is not None:
                text += f":{fu.line}"
        if fu.function:
            text += f" in {fu.function}"
    if fu.context is not None:
        text += f", during import of {fu.context}"
    return text


def _pulled_in(mod, paths):
    fu = mod.first_use
    # (a module's own name among its contexts says nothing about who pulled it in)
    contexts = sorted((c for c in mod.contexts if c != mod.name), key=lambda c: (c is not None, c or ""))
    parts = []
    if fu is not None and fu.by:
        where = ""
        if fu.file:
            where = f" at {paths(fu.file)}" + (f":{fu.line}" if fu.line is not None else "")
        parts.append(f"imported by {fu.by}{where}")
    elif fu is not None and fu.file:
        parts.append(f"imported at {paths(fu.file)}" + (f":{fu.line}" if fu.line is not None else ""))
    ctx = ", ".join("at run time" if c is None else f"during import of {c}" for c in contexts)
    if ctx:
        parts.append(ctx)
    return ", ".join(parts)


class _PathShortener:
    """Shorter file names for the report: relative to the current directory when
    under it, else with the standard library's and site-packages' directories
    abbreviated."""

    def __init__(self):
        import sys
        import sysconfig

        self.cwd = os.getcwd()
        prefixes = []
        paths = sysconfig.get_paths()
        for key, label in (("purelib", "<site-packages>"), ("platlib", "<site-packages>"),
                           ("stdlib", "<stdlib>"), ("platstdlib", "<stdlib>")):
            if paths.get(key):
                prefixes.append((paths[key], label))
        for entry in sys.path:
            if entry and os.path.basename(entry.rstrip(os.sep)) in ("site-packages", "dist-packages"):
                prefixes.append((entry, "<site-packages>"))
        # longest first, so that site-packages inside the stdlib directory wins
        self.prefixes = sorted({(os.path.normpath(p), l) for p, l in prefixes}, key=lambda x: -len(x[0]))

    def __call__(self, path):
        if not os.path.isabs(path):
            return path
        norm = os.path.normpath(path)
        if norm.startswith(self.cwd.rstrip(os.sep) + os.sep):
            return os.path.relpath(norm, self.cwd)
        for prefix, label in self.prefixes:
            if norm.startswith(prefix.rstrip(os.sep) + os.sep):
                return label + norm[len(prefix.rstrip(os.sep)):]
        return path
