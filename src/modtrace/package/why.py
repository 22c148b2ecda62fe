"""``modtrace why MODULE TRACE.json...``: the chain that makes a module needed
(or mocked, or left out), from the entry point to the module, each step with
the file and line where the previous module used (or imported) the next.

The chain follows the plan's reasons: a module used at run time is reached
from the entry point through needed modules; a module used while a needed
module was being imported hangs below that module; a parent package below its
child; a mock below the module that imports it. Locations come from the
traces' first uses, the import closure and the interned sources' import
statements.
"""

from .plan import ENTRY, IMPORT, PARENT
from .render import _shown_path


class Step:
    """``module``, reached from the previous step by ``edge`` (or None), with an
    optional ``note`` where no edge says it."""

    __slots__ = ("module", "edge", "note")

    def __init__(self, module, edge=None, note=None):
        self.module = module
        self.edge = edge
        self.note = note


class Explanation:
    def __init__(self, module, verdict, steps, found=True, extra=()):
        self.module = module
        #: one line: what the plan decided and why
        self.verdict = verdict
        self.steps = steps
        #: False when the traces never saw the module
        self.found = found
        self.extra = list(extra)


def _shown(path):
    return _shown_path(path) or "?"


def _path(plan, target, allowed):
    """The best chain of edges from the entry point to ``target`` whose
    intermediate modules are in ``allowed``: fewest steps, an edge whose
    location is unknown counting as many; a list of edges or None."""
    import heapq

    start = "__main__"
    if target == start:
        return []
    best = {start: 0}
    prev = {start: None}
    heap = [(0, start)]
    while heap:
        cost, node = heapq.heappop(heap)
        if cost > best.get(node, cost):
            continue
        if node == target:
            chain = []
            cur = target
            while prev[cur] is not None:
                chain.append(prev[cur])
                cur = prev[cur].user
            return list(reversed(chain))
        for used, edge in sorted(plan.graph.uses(node).items()):
            if used != target and used not in allowed:
                continue
            step = cost + (1 if edge.located else 8) + (1 if edge.source == "static" else 0)
            if step < best.get(used, step + 1):
                best[used] = step
                prev[used] = edge
                heapq.heappush(heap, (step, used))
    return None


def _chain(plan, name, seen=None):
    """Steps from the entry point to needed module ``name``."""
    seen = set() if seen is None else seen
    if name in seen:
        return [Step(name, note="(cycle)")]
    seen.add(name)
    reason = plan.needed.get(name)
    if name == "__main__" or reason is None or reason.kind == ENTRY:
        if name == "__main__":
            return _root(plan)
        return [Step(name, note="the traced entry point")]
    if reason.kind == IMPORT:
        steps = _chain(plan, reason.via, seen)
        edge = plan.graph.edge(reason.via, name)
        rec = plan.trace.get(name)
        fu = rec.first_use if rec is not None else None
        if fu is not None and fu.context == reason.via and fu.by and fu.kind != "imported":
            note = f"{fu.kind} by {fu.by} at {_shown(fu.file)}:{fu.line} in {fu.function}, while {reason.via} was being imported"
            return steps + [Step(name, note=note)]
        if edge is not None and edge.how != "imported" and edge.located:
            return steps + [Step(name, edge)]
        note = f"used while {reason.via} was being imported"
        if edge is not None and edge.located:
            note = f"imported at {_shown(edge.file)}:{edge.line} and " + note
        return steps + [Step(name, note=note)]
    if reason.kind == PARENT:
        steps = _chain(plan, reason.via, seen)
        return steps + [Step(name, note=f"parent package of {reason.via}: imported before it")]
    # run time, verified: a path through what runs
    edges = _path(plan, name, set(plan.needed))
    if edges is None:
        edges = _path(plan, name, set(plan.executing) | set(plan.needed))
    if edges is None:
        edges = _path(plan, name, set(plan.trace.modules))
    if edges is None:
        return _root(plan) + [Step(name, note=_first_use_note(plan, name))]
    steps = [Step("__main__", note=f"the entry point, {_shown(plan.entry.file)}")]
    steps += [Step(e.used, e) for e in edges]
    return steps


def _root(plan):
    """The first step of a chain: the entry point, when the traces ran one."""
    if "__main__" in plan.trace.modules:
        return [Step("__main__", note=f"the entry point, {_shown(plan.entry.file)}")]
    return []


def _first_use_note(plan, name):
    rec = plan.trace.get(name)
    fu = rec.first_use if rec is not None else None
    if fu is None or not fu.file:
        return "how it was reached was not recorded"
    by = f" by {fu.by}" if fu.by else ""
    ctx = "" if fu.context is None else f", while {fu.context} was being imported"
    return f"first {fu.kind}{by} at {_shown(fu.file)}:{fu.line} in {fu.function}{ctx}"


def explain(plan, name):
    """An :class:`Explanation` of module ``name`` in ``plan``."""
    info = plan.info(name) if plan.known(name) else None
    if name in plan.needed:
        reason = plan.needed[name]
        where = _placement(plan, name)
        verdict = f"{name} is needed: {reason.describe()} ({where})"
        return Explanation(name, verdict, _chain(plan, name))
    if name in plan.mock:
        reason = plan.mock[name]
        importer = reason.via
        if reason.kind == "mock_parent":
            steps = _mock_chain(plan, importer) + [Step(name, note=f"parent package of the mocked {importer}")]
        else:
            steps = _mock_chain(plan, name)
        verdict = (
            f"{name} is mocked: {reason.describe()} (not at run time, not while a needed module was "
            "being imported); a stub that imports cleanly takes its place"
        )
        return Explanation(name, verdict, steps)
    if info is None:
        return Explanation(name, f"{name} was not loaded by the traced runs (nor by their imports)", [], found=False)
    importers = sorted(plan.graph.users(name))
    edges = _path(plan, name, set(plan.trace.modules))
    steps = []
    if edges is not None:
        steps = [Step("__main__", note=f"the entry point, {_shown(plan.entry.file)}")]
        steps += [Step(e.used, e) for e in edges]
    if info.kind == "stdlib":
        verdict = f"{name} is left out: Python provides it, and nothing that runs uses it"
    else:
        verdict = f"{name} is left out: no module that runs imports it"
    extra = []
    if importers:
        marks = []
        for imp in importers:
            state = "mocked" if imp in plan.mock else ("needed" if imp in plan.needed else "left out")
            marks.append(f"{imp} ({state})")
        extra.append("used or imported only by: " + ", ".join(marks))
    return Explanation(name, verdict, steps, extra=extra)


def _mock_chain(plan, name):
    reason = plan.mock[name]
    importer = reason.via
    steps = _chain(plan, importer) if importer in plan.needed else _path_steps(plan, importer)
    edge = plan.graph.edge(importer, name)
    return steps + [Step(name, edge, None if edge is not None else f"imported by {importer}")]


def _path_steps(plan, name):
    edges = _path(plan, name, set(plan.executing) | set(plan.needed))
    steps = _root(plan)
    if edges:
        steps += [Step(e.used, e) for e in edges]
    elif name != "__main__":
        steps.append(Step(name, note=_first_use_note(plan, name)))
    return steps


def _placement(plan, name):
    info = plan.info(name)
    if name == "__main__" or plan.is_interned_kind(name):
        return "first party: interned"
    if info.kind == "stdlib":
        return "standard library"
    dist = info.distribution
    if dist:
        return f"third party: extern {dist['name']}=={dist['version']}" if dist.get("version") else f"extern {dist['name']}"
    return info.kind


def render(explanation):
    out = [explanation.verdict]
    steps = explanation.steps
    if steps:
        width = max(len(s.module) for s in steps) + 5
        for i, step in enumerate(steps):
            label = ("   " if i == 0 else "-> ") + step.module
            if step.edge is not None:
                e = step.edge
                how = e.how if e.how != "used" else "used"
                if e.located:
                    where = f"{how} at {_shown(e.file)}:{e.line}" + (f" in {e.function}" if e.function else "")
                else:
                    where = f"{how} by {e.user} (where was not recorded)"
                if e.source == "static":
                    where += " (import statement)"
                text = where
            else:
                text = step.note or ""
            out.append(f"  {label:<{width}}{text}".rstrip())
    for line in explanation.extra:
        out.append(f"  {line}")
    return "\n".join(out) + "\n"
