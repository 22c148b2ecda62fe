"""Classification: stdlib (builtin, frozen), third party with its distribution
(import names that differ from the distribution's, namespace packages), first
party (editable installs too), main."""

import json
import os
import sys
import sysconfig

import pytest

from modtrace import Trace
from modtrace.classify import Environment, ModuleInfo, classify_trace


def _dist(site, dist, members, *, record=True, editable_dir=None, top_level=None):
    name, version = dist.rsplit("-", 1)
    info = site / f"{dist}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    for rel in members:
        p = site / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
    if record:
        lines = [f"{m},sha256=x,0" for m in members] + [f"{dist}.dist-info/METADATA,,"]
        (info / "RECORD").write_text("\n".join(lines) + "\n")
    if editable_dir is not None:
        (info / "direct_url.json").write_text(
            json.dumps({"url": f"file://{editable_dir}", "dir_info": {"editable": True}})
        )
    if top_level is not None:
        (info / "top_level.txt").write_text(top_level + "\n")


@pytest.fixture
def env(tmp_path):
    site = tmp_path / "site-packages"
    _dist(site, "PyYAML-6.0.1", ["yaml/__init__.py", "yaml/loader.py", "_yaml/__init__.py"])
    _dist(site, "python_dateutil-2.9.0", ["dateutil/__init__.py", "dateutil/parser/__init__.py"])
    _dist(site, "ns_alpha-1.0", ["nspkg/alpha/__init__.py"])
    _dist(site, "ns_beta-2.0", ["nspkg/beta.py"])
    _dist(site, "single_mod-0.3", ["single_mod.py", "fastthing.cpython-312-x86_64-linux-gnu.so"])
    _dist(site, "no_record-1.1", ["norec/__init__.py"], record=False, top_level="norec")
    project = tmp_path / "project"
    (project / "mypkg").mkdir(parents=True)
    (project / "mypkg" / "__init__.py").write_text("")
    _dist(site, "mypkg-0.1.dev0", ["__editable__.mypkg-0.1.dev0.pth"], editable_dir=project, top_level="mypkg")
    e = Environment(path=[str(site)])
    e.site = site
    e.project = project
    return e


def test_import_name_differs_from_distribution_name(env):
    info = env.classify("yaml", str(env.site / "yaml/__init__.py"))
    assert info.kind == "third_party"
    assert info.distribution == {"name": "PyYAML", "version": "6.0.1"}
    assert env.classify("yaml.loader", str(env.site / "yaml/loader.py")).distribution["name"] == "PyYAML"
    assert env.classify("_yaml", str(env.site / "_yaml/__init__.py")).distribution["name"] == "PyYAML"
    info = env.classify("dateutil.parser", str(env.site / "dateutil/parser/__init__.py"))
    assert info.distribution == {"name": "python_dateutil", "version": "2.9.0"}


def test_single_file_modules_and_extensions(env):
    assert env.classify("single_mod", str(env.site / "single_mod.py")).distribution["name"] == "single_mod"
    so = env.site / "fastthing.cpython-312-x86_64-linux-gnu.so"
    assert env.classify("fastthing", str(so)).distribution["name"] == "single_mod"


def test_namespace_package_split_over_distributions(env):
    assert env.classify("nspkg.alpha", str(env.site / "nspkg/alpha/__init__.py")).distribution["name"] == "ns_alpha"
    assert env.classify("nspkg.beta", str(env.site / "nspkg/beta.py")).distribution["name"] == "ns_beta"
    ns = env.classify("nspkg", None)  # a namespace package has no file
    assert ns.kind == "third_party"
    assert [d["name"] for d in ns.distributions] == ["ns_alpha", "ns_beta"]
    assert ns.to_dict()["distributions"] == ns.distributions


def test_installed_file_without_record_goes_by_top_level_name(env):
    info = env.classify("norec", str(env.site / "norec/__init__.py"))
    assert info.kind == "third_party" and info.distribution["name"] == "no_record"


def test_editable_install_is_first_party_with_its_distribution(env):
    info = env.classify("mypkg", str(env.project / "mypkg/__init__.py"))
    assert info.kind == "first_party"
    assert info.distribution == {"name": "mypkg", "version": "0.1.dev0"}


def test_first_party_and_main(env, tmp_path):
    mine = tmp_path / "mine.py"
    mine.write_text("")
    assert env.classify("mine", str(mine)) == ModuleInfo("first_party")
    assert env.classify("__main__", str(mine)).kind == "main"
    assert env.classify("made_up_at_run_time", None).kind == "first_party"


@pytest.mark.parametrize("name", ["sys", "builtins", "_imp", "_thread", "posix", "marshal"])
def test_builtin_modules_are_stdlib(env, name):
    assert env.classify(name, None) == ModuleInfo("stdlib")


@pytest.mark.parametrize("name", ["_frozen_importlib", "_frozen_importlib_external", "zipimport"])
def test_frozen_modules_are_stdlib(env, name):
    mod = sys.modules.get(name)
    assert env.classify(name, getattr(mod, "__file__", None)).kind == "stdlib"


def test_stdlib_modules_by_file(env):
    import json as json_mod
    import email.mime.text
    import test.support

    for mod in (os, json_mod, email.mime.text, test.support):
        assert env.classify(mod.__name__, mod.__file__).kind == "stdlib", mod
    import _json  # an extension module in lib-dynload, or builtin

    assert env.classify("_json", getattr(_json, "__file__", None)).kind == "stdlib"


def test_real_environment_distributions():
    import pluggy

    from importlib.metadata import version

    info = Environment().classify("pluggy", pluggy.__file__)
    assert info.kind == "third_party"
    assert info.distribution == {"name": "pluggy", "version": version("pluggy")}


def test_site_packages_inside_the_stdlib_directory_is_not_stdlib(env, tmp_path):
    """lib/python3.X/site-packages lies inside lib/python3.X."""
    stdlib = sysconfig.get_paths()["stdlib"]
    fake = os.path.join(stdlib, "site-packages", "not_there_pkg", "__init__.py")
    e = Environment(path=[os.path.join(stdlib, "site-packages")])
    assert e.classify("not_there_pkg", fake).kind == "third_party"


def test_classify_trace_keeps_known_answers(env):
    trace = Trace()
    trace.record("yaml", "imported", file=str(env.site / "yaml/__init__.py"))
    trace.record("json", "called", file=json.__file__)
    known = {"yaml": ModuleInfo("third_party", {"name": "PyYAML", "version": "1.0-elsewhere"})}
    infos = classify_trace(trace, env, known)
    assert infos["yaml"].distribution["version"] == "1.0-elsewhere"
    assert infos["json"].kind == "stdlib"


def test_module_info_from_saved_entries():
    assert ModuleInfo.from_dict({"kind": "stdlib", "distribution": None}) == ModuleInfo("stdlib")
    assert ModuleInfo.from_dict({"kind": "weird"}) is None
    assert ModuleInfo.from_dict({"kind": "third_party", "distribution": "x"}) is None
    assert ModuleInfo.from_dict({}) is None
