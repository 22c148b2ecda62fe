"""`modtrace run` end to end: the JSON trace, the reports, filters, classification
of a real multi-module program with third-party dependencies."""

import json
import os
import re
import sys
import textwrap

import pytest

from _cli import PROGRAMS, ROOT, load, modtrace, modules, python


@pytest.fixture(scope="module")
def plugshop(tmp_path_factory):
    """One traced run of the plugshop program (pluggy + iniconfig), shared."""
    out = tmp_path_factory.mktemp("plugshop") / "trace.json"
    proc = modtrace("run", "-o", out, "-m", "plugshop", "50")
    assert proc.returncode == 0, proc.stderr
    return proc, load(out)


def test_the_json_trace_follows_the_schema(plugshop):
    _, doc = plugshop
    assert doc["schema"] == "modtrace.trace/1"
    meta = doc["meta"]
    assert meta["modtrace"] and meta["python"] == ".".join(map(str, sys.version_info[:3]))
    assert meta["command"][:3] == ["modtrace", "run", "-o"]
    assert meta["program"] == {"kind": "module", "argv": ["python", "-m", "plugshop", "50"]}
    assert meta["exit_status"] == 0
    assert isinstance(doc["loaded_unused"], list)
    for m in doc["modules"]:
        assert set(m) >= {"name", "file", "kind", "distribution", "uses", "first_use", "contexts"}
        assert m["kind"] in ("main", "first_party", "third_party", "stdlib")
        assert m["uses"] and set(m["uses"]) <= {"executed", "called", "imported"}
        assert m["file"] is None or os.path.isabs(m["file"])
        d = m["distribution"]
        assert d is None or (set(d) == {"name", "version"} and d["name"])
        fu = m["first_use"]
        assert fu is None or set(fu) >= {"file", "line", "function", "context", "kind", "by"}
    names = [m["name"] for m in doc["modules"]]
    assert names == sorted(names)


def test_the_json_trace_loads_as_a_trace(plugshop):
    from modtrace import Trace

    _, doc = plugshop
    trace = Trace.from_dict(doc)
    assert trace.names() == [m["name"] for m in doc["modules"]]


def test_multi_module_program_with_third_party_dependencies(plugshop):
    proc, doc = plugshop
    assert proc.stdout == "final price 55.00\n"
    used = modules(doc)
    assert used["__main__"]["kind"] == "main"
    for name in ("plugshop", "plugshop.app", "plugshop.hooks", "plugshop.plugins", "plugshop.settings"):
        assert used[name]["kind"] == "first_party", name
        assert used[name]["distribution"] is None
    import pluggy
    from importlib.metadata import version

    for name in ("pluggy", "pluggy._manager", "pluggy._hooks"):
        assert used[name]["kind"] == "third_party"
        assert used[name]["distribution"] == {"name": "pluggy", "version": version("pluggy")}
    assert used["iniconfig"]["distribution"]["name"] == "iniconfig"
    # run time use of pluggy's plugin manager; settings and iniconfig only imported
    assert {"called", "executed"} & set(used["pluggy._manager"]["uses"])
    assert used["plugshop.settings"]["uses"] == ["imported"]
    assert used["iniconfig"]["uses"] == ["imported"]
    assert used["iniconfig"]["first_use"]["by"] == "plugshop.settings"
    assert used["iniconfig"]["first_use"]["context"] == "plugshop.settings"
    assert used["json"]["kind"] == "stdlib" if "json" in used else True
    dists = {d["name"]: d for d in doc["distributions"]}
    if "setuptools" in dists:  # its distutils hack, loaded at start-up, runs on each import
        assert dists.pop("setuptools")["modules"] == ["_distutils_hack"]
    assert set(dists) == {"pluggy", "iniconfig"}
    assert "pluggy._manager" in dists["pluggy"]["modules"]
    assert pluggy  # imported to find its version


def test_text_report_groups_by_kind_then_distribution(plugshop):
    proc, _ = plugshop
    report = proc.stderr
    order = [report.index(h) for h in ("\nmain (", "\nfirst party (", "\nthird party (", "\nstandard library (")]
    assert order == sorted(order)
    third = report[report.index("\nthird party ("):report.index("\nstandard library (")]
    assert re.search(r"^  iniconfig \S+: \d+ modules?$", third, re.M)
    assert re.search(r"^  pluggy \S+: \d+ modules$", third, re.M)
    assert re.search(r"^    pluggy\._manager +run time", third, re.M)
    assert "imported by plugshop.app at plugshop/app.py:4" in report
    only = report[report.index("only imported:"):report.index("loaded but never used")]
    assert re.search(r"^  iniconfig +imported by plugshop\.settings at plugshop/settings\.py:1, "
                     r"during import of plugshop\.settings$", only, re.M)
    assert re.search(r"^  plugshop\.settings +imported by plugshop\.app", only, re.M)
    assert "loaded but never used" in report


def test_report_goes_to_stderr_and_stdout_is_untouched():
    plain = python("-m", "plugshop", "10")
    traced = modtrace("run", "-m", "plugshop", "10")
    assert traced.stdout == plain.stdout
    assert traced.stderr.lstrip().startswith("modtrace: ")


@pytest.mark.parametrize("fmt", ["text", "json", "requirements", "dot", "mermaid"])
def test_formats(fmt, tmp_path):
    report = tmp_path / "report.out"
    proc = modtrace("run", "--format", fmt, "--report", report, "-m", "plugshop")
    assert proc.returncode == 0
    assert proc.stdout == "final price 110.00\n"
    assert proc.stderr == ""  # the report went to the file
    text = report.read_text(encoding="utf-8")
    if fmt == "json":
        assert json.loads(text)["schema"] == "modtrace.trace/1"
    elif fmt == "requirements":
        from importlib.metadata import version

        reqs = [line.split("#")[0].strip() for line in text.splitlines() if not line.startswith("#")]
        expected = [f"iniconfig=={version('iniconfig')}", f"pluggy=={version('pluggy')}"]
        # a venv with setuptools' distutils hack runs its import hook (a module
        # loaded at start-up by a .pth file) on every import: that is a use too
        hooks = [line for line in text.splitlines() if "_distutils_hack" in line]
        assert [r for r in reqs if not r.startswith("setuptools==")] == expected
        assert len(reqs) == len(expected) + len(hooks)
        assert "only imported" in [line for line in text.splitlines() if line.startswith("iniconfig")][0]
    elif fmt == "dot":
        assert text.startswith("digraph modtrace {") and text.rstrip().endswith("}")
        assert '"plugshop.app" -> "pluggy._manager";' in text
        assert 'label="pluggy ' in text
    elif fmt == "mermaid":
        assert text.startswith("flowchart LR")
        assert '["plugshop.app"]' in text and "-->" in text
    else:
        assert "third party" in text


def test_format_short_option_and_equals_form(tmp_path):
    proc = modtrace("run", "-f", "requirements", "-m", "plugshop")
    assert proc.stderr.startswith("# The third-party distributions")
    proc = modtrace("run", "--format=requirements", "-m", "plugshop")
    assert "pluggy==" in proc.stderr


def test_include_and_exclude(tmp_path):
    out = tmp_path / "t.json"
    proc = modtrace("run", "--include", "plugshop.**", "--include", "pluggy.*", "--exclude", "pluggy._h*",
                    "-o", out, "-m", "plugshop")
    assert proc.returncode == 0, proc.stderr
    doc = load(out)
    names = set(modules(doc))
    assert "plugshop" in names and "plugshop.app" in names
    assert "pluggy._manager" in names
    assert "pluggy" not in names  # pluggy.* is one segment below pluggy
    assert "pluggy._hooks" not in names
    assert not [n for n in names if not (n.startswith("plugshop") or n.startswith("pluggy."))]
    assert doc["meta"]["filter"] == {"include": ["plugshop.**", "pluggy.*"], "exclude": ["pluggy._h*"]}
    assert all(n.startswith(("plugshop", "pluggy.")) for n in doc["loaded_unused"])


def test_trace_written_when_the_program_fails(tmp_path):
    out = tmp_path / "t.json"
    proc = modtrace("run", "-o", out, "fail.py")
    assert proc.returncode == 1
    assert "ZeroDivisionError" in proc.stderr
    doc = load(out)
    assert doc["meta"]["exit_status"] == 1
    assert "__main__" in modules(doc)


def test_trace_written_when_the_program_exits_non_zero(tmp_path):
    out = tmp_path / "t.json"
    proc = modtrace("run", "-o", out, "exits.py", "5")
    assert proc.returncode == 5
    assert load(out)["meta"]["exit_status"] == 5


def test_trace_is_replaced_whole(tmp_path):
    out = tmp_path / "t.json"
    out.write_text("old content")
    modtrace("run", "-o", out, "noop.py")
    assert load(out)["schema"] == "modtrace.trace/1"
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]  # no temporary file left


def _fake_site(root):
    """A site-packages with distributions whose import names differ from their
    names, and a namespace package split over two distributions."""
    site = root / "site-packages"
    files = {
        "yamlish/__init__.py": "from yamlish.dump import dump\n",
        "yamlish/dump.py": "def dump(obj):\n    return repr(obj)\n",
        "nsfake/alpha/__init__.py": "def hello():\n    return 'alpha'\n",
        "nsfake/beta/__init__.py": "def hello():\n    return 'beta'\n",
    }
    for rel, text in files.items():
        p = site / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    dists = {
        "Py_Yamlish-6.0.1": ["yamlish/__init__.py", "yamlish/dump.py"],
        "nsfake_alpha-1.0": ["nsfake/alpha/__init__.py"],
        "nsfake_beta-2.0": ["nsfake/beta/__init__.py"],
    }
    for dist, members in dists.items():
        name, version = dist.rsplit("-", 1)
        info = site / f"{dist}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n")
        record = [f"{m},," for m in members] + [f"{dist}.dist-info/METADATA,,", f"{dist}.dist-info/RECORD,,"]
        (info / "RECORD").write_text("\n".join(record) + "\n")
    return site


def test_distributions_whose_import_names_differ_and_namespace_packages(tmp_path):
    site = _fake_site(tmp_path)
    prog = tmp_path / "prog.py"
    prog.write_text(textwrap.dedent("""
        import yamlish
        import nsfake.alpha, nsfake.beta
        print(yamlish.dump([1]), nsfake.alpha.hello(), nsfake.beta.hello())
    """))
    out = tmp_path / "t.json"
    proc = modtrace("run", "-o", out, prog, env={"PYTHONPATH": str(site)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "[1] alpha beta\n"
    used = modules(load(out))
    assert used["yamlish"]["kind"] == "third_party"
    assert used["yamlish"]["distribution"] == {"name": "Py-Yamlish", "version": "6.0.1"}
    assert used["yamlish.dump"]["distribution"] == {"name": "Py-Yamlish", "version": "6.0.1"}
    assert used["nsfake.alpha"]["distribution"] == {"name": "nsfake-alpha", "version": "1.0"}
    assert used["nsfake.beta"]["distribution"] == {"name": "nsfake-beta", "version": "2.0"}
    ns = used["nsfake"]
    assert ns["kind"] == "third_party"
    assert {d["name"] for d in ns["distributions"]} == {"nsfake-alpha", "nsfake-beta"}
    assert proc.stderr.count("Py-Yamlish 6.0.1: 2 modules") == 1


def test_bundled_example_runs(tmp_path):
    out = tmp_path / "t.json"
    plain = python(ROOT / "examples" / "shop" / "main.py", cwd=ROOT)
    proc = modtrace("run", "-o", out, "examples/shop/main.py", cwd=ROOT)
    assert proc.returncode == plain.returncode == 0
    assert proc.stdout == plain.stdout
    assert "total" in proc.stdout
    used = modules(load(out))
    assert {n for n, m in used.items() if m["kind"] == "first_party"} == {"cart", "catalog", "export"}
    assert used["export"]["uses"] == ["imported"]
    assert used["csv"]["first_use"]["by"] == "export"
    assert {"called", "executed"} & set(used["json"]["uses"])
    assert used["json"]["contexts"][0]["context"] is None  # used at run time
    assert "only imported" in proc.stderr


def test_programs_on_the_path_are_not_confused_with_modtrace(tmp_path):
    """A program with its own `trace` and `report` modules (names modtrace uses
    inside its package) runs with its own."""
    (tmp_path / "report.py").write_text("def show():\n    return 'my report'\n")
    prog = tmp_path / "prog.py"
    prog.write_text("import report\nprint(report.show())\n")
    out = tmp_path / "t.json"
    proc = modtrace("run", "-o", out, prog)
    assert proc.stdout == "my report\n"
    assert modules(load(out))["report"]["kind"] == "first_party"
