"""``modtrace check TRACE.json... --project pyproject.toml [-r requirements.txt]``:
the declared dependencies against the distributions the traced runs needed.

Declared: PEP 621 ``[project] dependencies`` and ``optional-dependencies`` of a
``pyproject.toml`` (``tomllib``; on Python 3.10 the ``tomli`` package), and
requirements files (``-r`` includes followed). Names are compared normalized
(PEP 503: ``Foo_Bar`` is ``foo-bar``) and shown as the distribution's own
metadata names them.

Findings:

declared but never used
    a declared distribution none of whose modules the runs needed (maybe
    imported, never used);
used but not declared
    a needed distribution that is not declared. When a declared distribution
    requires it (its metadata's ``Requires-Dist``, transitively) and only
    third-party code uses it, it is *provided through* that one, which is fine;
    when the project's own code uses it directly it is reported, with the
    declared dependency that happens to pull it in.

The exit status is 1 when either list is not empty, else 0.
"""

import os
import re
import sys

_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


class CheckError(Exception):
    """Bad input (unreadable file, no PEP 621 dependencies); one line."""


def normalize(name):
    """PEP 503."""
    return re.sub(r"[-_.]+", "-", name).lower()


class Declared:
    """One declared requirement."""

    __slots__ = ("name", "key", "text", "where", "marker", "applies")

    def __init__(self, name, text, where, marker=None, applies=True):
        self.name = name
        self.key = normalize(name)
        self.text = text
        #: where it is declared: "pyproject.toml: dependencies", "requirements.txt:3"
        self.where = where
        self.marker = marker
        #: True when its marker holds here (or it has none); None when unknown
        self.applies = applies


def _marker_applies(marker):
    """True or False when the PEP 508 ``marker`` holds or not here, None when it
    cannot be told (``extra`` markers count as not holding)."""
    if not marker:
        return True
    try:
        return _Marker(marker).evaluate()
    except (ValueError, IndexError, KeyError):
        return None


class _Marker:
    """A small evaluator of PEP 508 environment markers."""

    _TOKEN = re.compile(
        r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<op>===|==|!=|<=|>=|~=|<|>|\bnot\s+in\b|\bin\b)"""
        r"""|(?P<paren>[()])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"""
    )

    def __init__(self, text):
        self.tokens = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = self._TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError(f"bad marker {text!r}")
            kind = m.lastgroup
            value = m.group(kind)
            if kind == "op":
                value = " ".join(value.split())
            self.tokens.append((kind, value))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0

    def evaluate(self):
        value = self._or()
        if self.i != len(self.tokens):
            raise ValueError("trailing tokens")
        return value

    def _peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def _or(self):
        value = self._and()
        while self._peek() == ("word", "or"):
            self.i += 1
            right = self._and()
            value = value or right
        return value

    def _and(self):
        value = self._atom()
        while self._peek() == ("word", "and"):
            self.i += 1
            right = self._atom()
            value = value and right
        return value

    def _atom(self):
        if self._peek() == ("paren", "("):
            self.i += 1
            value = self._or()
            if self._peek() != ("paren", ")"):
                raise ValueError("missing )")
            self.i += 1
            return value
        left = self._value()
        kind, op = self._peek()
        if kind != "op":
            raise ValueError("expected an operator")
        self.i += 1
        right = self._value()
        return _compare(left, op, right)

    def _value(self):
        kind, value = self._peek()
        self.i += 1
        if kind == "str":
            return ("str", value[1:-1])
        if kind == "word":
            env = _environment()
            if value not in env:
                raise KeyError(value)
            return ("var", value, env[value])
        raise ValueError("expected a value")


_VERSION_VARS = {"python_version", "python_full_version", "implementation_version", "platform_release"}


def _compare(left, op, right):
    names = [v[1] for v in (left, right) if v[0] == "var"]
    lv = left[2] if left[0] == "var" else left[1]
    rv = right[2] if right[0] == "var" else right[1]
    if "extra" in names:
        return False  # only with an extra of the project
    if op in ("in", "not in"):
        found = lv in rv
        return found if op == "in" else not found
    if any(n in _VERSION_VARS for n in names):
        a, b = _version(lv), _version(rv)
        if a is not None and b is not None:
            if op == "~=":
                return a >= b and a[: max(len(b) - 1, 1)] == b[: max(len(b) - 1, 1)]
            return {"==": a == b, "===": lv == rv, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    return {"==": lv == rv, "===": lv == rv, "!=": lv != rv, "<": lv < rv, "<=": lv <= rv, ">": lv > rv, ">=": lv >= rv, "~=": lv == rv}[op]


def _version(text):
    parts = []
    for piece in text.split("."):
        m = re.match(r"\d+", piece)
        if not m:
            break
        parts.append(int(m.group()))
    if not parts:
        return None
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)


def _environment():
    import platform

    impl = sys.implementation
    iv = impl.version
    impl_version = f"{iv.major}.{iv.minor}.{iv.micro}"
    if iv.releaselevel != "final":
        impl_version += iv.releaselevel[0] + str(iv.serial)
    return {
        "os_name": os.name,
        "sys_platform": sys.platform,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "python_full_version": platform.python_version(),
        "implementation_name": impl.name,
        "implementation_version": impl_version,
        "extra": "",
    }


def parse_requirement(text, where):
    """A :class:`Declared` from a PEP 508 string, or None when it names no
    distribution (a bare URL or path)."""
    body, _, marker = text.partition(";")
    m = _NAME.match(body)
    if not m:
        return None
    rest = body[m.end():].lstrip()
    if rest and rest[0] not in "[<>=!~@(," and not rest.startswith("==="):
        return None
    marker = marker.strip() or None
    return Declared(m.group(1), text.strip(), where, marker, _marker_applies(marker))


def _load_toml(path):
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        try:
            import tomli as tomllib
        except ImportError:
            raise CheckError(
                f"can't read {path}: Python {sys.version_info[0]}.{sys.version_info[1]} has no TOML parser; "
                "install tomli (pip install tomli)"
            ) from None
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise CheckError(f"can't read {path}: no such file") from None
    except IsADirectoryError:
        raise CheckError(f"can't read {path}: it is a directory") from None
    except OSError as exc:
        raise CheckError(f"can't read {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # tomllib.TOMLDecodeError
        raise CheckError(f"{path} is not valid TOML: {' '.join(str(exc).split())}") from None


def read_pyproject(path, extras=None):
    """The declared dependencies of a ``pyproject.toml`` and its project name.
    ``extras``: the optional-dependency groups to include (None: all)."""
    data = _load_toml(path)
    project = data.get("project")
    shown = os.path.basename(path)
    if not isinstance(project, dict):
        raise CheckError(f"{path} has no [project] table (PEP 621)")
    deps = project.get("dependencies")
    dynamic = project.get("dynamic") or []
    if deps is None and "dependencies" in dynamic:
        raise CheckError(f"{path} declares its dependencies as dynamic: give them as a requirements file (-r)")
    deps = deps or []
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise CheckError(f"{path}: [project] dependencies must be a list of strings")
    out = []
    for d in deps:
        req = parse_requirement(d, f"{shown}: dependencies")
        if req is not None:
            out.append(req)
    optional = project.get("optional-dependencies") or {}
    if not isinstance(optional, dict):
        raise CheckError(f"{path}: [project.optional-dependencies] must be a table")
    if extras is not None:
        unknown = sorted(set(extras) - set(optional))
        if unknown:
            raise CheckError(f"{path} has no optional dependencies {', '.join(map(repr, unknown))}")
    for group, reqs in optional.items():
        if extras is not None and group not in extras:
            continue
        if not isinstance(reqs, list) or not all(isinstance(d, str) for d in reqs):
            raise CheckError(f"{path}: optional-dependencies {group!r} must be a list of strings")
        for d in reqs:
            req = parse_requirement(d, f"{shown}: optional-dependencies {group}")
            if req is not None:
                out.append(req)
    name = project.get("name") if isinstance(project.get("name"), str) else None
    return out, name


def read_requirements(path, _seen=None):
    """The requirements of a requirements file (``-r`` includes followed,
    options and URLs without a name skipped)."""
    seen = set() if _seen is None else _seen
    real = os.path.realpath(path)
    if real in seen:
        return []
    seen.add(real)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise CheckError(f"can't read {path}: no such file") from None
    except IsADirectoryError:
        raise CheckError(f"can't read {path}: it is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckError(f"can't read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    out = []
    shown = os.path.basename(path)
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        lineno = i + 1
        line = lines[i]
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + " " + lines[i]
        i += 1
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ", "-r", "--requirement=")):
            target = re.sub(r"^(-r|--requirement)[=\s]*", "", line).strip()
            out.extend(read_requirements(os.path.join(os.path.dirname(path), target), seen))
            continue
        if line.startswith(("-e ", "--editable ", "-e", "--editable=")):
            m = re.search(r"#egg=([A-Za-z0-9._-]+)", line)
            if m:
                out.append(Declared(m.group(1), line, f"{shown}:{lineno}"))
            continue
        if line.startswith("-"):
            continue  # -c, -i, --hash, ...: not requirements
        line = re.split(r"\s--", line, maxsplit=1)[0]  # per-requirement options (--hash)
        req = parse_requirement(line, f"{shown}:{lineno}")
        if req is not None:
            out.append(req)
    return out


# -- the installed distributions -----------------------------------------------------------


class _Installed:
    def __init__(self):
        self._dists = None

    def _load(self):
        import importlib.metadata as md

        dists = {}
        for dist in md.distributions():
            try:
                name = dist.metadata["Name"]
            except Exception:
                continue
            if not name or normalize(name) in dists:
                continue
            try:
                requires = dist.requires or []
            except Exception:
                requires = []
            deps = set()
            for r in requires:
                req = parse_requirement(r, "")
                if req is None:
                    continue
                if req.marker and "extra" in req.marker:
                    continue  # only with an extra of it
                if req.applies is False:
                    continue
                deps.add(req.key)
            dists[normalize(name)] = (name, dist.version, deps)
        self._dists = dists

    def get(self, key):
        if self._dists is None:
            self._load()
        return self._dists.get(key)

    def name(self, key, default):
        d = self.get(key)
        return d[0] if d else default

    def requires(self, key):
        d = self.get(key)
        return d[2] if d else set()


def _through(installed, declared_keys, target):
    """The chain of requirements by which a declared distribution pulls in
    ``target`` (a list of keys from the declared one to ``target``), or None."""
    from collections import deque

    prev = {}
    queue = deque()
    for key in sorted(declared_keys):
        prev[key] = None
        queue.append(key)
    while queue:
        key = queue.popleft()
        for dep in sorted(installed.requires(key)):
            if dep in prev:
                continue
            prev[dep] = key
            if dep == target:
                chain = [dep]
                while prev[chain[-1]] is not None:
                    chain.append(prev[chain[-1]])
                return list(reversed(chain))
            queue.append(dep)
    return None


# -- the check ---------------------------------------------------------------------------------


class Finding:
    def __init__(self, name, key, detail, declared=None, version=None):
        self.name = name
        self.key = key
        self.detail = detail
        self.declared = declared
        self.version = version


class CheckResult:
    def __init__(self):
        self.consistent = []  # Finding: used and declared
        self.unused = []  # declared, never used
        self.undeclared = []  # used, not declared
        self.provided = []  # used by third-party code only, through a declared one
        self.not_applicable = []  # declared with a marker that does not hold here
        self.sources = []
        self.project = None

    @property
    def ok(self):
        return not self.unused and not self.undeclared


def check(plan, declared, project=None):
    """Compare ``declared`` (a list of :class:`Declared`) with the distributions
    ``plan`` needed; a :class:`CheckResult`."""
    from ..classify import FIRST_PARTY, MAIN, THIRD_PARTY

    result = CheckResult()
    result.project = project
    own = normalize(project) if project else None
    installed = _Installed()

    # what the runs needed, per distribution: (name, version, modules)
    used = {}
    for name in plan.needed:
        info = plan.info(name)
        dist = info.distribution
        if dist is None:
            continue
        key = normalize(dist["name"])
        if key == own:
            continue
        used.setdefault(key, (dist["name"], dist.get("version"), []))[2].append(name)
    imported_only = {}
    for name in plan.mock:
        dist = plan.info(name).distribution
        if dist is not None:
            imported_only.setdefault(normalize(dist["name"]), []).append(name)

    loaded_by_dist = {}
    for name in plan.trace.names():
        dist = plan.info(name).distribution
        if dist is not None:
            loaded_by_dist.setdefault(normalize(dist["name"]), []).append(name)

    def first_party(module):
        return plan.info(module).kind in (MAIN, FIRST_PARTY)

    def direct_users(modules):
        users = set()
        for m in modules:
            for user in plan.graph.users(m):
                if user in plan.needed and first_party(user) and user not in modules:
                    users.add(user)
        return sorted(users)

    by_key = {}
    for d in declared:
        by_key.setdefault(d.key, d)
    declared_keys = {k for k, d in by_key.items() if d.applies is not False}

    for key, d in sorted(by_key.items()):
        if key == own:
            continue
        if d.applies is False:
            result.not_applicable.append(Finding(d.name, key, f"marker '{d.marker}' does not hold here", d))
            continue
        if key in used:
            name, version, modules = used[key]
            result.consistent.append(Finding(name, key, ", ".join(sorted(modules)[:4]), d, version))
            continue
        if d.applies is None:
            result.not_applicable.append(Finding(d.name, key, f"marker '{d.marker}' could not be evaluated", d))
            continue
        name = installed.name(key, d.name)
        loaded = loaded_by_dist.get(key)
        if key in imported_only:
            mods = sorted(imported_only[key])
            detail = "imported but never used (" + ", ".join(mods[:4]) + ")"
        elif loaded:
            importers = sorted({u for m in loaded for u in plan.graph.users(m) if u not in loaded})
            detail = "loaded, never used" + (f": imported only by {', '.join(importers[:4])}" if importers else "")
            left = [u for u in importers if u in plan.mock]
            if left:
                detail += f" ({', '.join(left[:4])} mocked)"
        elif installed.get(key) is None:
            detail = "not installed here, and no traced run needed it"
        else:
            detail = "no traced run used it"
        result.unused.append(Finding(name, key, detail, d))

    for key, (name, version, modules) in sorted(used.items()):
        if key in by_key:
            continue
        info = next((plan.info(m) for m in modules), None)
        if info is not None and info.kind != THIRD_PARTY:
            continue  # a first-party distribution (an editable install of the project or a sibling)
        chain = _through(installed, declared_keys, key)
        users = direct_users(modules)
        if chain and not users:
            shown = " -> ".join(installed.name(k, k) for k in chain)
            result.provided.append(Finding(name, key, f"through {shown}", None, version))
            continue
        if users:
            detail = "used by the project's own code: " + ", ".join(users[:4])
        else:
            detail = "used by " + ", ".join(sorted(_users_of(plan, modules))[:4] or ["?"]) + "; no declared dependency requires it"
        if chain:
            detail += "; now installed only because " + " -> ".join(installed.name(k, k) for k in chain) + " requires it"
        result.undeclared.append(Finding(name, key, detail, None, version))
    return result


def _users_of(plan, modules):
    users = set()
    for m in modules:
        for user in plan.graph.users(m):
            if user not in modules and user in plan.needed:
                users.add(user)
    return users


def render(result, plan):
    out = []
    runs = len(plan.entries)
    srcs = ", ".join(result.sources) or "nothing"
    out.append(f"modtrace check: {runs} traced run{'s' if runs != 1 else ''} of {plan.entry.describe()} against {srcs}")

    def pin(f):
        return f"{f.name} {f.version}" if f.version else f.name

    def section(title, items, detail=True):
        out.append("")
        out.append(f"{title} ({len(items)})")
        if not items:
            out.append("  (none)")
        for f in items:
            where = f"  [{f.declared.where}]" if f.declared is not None else ""
            out.append(f"  {pin(f)}" + (f": {f.detail}" if detail and f.detail else "") + where)

    section("declared but never used", result.unused)
    section("used but not declared", result.undeclared)
    section("used and declared", result.consistent)
    if result.provided:
        section("used by third-party code, provided through a declared dependency", result.provided)
    if result.not_applicable:
        section("declared with a marker that does not hold here (not checked)", result.not_applicable)
    out.append("")
    if result.ok:
        out.append("consistent: the declared dependencies are what the traced runs needed")
    else:
        out.append(
            f"not consistent: {len(result.unused)} declared but never used, {len(result.undeclared)} used but not declared"
        )
    return "\n".join(out) + "\n"
