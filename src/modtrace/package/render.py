"""The plan's output formats: ``render(plan, fmt) -> str``.

``json``
    the plan as data (``"schema": "modtrace.plan/1"``).
``text``
    for people: intern, extern, stdlib and mock, each module with its reason.
``requirements``
    the pinned extern distributions, installable with ``pip install -r``.
``torch``
    the ``PackageExporter`` calls (``intern``, ``mock``, ``extern``) that
    package the same modules with ``torch.package``.
``pyinstaller``
    the PyInstaller options: ``--hidden-import`` for the needed modules that
    static analysis does not reach (imported by ``importlib``, ``__import__``
    or C code), ``--exclude-module`` for the modules that only import
    statements that never ran refer to.
"""

import json
import os
import sys

from ..classify import STDLIB, THIRD_PARTY

FORMATS = ("text", "json", "requirements", "torch", "pyinstaller")


def render(plan, fmt="text"):
    try:
        func = _RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})") from None
    return func(plan)


def _shown_path(path):
    if not path:
        return ""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _runs(plan):
    n = len(plan.entries)
    return f"{n} traced run{'s' if n != 1 else ''}"


# -- json ------------------------------------------------------------------------------------


def render_json(plan):
    return json.dumps(plan.to_dict(), indent=2) + "\n"


# -- text ------------------------------------------------------------------------------------


def _wrap(names, indent="  ", width=88):
    lines, line = [], indent
    for name in names:
        piece = name + ", "
        if len(line) + len(piece) > width and line.strip():
            lines.append(line.rstrip(", ").rstrip() + ",")
            line = indent
        line += piece
    if line.strip():
        lines.append(line.rstrip().rstrip(","))
    return lines


def render_text(plan):
    intern, extern, stdlib, mocks = plan.intern(), plan.extern(), plan.stdlib(), plan.mocks()
    out = [f"modtrace plan for {plan.entry.describe()} ({_runs(plan)}, Python {plan.python or '?'})"]
    out.append(
        f"  intern {len(intern)} modules, extern {len(extern)} distributions, "
        f"stdlib {len(stdlib)} modules, mock {len(mocks)} modules"
    )
    out.append("")
    width = max([len(n) for n in intern + mocks] + [8]) + 2
    out.append(f"intern: first-party modules the runs needed, shipped as sources ({len(intern)})")
    for name in intern:
        file = _shown_path(plan.files.get(name))
        out.append(f"  {name:<{width}}{plan.needed[name].describe()}" + (f"  [{file}]" if file else ""))
    if not intern:
        out.append("  (none)")
    out.append("")
    out.append(f"extern: third-party distributions the runs needed, pinned ({len(extern)})")
    for d in extern:
        pin = f"{d['name']}=={d['version']}" if d["version"] else d["name"]
        mods = d["modules"]
        shown = ", ".join(mods[:5]) + (f" and {len(mods) - 5} more" if len(mods) > 5 else "")
        out.append(f"  {pin:<{max(width, len(pin) + 2)}}{shown}")
    if not extern:
        out.append("  (none)")
    out.append("")
    out.append(f"stdlib: modules the runs needed that Python provides ({len(stdlib)})")
    out.extend(_wrap(stdlib) or ["  (none)"])
    out.append("")
    out.append(f"mock: imported by what runs, never used: stubs that import cleanly ({len(mocks)})")
    for name in mocks:
        reason = plan.mock[name]
        text = reason.describe()
        if reason.via and reason.kind == "imported_by":
            edge = plan.graph.edge(reason.via, name)
            where = f" at {_shown_path(edge.file)}:{edge.line}" if edge is not None and edge.located else ""
            text = f"imported by {reason.via}{where}, never used"
        out.append(f"  {name:<{width}}{text}")
    if not mocks:
        out.append("  (none)")
    if plan.closure_errors:
        out.append("")
        out.append(f"the import closure could not import ({len(plan.closure_errors)}):")
        for name, err in sorted(plan.closure_errors.items()):
            out.append(f"  {name}: {err}")
    for note in plan.notes:
        out.append("")
        out.append(f"note: {note}")
    return "\n".join(out) + "\n"


# -- requirements --------------------------------------------------------------------------------


def render_requirements(plan):
    lines = [
        f"# The third-party distributions {plan.entry.describe()} needed ({_runs(plan)}), pinned.",
        "# Made by `modtrace plan`; distributions only imported, never used, are left out.",
    ]
    for d in plan.extern():
        pin = f"{d['name']}=={d['version']}" if d["version"] else d["name"]
        lines.append(f"{pin}  # {', '.join(d['modules'][:6])}{' ...' if len(d['modules']) > 6 else ''}")
    unpinned = sorted(
        n for n in plan.needed if plan.info(n).kind == THIRD_PARTY and plan.info(n).distribution is None
    )
    if unpinned:
        lines.append("# installed without distribution metadata (ship their sources): " + ", ".join(unpinned))
    if not plan.extern():
        lines.append("# (none)")
    return "\n".join(lines) + "\n"


# -- torch.package ---------------------------------------------------------------------------


def _collapse(names, universe):
    """Patterns for ``names``: ``pkg.**`` when every known module under ``pkg``
    (in ``universe``) is in ``names``, else the names themselves."""
    names = set(names)
    out = []
    done = set()
    for name in sorted(names):
        if name in done:
            continue
        top = name
        # the highest ancestor whose whole known subtree is in names
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            cand = ".".join(parts[:i])
            subtree = {u for u in universe if u == cand or u.startswith(cand + ".")}
            if cand in names and subtree and subtree <= names:
                top = cand
                break
        subtree = {n for n in names if n == top or n.startswith(top + ".")}
        if len(subtree) > 1 or any(u.startswith(top + ".") for u in universe):
            out.append(f"{top}.**")
        else:
            out.append(top)
        done |= subtree
    return out


def _static_unloaded(plan, names=None):
    """The first unknown name of each dotted target that import statements of
    ``names`` (default: the interned modules) name and that no traced run (nor
    the closure) loaded: statements that never ran."""
    from .plan import entry_module_name
    from .static import static_imports

    out = set()
    for name in plan.intern() if names is None else names:
        as_name = (entry_module_name(plan.entry) or "__main__") if name == "__main__" else name
        for imp in static_imports(as_name, plan.files.get(name)):
            parts = imp.target.split(".")
            for i in range(1, len(parts) + 1):
                cand = ".".join(parts[:i])
                if not plan.known(cand):
                    out.add(cand)
                    break
    return out


def render_torch(plan):
    universe = set(plan.trace.names())
    intern = [n for n in plan.intern() if n != "__main__"]
    extern_modules = set()
    tops = set()
    for d in plan.extern():
        for m in d["modules"]:
            if m != "__main__":
                tops.add(m.partition(".")[0])
    for name in universe:
        if name.partition(".")[0] in tops:
            extern_modules.add(name)
    mocks = plan.mocks()
    unseen = sorted(n for n in _static_unloaded(plan) if plan.info(n).kind != STDLIB and not _is_stdlib_name(n))
    lines = [
        f"# torch.package actions for {plan.entry.describe()}, from modtrace's plan ({_runs(plan)}).",
        "# The standard library is extern'd by torch.package itself. Patterns match in the",
        "# order they are given: intern, then mock, then extern.",
        "from torch.package import PackageExporter",
        "",
        "",
        "def add_actions(exporter: PackageExporter) -> None:",
    ]
    if "__main__" in plan.needed and plan.entry.kind == "script":
        lines.append(f"    # the entry point, {_shown_path(plan.entry.file)}, is a script: save what it calls with save_pickle")
    if intern:
        lines.append("    # first-party modules the runs needed")
        lines.append(f"    exporter.intern({_py_list(intern)})")
    if mocks or unseen:
        lines.append("    # imported but never used by the runs")
        if mocks:
            lines.append(f"    exporter.mock({_py_list(mocks)})")
        if unseen:
            lines.append("    # named by import statements that never ran")
            lines.append(f"    exporter.mock({_py_list(unseen)})")
    if tops:
        pins = ", ".join(f"{d['name']}=={d['version']}" if d["version"] else d["name"] for d in plan.extern())
        lines.append(f"    # third-party distributions the runs needed: {pins}")
        lines.append(f"    exporter.extern({_py_list(sorted(f'{t}.**' for t in tops))})")
    if not (intern or mocks or unseen or tops):
        lines.append("    pass")
    return "\n".join(lines) + "\n"


def _is_stdlib_name(name):
    import sys

    return name.partition(".")[0] in getattr(sys, "stdlib_module_names", ())


def _py_list(items):
    items = list(items)
    one = "[" + ", ".join(repr(i) for i in items) + "]"
    if len(one) <= 70:
        return one
    return "[\n" + "".join(f"        {i!r},\n" for i in items) + "    ]"


# -- PyInstaller -------------------------------------------------------------------------------


def static_reach(plan):
    """The modules a static analyser reaches from the entry point: through the
    import statements of every module with Python source, parents included."""
    from .plan import entry_module_name
    from .static import static_imports

    reached = set()
    todo = ["__main__"]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        as_name = name
        if name == "__main__":
            as_name = entry_module_name(plan.entry) or "__main__"
        for imp in static_imports(as_name, plan.files.get(name)):
            candidates = [imp.target] + [f"{imp.target}.{n}" for n in imp.names]
            for cand in candidates:
                parts = cand.split(".")
                for i in range(1, len(parts) + 1):
                    t = ".".join(parts[:i])
                    if plan.known(t) and t not in reached:
                        todo.append(t)
    return reached


def render_pyinstaller(plan):
    reached = static_reach(plan)
    hidden = sorted(
        n
        for n in plan.needed
        if n != "__main__" and n not in reached and n not in sys.builtin_module_names and plan.files.get(n)
    )
    exclude = sorted(_static_unloaded_everywhere(plan, reached))
    entry = plan.entry
    target = _shown_path(entry.file) or "SCRIPT.py"
    lines = [
        f"# PyInstaller options for {entry.describe()}, from modtrace's plan ({_runs(plan)}).",
        "# --hidden-import: needed modules that static analysis does not find (imported through",
        "#   importlib, __import__ or C code);",
        "# --exclude-module: modules named only by import statements that never ran in the traced runs.",
    ]
    if entry.kind == "module":
        lines.append(f"# The program ran as `-m {entry.module}`: give PyInstaller a script that does")
        lines.append(f"#   import runpy; runpy.run_module({entry.module!r}, run_name='__main__', alter_sys=True)")
    args = ["pyinstaller", target]
    args += [f"--hidden-import {n}" for n in hidden]
    args += [f"--exclude-module {n}" for n in exclude]
    lines.append(" \\\n    ".join(args))
    return "\n".join(lines) + "\n"


def _static_unloaded_everywhere(plan, reached):
    """Top-most names that import statements of the statically reached modules
    (the standard library left out: PyInstaller's own hooks know it) name and
    that no traced run (nor the closure) loaded."""
    out = _static_unloaded(plan, [n for n in reached if plan.kind(n) != STDLIB])
    return {n for n in out if not any(n.startswith(o + ".") for o in out)}


_RENDERERS = {
    "text": render_text,
    "json": render_json,
    "requirements": render_requirements,
    "torch": render_torch,
    "pyinstaller": render_pyinstaller,
}
