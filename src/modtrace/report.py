"""A trace together with what the report needs around it: the kind and
distribution of each module and what was loaded but never used.

This is what the renderers draw and what ``-o`` writes. The JSON document is
the trace's own schema (see :mod:`modtrace.trace`) with these additions, all
optional for readers:

* in each entry of ``"modules"``: ``"kind"`` (``main``, ``first_party``,
  ``third_party`` or ``stdlib``) and ``"distribution"`` (``{"name",
  "version"}`` or null); ``"distributions"`` too, listing every distribution
  when several provide the module (the portions of a namespace package);
* ``"loaded_unused"``: the sorted names of the modules loaded but never used
  (see :mod:`modtrace.runner`);
* ``"distributions"``: one entry per distribution whose modules were used,
  ``{"name", "version", "modules": [names]}``, sorted by name;
* in ``"meta"``: ``"modtrace"``, ``"python"``, ``"implementation"``,
  ``"platform"``, ``"command"`` (modtrace's own command line), ``"program"``
  (``{"kind": "script" | "module" | "callable", "argv": [...]}``) and
  ``"exit_status"``; a combined trace has ``"combined"`` instead of the last
  two: the ``meta`` of each trace combined.

Such a document loads with :meth:`modtrace.trace.Trace.load` like any trace.
"""

import json

from .classify import Environment, ModuleInfo, classify_trace
from .trace import Trace, TraceFormatError, write_atomic


class ReportError(Exception):
    """A trace file cannot be read or written; the message is one line."""


class Report:
    """A trace, the :class:`~modtrace.classify.ModuleInfo` of each of its
    modules, and the names of the modules loaded but never used."""

    def __init__(self, trace, infos=None, loaded_unused=None, env=None):
        self.trace = trace
        known = dict(infos or {})
        missing = [n for n in trace.names() if n not in known]
        if missing:
            env = Environment() if env is None else env
            known.update(classify_trace(trace, env, known))
        self.infos = known
        if loaded_unused is None:
            loaded_unused = trace.extra.get("loaded_unused") or []
        self.loaded_unused = sorted(set(loaded_unused) - set(trace.modules))
        self._env = env

    # -- views used by the renderers ----------------------------------------------------
    def info(self, name):
        return self.infos.get(name) or ModuleInfo("first_party")

    def names_by_kind(self, kind):
        return [n for n in self.trace.names() if self.info(n).kind == kind]

    def distributions(self):
        """``[(dist dict, [module names])]`` for the distributions of the used
        modules, sorted by distribution name."""
        groups = {}
        for name in self.trace.names():
            info = self.info(name)
            dists = info.distributions or ([info.distribution] if info.distribution else [])
            for dist in dists:
                key = (dist["name"].lower(), dist["name"], dist.get("version"))
                groups.setdefault(key, []).append(name)
        return [({"name": k[1], "version": k[2]}, names) for k, names in sorted(groups.items())]

    def filtered(self, keep):
        """A report of only the modules whose names ``keep(name)`` accepts."""
        if not keep:
            return self
        trace = Trace(
            {n: m for n, m in self.trace.modules.items() if keep(n)},
            dict(self.trace.meta),
            dict(self.trace.extra),
        )
        infos = {n: i for n, i in self.infos.items() if n in trace.modules}
        unused = [n for n in self.loaded_unused if keep(n)]
        out = Report(trace, infos, unused, self._env)
        out.trace.meta["filter"] = {"include": list(keep.include), "exclude": list(keep.exclude)}
        return out

    # -- JSON ---------------------------------------------------------------------------
    def to_dict(self):
        data = self.trace.to_dict()
        modules = data.pop("modules")
        data["loaded_unused"] = list(self.loaded_unused)
        data["distributions"] = [
            {"name": d["name"], "version": d["version"], "modules": names} for d, names in self.distributions()
        ]
        for entry in modules:
            info = self.info(entry["name"])
            entry["kind"] = info.kind
            entry["distribution"] = info.distribution
            if len(info.distributions) > 1:
                entry["distributions"] = info.distributions
        data["modules"] = modules
        return data

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def save(self, path):
        try:
            write_atomic(path, self.to_json())
        except OSError as exc:
            raise ReportError(f"can't write {path}: {exc.strerror or exc}") from None

    @classmethod
    def from_dict(cls, data, env=None):
        trace = Trace.from_dict(data)
        trace.extra.pop("distributions", None)
        unused = trace.extra.pop("loaded_unused", None)
        if not (isinstance(unused, list) and all(isinstance(n, str) for n in unused)):
            unused = []
        infos = {}
        for entry in data.get("modules", ()):
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                info = ModuleInfo.from_dict(entry)
                if info is not None:
                    infos.setdefault(entry["name"], info)
        return cls(trace, infos, unused, env)

    @classmethod
    def load(cls, path, env=None):
        """Read a saved trace; :class:`ReportError` with a one-line message when
        the file cannot be read or is not a modtrace trace."""
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            raise ReportError(f"can't read {path}: no such file") from None
        except IsADirectoryError:
            raise ReportError(f"can't read {path}: it is a directory") from None
        except OSError as exc:
            raise ReportError(f"can't read {path}: {exc.strerror or exc}") from None
        try:
            text = raw.decode("utf-8")
            data = json.loads(text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ReportError(f"{path} is not a modtrace trace: invalid JSON ({_one_line(exc)})") from None
        try:
            return cls.from_dict(data, env)
        except TraceFormatError as exc:
            raise ReportError(f"{path} is not a valid modtrace trace: {_one_line(exc)}") from None
        except (TypeError, AttributeError, ValueError) as exc:
            raise ReportError(f"{path} is not a valid modtrace trace: {_one_line(exc)}") from None

    @classmethod
    def combine(cls, reports):
        """One report for several runs: the union of what each used."""
        reports = list(reports)
        trace = Trace.union(r.trace for r in reports)
        trace.meta = _base_meta()
        trace.meta["combined"] = [r.trace.meta for r in reports]
        trace.extra.pop("loaded_unused", None)
        from .testmap import combine_extra

        combine_extra(trace, [r.trace for r in reports])
        infos = {}
        unused = set()
        for r in reports:
            for name, info in r.infos.items():
                infos.setdefault(name, info)
            unused.update(r.loaded_unused)
        return cls(trace, infos, sorted(unused - set(trace.modules)))


def _one_line(exc):
    return " ".join(str(exc).split())


def _base_meta():
    import platform
    import sys

    try:
        from . import __version__
    except ImportError:  # pragma: no cover
        __version__ = None
    return {
        "modtrace": __version__,
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": sys.platform,
    }
