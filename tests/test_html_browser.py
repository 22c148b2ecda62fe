"""The HTML report in a real headless Chromium: a traced program's page renders
without script errors and loads nothing from elsewhere; filtering, sorting, the
graph (folding and opening groups) and the why chain work; per-test data and a
packaging plan show when present; names from the trace are text, never markup.
Screenshots go to tests/artifacts/ for review."""

import json

import pytest

from _cli import load, modtrace, modules
from _html import Browser, screenshot


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def plugshop(tmp_path_factory):
    """plugshop (pluggy + iniconfig) traced once; its page written by `run`."""
    d = tmp_path_factory.mktemp("html")
    trace, page = d / "trace.json", d / "page.html"
    proc = modtrace("run", "-o", trace, "--format", "html", "--report", page, "-m", "plugshop")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "final price 110.00\n"
    return trace, page, load(trace)


@pytest.fixture
def open_page(browser):
    pages = []

    def opener(path, fragment="", **kw):
        page = browser.open(path, fragment, **kw)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        errors, dialogs = page.errors, page.dialogs
        page.close()
        assert not errors, errors
        assert not dialogs, dialogs


def visible_rows(page):
    return page.eval_on_selector_all(
        "#module-table tbody tr:not([hidden])", "rows => rows.map(r => r.getAttribute('data-name'))"
    )


def node_ids(page, svg="#g-svg"):
    return page.eval_on_selector_all(f"{svg} g.node", "gs => gs.map(g => g.getAttribute('data-id'))")


def chain_of(doc, name):
    """The first-use chain of a saved trace, entry point first."""
    by = modules(doc)
    out = []
    while name is not None and name not in out:
        out.insert(0, name)
        first = by[name]["first_use"]
        name = first and first["by"]
    return out


def test_page_renders_offline_without_script_errors(plugshop, open_page):
    trace, path, doc = plugshop
    page = open_page(path)
    used = modules(doc)
    assert page.inner_text("#headline") == f"{len(used)} modules used by `python -m plugshop`, exit status 0"
    # the summary: counts as the trace has them
    cards = page.inner_text("#cards")
    run_time = sum(1 for m in doc["modules"] if any(c["context"] is None and set(c["uses"]) & {"called", "executed"} for c in m["contexts"]))
    assert f"{run_time}\nused at run time" in cards
    assert f"{len(doc['loaded_unused'])}\nloaded but unused" in cards
    assert "third party" in cards and "standard library" in cards
    dists = page.inner_text("#dist-table")
    for d in doc["distributions"]:
        assert d["name"] in dists and d["version"] in dists
    assert len(visible_rows(page)) == len(used)
    # one file: the only thing the browser fetched is the page itself
    assert set(page.requests) == {path.resolve().as_uri()}, page.requests
    assert page.evaluate("""() => ({
        src: document.querySelectorAll("[src], link, iframe, object, embed").length,
        links: [...document.querySelectorAll("a[href]")].filter(a => !a.getAttribute("href").startsWith("#")).length,
        imports: [...document.styleSheets].flatMap(s => [...s.cssRules]).filter(r => r instanceof CSSImportRule || r instanceof CSSFontFaceRule).length,
    })""") == {"src": 0, "links": 0, "imports": 0}
    screenshot(page, "html-report-first-view.png")


def test_report_command_writes_the_same_page(plugshop, tmp_path, open_page):
    trace, _, doc = plugshop
    out = tmp_path / "again.html"
    proc = modtrace("report", trace, "--format", "html", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    page = open_page(out)
    assert len(visible_rows(page)) == len(doc["modules"])
    assert load(trace) == doc  # -o named the page: the trace is untouched


def test_filtering(plugshop, open_page):
    _, path, doc = plugshop
    page = open_page(path)
    names = [m["name"] for m in doc["modules"]]
    page.click("#module-table th[data-key=name] button")  # by name
    page.fill("#filter", "pluggy")
    rows = visible_rows(page)
    assert rows == sorted(n for n in names if "pluggy" in n)
    assert f"{len(rows)} of {len(names)} modules" == page.inner_text("#row-count")
    page.fill("#filter", "plugshop.**")  # a modtrace pattern
    assert visible_rows(page) == sorted(n for n in names if n == "plugshop" or n.startswith("plugshop."))
    page.fill("#filter", "")
    page.select_option("#f-kind", "third_party")
    assert visible_rows(page) == sorted(m["name"] for m in doc["modules"] if m["kind"] == "third_party")
    page.select_option("#f-when", "only")
    only = visible_rows(page)
    assert only and all(modules(doc)[n]["uses"] == ["imported"] for n in only)
    page.click("#f-reset")
    page.select_option("#f-context", "i:plugshop.settings")
    assert visible_rows(page) == sorted(
        m["name"] for m in doc["modules"] if any(c["context"] == "plugshop.settings" for c in m["contexts"])
    )
    page.click("#f-reset")
    assert len(visible_rows(page)) == len(names)
    # a card of the summary filters the table
    page.click("#cards .card:has-text('only imported')")
    assert page.input_value("#f-when") == "only"


def test_sorting(plugshop, open_page):
    _, path, doc = plugshop
    page = open_page(path)
    names = sorted(m["name"] for m in doc["modules"])
    order = ["main", "first_party", "third_party", "stdlib"]
    by_kind = sorted(names, key=lambda n: (order.index(modules(doc)[n]["kind"]), n))
    assert visible_rows(page) == by_kind  # the program's own modules first
    page.click("#module-table th[data-key=name] button")
    assert visible_rows(page) == names
    page.click("#module-table th[data-key=name] button")
    assert visible_rows(page) == names[::-1]
    assert page.get_attribute("#module-table th[data-key=name]", "aria-sort") == "descending"
    page.click("#module-table th[data-key=kind] button")
    kinds = [modules(doc)[n]["kind"] for n in visible_rows(page)]
    assert kinds == sorted(kinds, key=order.index)
    assert kinds[0] == "main"
    page.click("#module-table th[data-key=when] button")
    page.click("#module-table th[data-key=when] button")  # descending: only imported first
    first = visible_rows(page)[0]
    assert modules(doc)[first]["uses"] == ["imported"]


def test_graph_renders_folds_and_opens(plugshop, open_page):
    _, path, doc = plugshop
    page = open_page(path)
    names = {m["name"] for m in doc["modules"]}
    page.select_option("#g-preset", "none")
    assert set(node_ids(page)) == {"m:" + n for n in names}
    assert page.locator("#g-svg path.edge").count() > len(names) // 2
    # double-click a module: its package folds into one node
    page.dblclick('#g-svg g.node[data-id="m:pluggy._hooks"]')
    folded = node_ids(page)
    assert "p:pluggy" in folded and "m:pluggy._hooks" not in folded
    pluggy = [n for n in names if n == "pluggy" or n.startswith("pluggy.")]
    assert len(folded) == len(names) - len(pluggy) + 1
    assert "pluggy.**" in page.text_content('#g-svg g.node[data-id="p:pluggy"]')
    # double-click the group: open again
    page.dblclick('#g-svg g.node[data-id="p:pluggy"]')
    assert set(node_ids(page)) == {"m:" + n for n in names}
    # fold a distribution from the details panel
    page.click('#g-svg g.node[data-id="m:iniconfig._parse"]')
    assert page.inner_text("#details h3") == "iniconfig._parse"
    page.click("#details button:has-text('fold iniconfig')")
    ids = node_ids(page)
    assert not any(i.startswith("m:iniconfig") for i in ids)
    assert any(i.startswith("p:iniconfig") or i.startswith("d:") for i in ids)
    # without the standard library
    page.uncheck("#g-stdlib")
    ids = node_ids(page)
    std = {m["name"] for m in doc["modules"] if m["kind"] == "stdlib"}
    assert ids and not any(i[2:] in std for i in ids)
    # presets
    page.select_option("#g-preset", "dists")
    assert "d:" in " ".join(node_ids(page))
    screenshot(page.locator("#graph"), "html-report-graph.png")


def test_why_chain(plugshop, open_page):
    _, path, doc = plugshop
    page = open_page(path)
    target = "iniconfig._parse"
    expected = chain_of(doc, target)
    assert expected[0] == "__main__" and len(expected) >= 3
    page.fill("#why-input", target)
    chain = page.eval_on_selector_all("#why-chain li", "lis => lis.map(li => li.getAttribute('data-name'))")
    assert chain == expected
    steps = page.inner_text("#why-chain")
    first = modules(doc)[target]["first_use"]
    assert f"{first['function']}" in steps and f":{first['line']}" in steps
    # the picture: the chain's modules, in colour
    chained = page.eval_on_selector_all("#why-svg g.node.chain", "gs => gs.map(g => g.getAttribute('data-id'))")
    assert set(chained) == set(expected)
    assert page.locator("#why-svg path.edge.chain").count() == len(expected) - 1
    # the details panel has it too, and the graph marks the module
    assert page.inner_text("#details h3") == target
    # a link to a module (#m=NAME) opens on it
    page2 = open_page(path, "#m=pluggy._manager")
    assert page2.inner_text("#details h3") == "pluggy._manager"
    assert page2.eval_on_selector_all("#why-chain li", "lis => lis.map(li => li.getAttribute('data-name'))") == chain_of(
        doc, "pluggy._manager"
    )
    page2.locator("#why").scroll_into_view_if_needed()
    screenshot(page2, "html-report-why.png")


def test_tests_and_plan(plugshop, tmp_path, open_page):
    trace, _, doc = plugshop
    names = [m["name"] for m in doc["modules"]]
    pluggy = sorted(n for n in names if n.startswith("pluggy"))
    doc = json.loads(json.dumps(doc))
    doc["tests"] = {
        "tests/test_app.py::test_price": ["__main__", "plugshop.app"] + pluggy,
        "tests/test_cfg.py::test_load[<b>x</b>]": ["plugshop.settings", "iniconfig"],
    }
    with_tests = tmp_path / "tests.json"
    with_tests.write_text(json.dumps(doc))
    plan = {
        "schema": "modtrace.plan/1",
        "intern": [{"name": "__main__", "reason": {"kind": "entry", "via": None}},
                   {"name": "plugshop.app", "reason": {"kind": "run_time", "via": None}}],
        "extern": [{"name": "pluggy", "version": "1.7.0", "modules": ["pluggy._manager"]}],
        "stdlib": ["sys"],
        "mock": [{"name": "plugshop.settings", "reason": {"kind": "imported_by", "via": "plugshop.app"}}],
        "notes": ["made by hand for this test"],
    }
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan))
    out = tmp_path / "page.html"
    proc = modtrace("report", with_tests, "--format", "html", "--report", out, "--plan", plan_file)
    assert proc.returncode == 0, proc.stderr
    page = open_page(out)
    assert page.is_visible("#tests") and page.is_visible("#plan")
    assert "2 tests" in page.inner_text("#tests-summary")
    assert "tests/test_cfg.py::test_load[<b>x</b>]" in page.inner_text("#tests-table")
    page.click("#tests-table tr:has-text('test_cfg')")
    assert sorted(visible_rows(page)) == ["iniconfig", "plugshop.settings"]
    page.click("#f-reset")
    page.select_option("#f-plan", "mock")
    assert visible_rows(page) == ["plugshop.settings"]
    page.select_option("#f-plan", "extern")
    assert visible_rows(page) == pluggy  # the whole distribution comes with it
    assert "pluggy==1.7.0" in page.inner_text("#plan-body")
    assert "imported by plugshop.app" in page.inner_text("#plan-body")
    page.fill("#why-input", "plugshop.settings")
    assert "mock" in page.inner_text("#why-body")
    assert "tests that used it (1)" in page.inner_text("#details")
    page.select_option("#g-color", "plan")
    assert "mock" in page.inner_text("#g-legend")
    screenshot(page, "html-report-tests-plan.png")


def test_names_from_the_trace_are_text_not_markup(tmp_path, open_page):
    evil = 'x</script><img src=x onerror="alert(1)">'
    doc = {
        "schema": "modtrace.trace/1",
        "meta": {"python": "3.12.1", "program": {"kind": "script", "argv": ["python", "<b>bold</b>.py"]}},
        "loaded_unused": ["<!--"],
        "tests": {"t::<i>x</i>": [evil]},
        "modules": [
            {"name": "__main__", "file": "/tmp/<b>bold</b>.py", "contexts": [{"context": None, "uses": ["executed"]}],
             "first_use": {"kind": "executed", "context": None, "file": None, "line": None, "function": None, "by": None},
             "used_by": [], "kind": "main", "distribution": None},
            {"name": evil, "file": "/tmp/</script>.py", "contexts": [{"context": None, "uses": ["called"]}],
             "first_use": {"kind": "called", "context": None, "file": "/tmp/<b>bold</b>.py", "line": 3,
                           "function": "<lambda>", "by": "__main__"},
             "used_by": ["__main__"], "kind": "first_party", "distribution": {"name": "<dist>", "version": "1&2"}},
        ],
    }
    trace = tmp_path / "evil.json"
    trace.write_text(json.dumps(doc))
    out = tmp_path / "evil.html"
    proc = modtrace("report", trace, "--format", "html", "-o", out)
    assert proc.returncode == 0, proc.stderr
    page = open_page(out)
    assert page.locator("img").count() == 0 and page.locator("b").count() == 0
    assert page.locator("i").count() == 0
    assert sorted(visible_rows(page)) == sorted(["__main__", evil])
    assert evil in page.inner_text("#module-table")
    assert "<b>bold</b>.py" in page.inner_text("#headline")
    assert "<dist> 1&2" in page.inner_text("#module-table")
    page.fill("#why-input", evil)
    assert page.eval_on_selector_all("#why-chain li", "lis => lis.map(li => li.getAttribute('data-name'))") == ["__main__", evil]
    assert page.title().startswith("modtrace: ") and "<b>bold</b>.py" in page.title()


def _big_trace(n_packages=12, per_package=30):
    """A synthetic trace of a few hundred modules: first-party packages that
    use each other, third-party distributions and standard-library modules."""
    mods = {}

    def add(name, kind, by, dist=None, ctx=None, uses=("called", "executed")):
        mods[name] = {
            "name": name, "file": f"/src/{name.replace('.', '/')}.py",
            "contexts": [{"context": ctx, "uses": sorted(uses)}],
            "first_use": {"kind": "imported", "context": ctx, "file": f"/src/{by.replace('.', '/')}.py" if by else None,
                          "line": 1, "function": "<module>", "by": by},
            "used_by": [by] if by else [], "kind": kind, "distribution": dist,
        }

    add("__main__", "main", None)
    for p in range(n_packages):
        pkg = f"app{p}"
        add(pkg, "first_party", "__main__")
        for i in range(per_package):
            sub = f"{pkg}.mod{i}"
            add(sub, "first_party", pkg if i < 5 else f"{pkg}.mod{i // 5 - 1}",
                ctx=None if i % 3 else pkg, uses=("called",) if i % 4 else ("imported",))
    for d in range(4):
        dist = {"name": f"dist{d}", "version": f"{d}.0"}
        for i in range(15):
            add(f"lib{d}" + (f".m{i}" if i else ""), "third_party", f"app{d}.mod{i}", dist)
    for i in range(40):
        add(f"std{i}", "stdlib", f"app{i % n_packages}")
    names = list(mods)
    for k, name in enumerate(names[1:], 1):  # more users than the first one
        extra = names[(k * 7) % len(names)]
        if extra != name and extra not in mods[name]["used_by"]:
            mods[name]["used_by"].append(extra)
    for m in mods.values():
        m["used_by"].sort()
    return {"schema": "modtrace.trace/1", "meta": {"python": "3.12.1"}, "modules": [mods[n] for n in sorted(mods)]}


def test_a_few_hundred_modules_stay_readable(tmp_path, open_page):
    import time

    doc = _big_trace()
    n = len(doc["modules"])
    assert n > 400
    trace = tmp_path / "big.json"
    trace.write_text(json.dumps(doc))
    out = tmp_path / "big.html"
    assert modtrace("report", trace, "--format", "html", "-o", out).returncode == 0
    start = time.monotonic()
    page = open_page(out)
    assert time.monotonic() - start < 10
    # automatic grouping: at most 80 boxes, the program's own packages open first
    ids = node_ids(page)
    assert 10 <= len(ids) <= 80, len(ids)
    assert any(i.startswith("m:app") for i in ids)
    page.select_option("#g-preset", "none")
    assert len(node_ids(page)) == n
    page.select_option("#g-preset", "packages")
    assert len(node_ids(page)) < 80
    # every box stays inside the drawing, none on top of another
    boxes = page.eval_on_selector_all(
        "#g-svg g.node rect", "rs => rs.map(r => { const b = r.getBBox(); const m = r.parentNode.transform.baseVal.consolidate().matrix; return [m.e, m.f, b.width, b.height]; })"
    )
    seen = set()
    for x, y, w, h in boxes:
        assert (round(x), round(y)) not in seen
        seen.add((round(x), round(y)))
    page.select_option("#g-preset", "auto")
    screenshot(page.locator("#graph"), "html-report-big-graph.png")
