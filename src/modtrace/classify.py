"""Say what kind of module each used module is, and which distribution it came from.

Kinds:

``main``
    the traced entry point (the ``__main__`` module of ``modtrace run``).
``stdlib``
    the standard library, builtin and frozen modules included.
``third_party``
    a module installed as part of a distribution (found through
    ``importlib.metadata``: the files each distribution's ``RECORD`` lists,
    so ``yaml`` belongs to PyYAML and ``dateutil`` to python-dateutil; a namespace
    package belongs to the distributions that install its portions).
``first_party``
    the user's own code: everything else. A project installed in editable
    (development) mode is first party too; its distribution is still reported.

All of this happens after the traced program has finished: nothing here runs
while the tracer is on.
"""

import os
import sys
import sysconfig

MAIN = "main"
STDLIB = "stdlib"
THIRD_PARTY = "third_party"
FIRST_PARTY = "first_party"
KINDS = (MAIN, FIRST_PARTY, THIRD_PARTY, STDLIB)


class ModuleInfo:
    """The kind of one module and, when it has one, its distribution."""

    __slots__ = ("kind", "distribution", "distributions")

    def __init__(self, kind, distribution=None, distributions=None):
        self.kind = kind
        #: {"name": ..., "version": ...} or None
        self.distribution = distribution
        #: every distribution that provides the module, when there is more than one
        #: (the portions of a namespace package)
        self.distributions = distributions or []

    def to_dict(self):
        out = {"kind": self.kind, "distribution": self.distribution}
        if len(self.distributions) > 1:
            out["distributions"] = self.distributions
        return out

    @classmethod
    def from_dict(cls, d):
        """Read the ``kind`` and ``distribution`` keys of a module entry of a saved
        trace; None when they are missing or not understood."""
        kind = d.get("kind")
        if kind not in KINDS:
            return None
        dist = d.get("distribution")
        if dist is not None and not _is_dist(dist):
            return None
        dists = d.get("distributions") or []
        if not (isinstance(dists, list) and all(_is_dist(x) for x in dists)):
            dists = []
        return cls(kind, dist, dists)

    def __eq__(self, other):
        return isinstance(other, ModuleInfo) and self.to_dict() == other.to_dict()

    def __repr__(self):
        dist = self.distribution
        return f"ModuleInfo({self.kind}{', ' + dist['name'] if dist else ''})"


def _is_dist(d):
    return (
        isinstance(d, dict)
        and isinstance(d.get("name"), str)
        and (d.get("version") is None or isinstance(d.get("version"), str))
    )


def _norm(path):
    return os.path.normcase(os.path.normpath(path))


def _real(path):
    try:
        return _norm(os.path.realpath(path))
    except (OSError, ValueError):
        return _norm(os.path.abspath(path))


def _under(path, directory):
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


class Environment:
    """What the running interpreter has installed: the standard library's
    directories and the files of every installed distribution. Built lazily,
    once, and only after the traced program ran."""

    def __init__(self, path=None):
        #: the import path whose distributions count (default: sys.path)
        self.path = list(sys.path if path is None else path)
        self._files = None  # real path of a file -> distribution dict
        self._top_level = None  # top-level import name -> [distribution dict]
        self._editable = None  # distribution name -> True when installed editable
        self._stdlib_dirs = None
        self._site_dirs = None

    # -- the standard library ----------------------------------------------------
    def stdlib_dirs(self):
        if self._stdlib_dirs is None:
            dirs = set()
            paths = sysconfig.get_paths()
            for key in ("stdlib", "platstdlib"):
                if paths.get(key):
                    dirs.add(_real(paths[key]))
            for prefix in {sys.base_prefix, sys.base_exec_prefix}:
                try:
                    base = sysconfig.get_paths(vars={"base": prefix, "platbase": prefix, "installed_base": prefix, "installed_platbase": prefix})
                except Exception:  # pragma: no cover - odd sysconfig
                    continue
                for key in ("stdlib", "platstdlib"):
                    if base.get(key):
                        dirs.add(_real(base[key]))
            self._stdlib_dirs = sorted(dirs)
        return self._stdlib_dirs

    def site_dirs(self):
        """Directories that hold installed distributions, which the stdlib
        directories can contain (``lib/python3.X/site-packages``)."""
        if self._site_dirs is None:
            dirs = set()
            paths = sysconfig.get_paths()
            for key in ("purelib", "platlib"):
                if paths.get(key):
                    dirs.add(_real(paths[key]))
            for entry in self.path:
                if entry and os.path.basename(entry.rstrip(os.sep)) in ("site-packages", "dist-packages"):
                    dirs.add(_real(entry))
            self._site_dirs = sorted(dirs)
        return self._site_dirs

    def is_stdlib_file(self, real):
        if any(_under(real, d) for d in self.site_dirs()):
            return False
        return any(_under(real, d) for d in self.stdlib_dirs())

    # -- distributions ---------------------------------------------------------------
    def _load_distributions(self):
        import importlib.metadata as md

        files = {}
        top_level = {}
        editable = {}
        seen = set()
        for dist in md.distributions(path=self.path):
            try:
                name = dist.metadata["Name"]
            except Exception:
                name = None
            if not name:
                continue
            key = name.lower().replace("_", "-").replace(".", "-")
            if key in seen:  # shadowed by an earlier entry of the path, as imports are
                continue
            seen.add(key)
            info = {"name": name, "version": dist.version}
            editable[name] = _is_editable(dist)
            try:
                record = dist.files
            except Exception:
                record = None
            tops = set()
            if record:
                try:
                    root = _real(str(dist.locate_file("")))
                except Exception:
                    root = None
                for entry in record:
                    rel = str(entry)
                    if root is not None:
                        files.setdefault(_norm(os.path.join(root, rel)), info)
                    top = _top_level_of(rel)
                    if top:
                        tops.add(top)
            try:
                text = dist.read_text("top_level.txt")
            except Exception:
                text = None
            if text:
                tops.update(line.strip() for line in text.splitlines() if line.strip())
            for top in tops:
                top_level.setdefault(top, [])
                if info not in top_level[top]:
                    top_level[top].append(info)
        self._files, self._top_level, self._editable = files, top_level, editable

    def distribution_of_file(self, real):
        if self._files is None:
            self._load_distributions()
        return self._files.get(real)

    def distributions_of_name(self, top):
        if self._top_level is None:
            self._load_distributions()
        return list(self._top_level.get(top, ()))

    def is_editable(self, dist_name):
        if self._editable is None:
            self._load_distributions()
        return self._editable.get(dist_name, False)

    # -- one module --------------------------------------------------------------------
    def classify(self, name, file=None):
        """The :class:`ModuleInfo` of module ``name`` whose source is ``file``."""
        if name == "__main__":
            return ModuleInfo(MAIN)
        top = name.partition(".")[0]
        real = _real(file) if file and os.path.isabs(file) else None
        if name in sys.builtin_module_names:
            return ModuleInfo(STDLIB)
        if real is not None:
            dist = self.distribution_of_file(real)
            if dist is None and real.endswith((".pyc", ".pyo")):
                dist = self.distribution_of_file(real[:-1])
            if dist is not None:
                return self._from_dist(dist)
            if self.is_stdlib_file(real):
                return ModuleInfo(STDLIB)
            if any(_under(real, d) for d in self.site_dirs()):
                # installed, but no RECORD lists it (a file written by hand, or a
                # distribution without RECORD): go by its top-level name
                dists = self.distributions_of_name(top)
                if dists:
                    return self._from_dists(dists)
                return ModuleInfo(THIRD_PARTY)
            # user code; in editable mode it still has a distribution
            dists = [d for d in self.distributions_of_name(top) if self.is_editable(d["name"])]
            if dists:
                return ModuleInfo(FIRST_PARTY, dists[0], dists)
            return ModuleInfo(FIRST_PARTY)
        # no file: builtin, frozen, namespace package, or made up at run time
        if top in getattr(sys, "stdlib_module_names", ()) or _is_frozen(name):
            return ModuleInfo(STDLIB)
        dists = self.distributions_of_name(top)
        if dists:
            return self._from_dists(dists)
        return ModuleInfo(FIRST_PARTY)

    def _from_dist(self, dist):
        kind = FIRST_PARTY if self.is_editable(dist["name"]) else THIRD_PARTY
        return ModuleInfo(kind, dist)

    def _from_dists(self, dists):
        dists = sorted(dists, key=lambda d: d["name"].lower())
        kinds = {self._from_dist(d).kind for d in dists}
        kind = FIRST_PARTY if kinds == {FIRST_PARTY} else THIRD_PARTY
        return ModuleInfo(kind, dists[0], dists)


def _top_level_of(rel):
    """The top-level import name a RECORD entry installs, or None."""
    parts = rel.replace("\\", "/").split("/")
    if not parts or parts[0] in ("", "..", "."):
        return None
    first = parts[0]
    if first.endswith((".dist-info", ".egg-info", ".data")) or first == "__pycache__":
        return None
    if len(parts) == 1:
        if first.endswith(".py"):
            return first[:-3]
        if first.endswith((".so", ".pyd")):
            return first.split(".")[0]
        return None
    return first if first.isidentifier() else None


def _is_editable(dist):
    try:
        text = dist.read_text("direct_url.json")
    except Exception:
        return False
    if not text:
        return False
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return False
    return bool(isinstance(data, dict) and isinstance(data.get("dir_info"), dict) and data["dir_info"].get("editable"))


def _is_frozen(name):
    try:
        import _imp

        return _imp.is_frozen(name)
    except Exception:  # pragma: no cover
        return False


def classify_trace(trace, env=None, known=None):
    """Classify every module of ``trace``: a dict name -> :class:`ModuleInfo`.

    ``known`` holds classifications read from a saved trace; they are kept as they
    are (a trace made on another machine keeps that machine's answers)."""
    env = Environment() if env is None else env
    out = {}
    for name in trace.names():
        if known and name in known:
            out[name] = known[name]
        else:
            out[name] = env.classify(name, trace[name].file)
    return out
