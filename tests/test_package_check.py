"""`modtrace check`: declared dependencies (pyproject.toml, requirements
files) against the distributions the traced runs needed."""

import textwrap

import pytest

from _cli import modtrace, one_error_line
from _package import app_env
from modtrace.package.check import Declared, _marker_applies, normalize, parse_requirement, read_requirements


@pytest.fixture(scope="module")
def app():
    env = app_env()
    return env, env.trace("upper", "report.py")


def _pyproject(tmp_path, deps, optional=None, name="reportapp"):
    text = f'[project]\nname = "{name}"\nversion = "1.0"\ndependencies = {deps!r}\n'
    if optional:
        text += "\n[project.optional-dependencies]\n" + "".join(f"{k} = {v!r}\n" for k, v in optional.items())
    path = tmp_path / "pyproject.toml"
    path.write_text(text.replace("'", '"'))
    return path


def _check(app, *args):
    env, trace = app
    return env.modtrace("check", trace, *args)


def _section(out, title):
    """The entries listed under ``title (N)``."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(title + " ("):
            items = []
            for item in lines[i + 1:]:
                if not item.startswith("  "):
                    break
                if item.strip() != "(none)":
                    items.append(item.strip())
            return items
    return None


def test_consistent(app, tmp_path):
    # spelled differently from the metadata: names compare normalized (PEP 503)
    proc = _check(app, "--project", _pyproject(tmp_path, ["mt_tablefmt >= 1.0"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert _section(out, "declared but never used") == []
    assert _section(out, "used but not declared") == []
    # named as its metadata names it
    assert _section(out, "used and declared")[0].startswith("MT-TableFmt 1.2.0: tablefmt, tablefmt._layout")
    # used only by MT-TableFmt's code, which requires it: fine
    assert _section(out, "used by third-party code, provided through a declared dependency") == [
        "mt-palette 0.1.0: through MT-TableFmt -> mt-palette"
    ]
    assert out.rstrip().endswith("consistent: the declared dependencies are what the traced runs needed")


def test_declared_but_never_used(app, tmp_path):
    path = _pyproject(tmp_path, ["MT-TableFmt", "sheetwriter"], {"docs": ["Sphinx-Thing>=1"]})
    proc = _check(app, "--project", path)
    assert proc.returncode == 1
    unused = _section(proc.stdout, "declared but never used")
    assert unused == [
        "sheetwriter: loaded, never used: imported only by reporter.export (reporter.export mocked)  [pyproject.toml: dependencies]",
        "Sphinx-Thing: not installed here, and no traced run needed it  [pyproject.toml: optional-dependencies docs]",
    ]
    assert "not consistent: 2 declared but never used, 0 used but not declared" in proc.stdout
    # extras can be chosen, or left out
    assert len(_section(_check(app, "--project", path, "--no-extras").stdout, "declared but never used")) == 1
    proc = _check(app, "--project", path, "--extra", "nope")
    assert "has no optional dependencies 'nope'" in one_error_line(proc)


def test_used_but_not_declared(app, tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("mt-palette==0.1.0\n")
    proc = _check(app, "-r", req)
    assert proc.returncode == 1
    assert _section(proc.stdout, "used but not declared") == ["MT-TableFmt 1.2.0: used by the project's own code: reporter.cli"]
    assert _section(proc.stdout, "used and declared") == ["mt-palette 0.1.0: palette  [requirements.txt:1]"]


def test_a_transitive_dependency_the_project_uses_directly_must_be_declared(tmp_path):
    """The project's own code uses mt-palette, which only MT-TableFmt (declared)
    requires: reported, with the declared dependency that pulls it in."""
    env = app_env()
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text("import palette\nimport tablefmt\nprint(palette.rule(3), tablefmt.table([('a',)]))\n")
    trace = tmp_path / "t.json"
    proc = env.modtrace("run", "-o", trace, "main.py", cwd=app)
    assert proc.returncode == 0, proc.stderr
    proc = env.modtrace("check", trace, "--project", _pyproject(tmp_path, ["MT-TableFmt"]), cwd=app)
    assert proc.returncode == 1
    assert _section(proc.stdout, "used but not declared") == [
        "mt-palette 0.1.0: used by the project's own code: __main__; now installed only because "
        "MT-TableFmt -> mt-palette requires it"
    ]


def test_requirements_files(tmp_path):
    (tmp_path / "base.txt").write_text("# base\nAlpha_Pkg[extra]>=1.0 ; python_version >= '3'\n")
    (tmp_path / "requirements.txt").write_text(
        textwrap.dedent(
            """\
            -r base.txt
            --index-url https://example.invalid/simple
            beta==2.0 --hash=sha256:abcd \\
                --hash=sha256:ef01
            gamma @ https://example.invalid/gamma.whl
            https://example.invalid/nameless.whl
            -e git+https://example.invalid/delta.git#egg=delta
            old-thing; python_version < "3.0"
            """
        )
    )
    reqs = read_requirements(tmp_path / "requirements.txt")
    assert [(r.name, r.key, r.applies) for r in reqs] == [
        ("Alpha_Pkg", "alpha-pkg", True),
        ("beta", "beta", True),
        ("gamma", "gamma", True),
        ("delta", "delta", True),
        ("old-thing", "old-thing", False),
    ]
    assert reqs[1].where == "requirements.txt:3"


@pytest.mark.parametrize(
    "marker, expected",
    [
        ("python_version >= '3.8'", True),
        ("python_version < '3.8'", False),
        ("python_full_version >= '3.10.0' and os_name == 'posix'", True),
        ("(sys_platform == 'win32' or sys_platform == 'linux') and python_version != '2.7'", True),
        ("'linux' in sys_platform", True),
        ("extra == 'test'", False),
        ("nonsense_variable == '1'", None),
        ("python_version >=", None),
    ],
)
def test_markers(marker, expected):
    assert _marker_applies(marker) is expected


def test_names_are_normalized():
    assert normalize("Foo.Bar__baz-QUX") == "foo-bar-baz-qux"
    assert parse_requirement("Foo.Bar[x] (>=1)", "here").key == "foo-bar"
    assert parse_requirement("./local/path", "here") is None
    assert isinstance(parse_requirement("six", "here"), Declared)


@pytest.mark.parametrize(
    "files, args, message",
    [
        ({}, ("t.json",), "check: give --project pyproject.toml or -r requirements.txt (no ./pyproject.toml here)"),
        ({}, ("t.json", "--project", "none.toml"), "can't read none.toml: no such file"),
        ({"p.toml": "[project\n"}, ("t.json", "--project", "p.toml"), "p.toml is not valid TOML"),
        ({"p.toml": "[tool.x]\n"}, ("t.json", "--project", "p.toml"), "p.toml has no [project] table (PEP 621)"),
        (
            {"p.toml": '[project]\nname = "x"\ndynamic = ["dependencies"]\n'},
            ("t.json", "--project", "p.toml"),
            "p.toml declares its dependencies as dynamic",
        ),
        ({}, ("t.json", "-r", "none.txt"), "can't read none.txt: no such file"),
    ],
)
def test_check_bad_input_is_one_line(tmp_path, files, args, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    proc = modtrace("check", *args, cwd=tmp_path)
    assert proc.returncode in (1, 2)
    assert message in one_error_line(proc)
