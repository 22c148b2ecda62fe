"""One self-contained HTML page to explore a trace: a summary, a sortable and
filterable table of modules, the module graph (collapsible by package and by
distribution), the chain that explains why any module is there, and, when the
data has them, which tests used each module and the packaging plan.

The page works offline: its style and script are inlined (``html.css`` and
``html.js`` beside this file), the graph is SVG drawn by the script, and the
data is one JSON document in a ``<script type="application/json">`` element.
Everything that comes from the trace (module names, file names, test ids) is
put on the page as text by the script (``textContent``), never as markup; the
JSON itself is escaped so that no ``</script>`` or ``<!--`` can end its element.

The packaging plan shown is, in this order: the one given as ``plan`` (the JSON
of ``modtrace plan --format json``, as a path or a dict), one stored in the
trace under ``"plan"``, or one computed from the trace by :mod:`modtrace.package`
when that is installed (without the import closure: the page says so).
"""

import json
import os

from ..classify import KINDS
from . import RenderError
from ._graph import COLORS

#: plan decisions, in the order the page lists them
DECISIONS = ("intern", "extern", "stdlib", "mock", "not needed")

_HERE = os.path.dirname(os.path.abspath(__file__))


def render(report, plan=None):
    """The page for ``report`` (a :class:`modtrace.report.Report`); ``plan``:
    None (look in the trace, else compute one if possible), a path to a plan
    JSON file, or a plan dict."""
    data = page_data(report, plan)
    return page(data)


# -- the data the page shows ---------------------------------------------------------------


def page_data(report, plan=None):
    """The JSON-able dict the page's script reads."""
    from .text import _headline, _PathShortener

    trace = report.trace
    paths = _PathShortener()
    dist_index = {}
    dists = []
    for dist, names in report.distributions():
        key = (dist["name"].lower(), dist.get("version"))
        dist_index[key] = len(dists)
        kinds = sorted({report.info(n).kind for n in names})
        dists.append({"name": dist["name"], "version": dist.get("version"), "modules": len(names), "kinds": kinds})

    def where(path):
        return None if path is None else paths(path)

    modules = []
    for name in trace.names():
        rec = trace[name]
        info = report.info(name)
        own = []
        for d in info.distributions or ([info.distribution] if info.distribution else []):
            i = dist_index.get((d["name"].lower(), d.get("version")))
            if i is not None and i not in own:
                own.append(i)
        fu = rec.first_use
        first = None
        if fu is not None:
            first = {
                "kind": fu.kind,
                "context": fu.context,
                "file": where(fu.file),
                "path": fu.file,
                "line": fu.line,
                "function": fu.function,
                "by": fu.by,
            }
        contexts = sorted(rec.contexts, key=lambda c: (c is not None, c or ""))
        modules.append(
            {
                "name": name,
                "kind": info.kind,
                "dists": own,
                "when": "run" if rec.used_at_run_time else ("only" if rec.only_imported else "import"),
                "uses": sorted(rec.uses),
                "contexts": [{"context": c, "uses": sorted(rec.contexts[c])} for c in contexts],
                "file": where(rec.file),
                "path": rec.file,
                "first": first,
                "used_by": sorted(rec.used_by),
            }
        )

    meta = trace.meta
    headline = _headline(report)
    if headline.startswith("modtrace: "):
        headline = headline[len("modtrace: "):]
    data = {
        "headline": headline,
        "meta": _jsonable(meta),
        "kinds": list(KINDS),
        "colors": dict(COLORS),
        "modules": modules,
        "distributions": dists,
        "loaded_unused": list(report.loaded_unused),
        "tests": _tests(trace),
        "plan": None,
    }
    try:
        data["plan"] = plan_data(report, plan)
    except RenderError:
        raise
    except Exception as exc:  # a plan that could not be computed: the page says so
        data["plan"] = {"error": f"no packaging plan: {type(exc).__name__}: {exc}", "decisions": {}}
    return data


def _tests(trace):
    """``{node id: [module names]}`` from a trace's ``"tests"`` (the pytest
    plugin's), keeping the modules the trace has; None when there is none."""
    raw = trace.extra.get("tests")
    if not isinstance(raw, dict):
        return None
    out = {}
    for node, names in raw.items():
        if isinstance(node, str) and isinstance(names, list):
            out[node] = sorted({n for n in names if isinstance(n, str) and n in trace})
    return out or None


def _jsonable(value):
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return {}


# -- the packaging plan ---------------------------------------------------------------------


class PlanFileError(RenderError):
    """The plan file given cannot be read; the message is one line."""


def load_plan(path):
    """Read a plan JSON file (``modtrace plan --format json``)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise PlanFileError(f"can't read the plan {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise PlanFileError(f"{path} is not a plan: invalid JSON ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict):
        raise PlanFileError(f"{path} is not a plan: not a JSON object")
    return data


def plan_data(report, plan=None):
    """The plan as the page shows it: ``{"source", "decisions": {module:
    decision}, "reasons": {module: text}, "extern": [...], "notes": [...]}``,
    or None when there is no plan."""
    source = None
    if isinstance(plan, (str, os.PathLike)):
        source = f"plan file {os.fspath(plan)}"
        plan = load_plan(plan)
    elif plan is not None:
        source = "plan given"
    if plan is None and isinstance(report.trace.extra.get("plan"), dict):
        plan, source = report.trace.extra["plan"], "plan stored in the trace"
    computed = False
    if plan is None:
        plan = _computed_plan(report)
        if plan is None:
            return None
        computed = True
        source = "computed from this trace alone, without the import closure: `modtrace plan` gives the exact plan"
    if not isinstance(plan, dict):
        raise PlanFileError("the plan is not a JSON object")
    if isinstance(plan.get("plan"), dict) and not any(k in plan for k in ("intern", "extern", "mock")):
        plan = plan["plan"]
    out = normalize_plan(report, plan)
    out["source"] = source
    out["computed"] = computed
    if not out["decisions"] and not out["notes"]:
        raise PlanFileError("the plan names none of the trace's modules (is it a modtrace plan?)")
    return out


def _computed_plan(report):
    try:
        from ..package.plan import make_plan
    except ImportError:
        return None
    return make_plan([report], closure=False).to_dict()


def _names(items):
    """Module names from a plan list: names, or objects with a ``name``."""
    out = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, str):
            out.append((item, None))
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            out.append((item["name"], item.get("reason")))
    return out


def _describe(reason):
    if isinstance(reason, str):
        return reason
    if not isinstance(reason, dict) or not isinstance(reason.get("kind"), str):
        return None
    try:
        from ..package.plan import Reason

        return Reason(reason["kind"], reason.get("via")).describe()
    except Exception:
        via = reason.get("via")
        return reason["kind"].replace("_", " ") + (f" ({via})" if via else "")


def normalize_plan(report, plan):
    """Each module of the report's trace with its plan decision: ``intern``,
    ``extern`` (its distribution is installed), ``stdlib``, ``mock`` or ``not
    needed``, from a ``modtrace.plan/1`` document (``intern``, ``extern``,
    ``stdlib``, ``mock`` and ``needed`` lists). Modules the plan lists by
    pattern (``*``, ``**``) match too."""
    from ..patterns import PatternError, matches

    trace = report.trace
    decisions, reasons = {}, {}
    patterns = []

    def note(name, decision, reason=None):
        if any(ch in name for ch in "*"):
            patterns.append((name, decision))
            return
        if name in trace and name not in decisions:
            decisions[name] = decision
        text = _describe(reason)
        if text and name in trace and name not in reasons:
            reasons[name] = text

    for name, reason in _names(plan.get("intern")):
        note(name, "intern", reason)
    extern_dists = []
    for item in plan.get("extern") or ():
        if isinstance(item, str):
            extern_dists.append({"name": item.split("==")[0].strip(), "version": None})
            continue
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        extern_dists.append({"name": item["name"], "version": item.get("version")})
        for name, reason in _names(item.get("modules")):
            note(name, "extern", reason)
    for name, reason in _names(plan.get("stdlib")):
        note(name, "stdlib", reason)
    for name, reason in _names(plan.get("mock")):
        note(name, "mock", reason)
    for name, reason in _names(plan.get("needed")):
        text = _describe(reason)
        if text and name in trace:
            reasons.setdefault(name, text)
    extern_names = {d["name"].lower() for d in extern_dists}
    listed = bool(decisions or patterns or extern_dists)
    for name in trace.names():
        if name in decisions:
            continue
        decision = None
        for pattern, d in patterns:
            try:
                if matches(pattern, name):
                    decision = d
                    break
            except PatternError:
                continue
        if decision is None:
            info = report.info(name)
            dist = info.distribution
            if dist and dist["name"].lower() in extern_names:
                decision = "extern"
            elif listed:
                decision = "not needed"
        if decision is not None:
            decisions[name] = decision
    notes = [n for n in plan.get("notes") or () if isinstance(n, str)]
    return {
        "decisions": decisions,
        "reasons": reasons,
        "extern": extern_dists,
        "notes": notes,
        "schema": plan.get("schema") if isinstance(plan.get("schema"), str) else None,
    }


# -- the page -----------------------------------------------------------------------------


def _asset(name):
    with open(os.path.join(_HERE, name), encoding="utf-8") as f:
        return f.read()


def script_json(data):
    """``data`` as JSON that is safe inside a ``<script>`` element: no ``<``,
    ``>`` or ``&`` (so no ``</script>`` or ``<!--``), ASCII only."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(data):
    from html import escape

    title = "modtrace: " + data["headline"]
    css = _asset("html.css")
    js = _asset("html.js")
    # the assets are ours, but make sure they cannot end their own element
    assert "</style" not in css.lower() and "</script" not in js.lower()
    return _TEMPLATE.format(
        title=escape(title),
        headline=escape(data["headline"]),
        css=css,
        js=js,
        data=script_json(data),
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="modtrace">
<title>{title}</title>
<style>
{css}
</style>
</head>
<body>
<header class="top">
  <div class="brand">modtrace</div>
  <h1 id="headline">{headline}</h1>
  <nav id="nav">
    <a href="#summary">Summary</a>
    <a href="#modules">Modules</a>
    <a href="#graph">Graph</a>
    <a href="#why">Why</a>
    <a href="#tests" data-needs="tests" hidden>Tests</a>
    <a href="#plan" data-needs="plan" hidden>Plan</a>
  </nav>
</header>
<noscript><p class="noscript">This page draws its tables and graphs with JavaScript: allow scripts for this file to see them.</p></noscript>
<main>
<section id="summary" aria-labelledby="summary-title">
  <h2 id="summary-title">Summary</h2>
  <p class="meta" id="run-meta"></p>
  <div class="cards" id="cards"></div>
  <div class="two">
    <div>
      <h3>Distributions</h3>
      <table class="small" id="dist-table"><thead><tr><th>distribution</th><th>version</th><th class="num">modules</th><th>kind</th></tr></thead><tbody></tbody></table>
      <p class="empty" id="dist-empty" hidden>No module of an installed distribution was used.</p>
    </div>
    <div>
      <h3>Loaded but never used <span class="count" id="unused-count"></span></h3>
      <p class="hint">In <code>sys.modules</code> when the program ended, but nothing of them ran, was called or was imported by the program (Python's start-up, for instance).</p>
      <details id="unused-details"><summary>show their names</summary><p class="names" id="unused-list"></p></details>
    </div>
  </div>
  <details class="runinfo"><summary>run details</summary><table class="small" id="meta-table"><tbody></tbody></table></details>
</section>

<section id="modules" aria-labelledby="modules-title">
  <h2 id="modules-title">Modules</h2>
  <div class="controls" id="table-controls">
    <label>filter <input id="filter" type="search" placeholder="name, distribution, or pattern: pluggy.**" size="34" autocomplete="off"></label>
    <label>kind <select id="f-kind"></select></label>
    <label>distribution <select id="f-dist"></select></label>
    <label>when <select id="f-when"></select></label>
    <label>how used <select id="f-use"></select></label>
    <label>context <select id="f-context"></select></label>
    <label data-needs="tests" hidden>test <select id="f-test"></select></label>
    <label data-needs="plan" hidden>plan <select id="f-plan"></select></label>
    <button type="button" id="f-reset">reset</button>
    <span class="count" id="row-count"></span>
  </div>
  <div class="tablewrap">
  <table id="module-table" class="modules">
    <thead><tr>
      <th data-key="name"><button type="button">module</button></th>
      <th data-key="kind" aria-sort="ascending"><button type="button">kind</button></th>
      <th data-key="dist"><button type="button">distribution</button></th>
      <th data-key="when"><button type="button">when</button></th>
      <th data-key="uses"><button type="button">how used</button></th>
      <th data-key="context"><button type="button">contexts</button></th>
      <th data-key="first"><button type="button">first use</button></th>
      <th data-key="by"><button type="button">by</button></th>
      <th data-key="tests" data-needs="tests" hidden><button type="button">tests</button></th>
      <th data-key="plan" data-needs="plan" hidden><button type="button">plan</button></th>
    </tr></thead>
    <tbody></tbody>
  </table>
  </div>
</section>

<section id="graph" aria-labelledby="graph-title">
  <h2 id="graph-title">Graph: who used whom</h2>
  <p class="hint">An arrow goes from a module to a module it used; columns are the number of steps from the entry point. Click a module to see it and why it is here; double-click a group to open it, a module to fold its package. Dashed: only imported.</p>
  <div class="controls" id="graph-controls">
    <label>group <select id="g-preset">
      <option value="auto">automatic (at most 80 boxes)</option>
      <option value="none">every module</option>
      <option value="packages">by top-level package</option>
      <option value="dists">by distribution, standard library as one</option>
    </select></label>
    <label><input type="checkbox" id="g-stdlib" checked> standard library</label>
    <label>colour by <select id="g-color"><option value="kind">kind</option><option value="when">when used</option><option value="plan" data-needs="plan" hidden>plan</option></select></label>
    <button type="button" id="g-zoom-out" title="zoom out">&minus;</button>
    <button type="button" id="g-fit">fit</button>
    <button type="button" id="g-zoom-in" title="zoom in">+</button>
    <span class="count" id="g-count"></span>
  </div>
  <div class="legend" id="g-legend"></div>
  <div class="graphrow">
    <div class="viewport" id="g-viewport"><svg id="g-svg" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="module graph"></svg></div>
    <aside class="details" id="details" aria-live="polite"><p class="empty">Click a module in the graph or the table.</p></aside>
  </div>
</section>

<section id="why" aria-labelledby="why-title">
  <h2 id="why-title">Why is it here?</h2>
  <div class="controls"><label>module <input id="why-input" list="why-names" size="40" autocomplete="off" placeholder="type a module name"></label><datalist id="why-names"></datalist></div>
  <div id="why-body"><p class="empty">Choose a module: the chain of first uses from the entry point to it appears here.</p></div>
  <div class="viewport small" id="why-viewport" hidden><svg id="why-svg" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="why chain"></svg></div>
</section>

<section id="tests" aria-labelledby="tests-title" data-needs="tests" hidden>
  <h2 id="tests-title">Tests</h2>
  <p class="meta" id="tests-summary"></p>
  <div class="controls"><label>filter <input id="t-filter" type="search" size="34" placeholder="test id" autocomplete="off"></label><span class="count" id="t-count"></span></div>
  <div class="tablewrap short"><table class="small" id="tests-table"><thead><tr><th>test</th><th class="num">modules</th><th>third-party distributions</th></tr></thead><tbody></tbody></table></div>
</section>

<section id="plan" aria-labelledby="plan-title" data-needs="plan" hidden>
  <h2 id="plan-title">Packaging plan</h2>
  <p class="meta" id="plan-source"></p>
  <div class="cards" id="plan-cards"></div>
  <div id="plan-body"></div>
</section>
</main>
<footer>Made by modtrace. This page is one file: it loads nothing from elsewhere.</footer>
<script type="application/json" id="modtrace-data">{data}</script>
<script>
{js}
</script>
</body>
</html>
"""
