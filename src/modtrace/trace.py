"""The data model of a trace: which modules were used, how, where and in what context.

A :class:`Trace` is plain data. It is built by the collectors while code runs,
merges with other traces (:meth:`Trace.merge`), and round-trips through JSON
without loss (:meth:`Trace.to_dict` / :meth:`Trace.from_dict`).

JSON schema (``"schema": "modtrace.trace/1"``)::

    {
      "schema": "modtrace.trace/1",
      "meta": {"modtrace": "0.1.0", "python": "3.12.1", "backend": "monitoring", ...},
      "modules": [
        {
          "name": "json.decoder",                 # the module's name in sys.modules
          "file": "/usr/lib/python3.12/json/decoder.py",   # or null
          "uses": ["called", "executed", "imported"],      # how it was used, sorted
          "contexts": [                            # every context it was used in
            {"context": null, "uses": ["called", "executed"]},   # null: run time
            {"context": "json", "uses": ["imported"]}            # during import of json
          ],
          "first_use": {                           # the first use seen (or null)
            "kind": "imported", "context": "json",
            "file": "/usr/lib/python3.12/json/__init__.py", "line": 106,
            "function": "<module>", "by": "json"  # the using module, null at the entry
          },
          "used_by": ["json"]                     # modules seen using it, sorted
        }
      ]
    }

Extra keys (``meta`` entries, keys added by later schema versions of the same
major number) are kept when a trace is loaded and written again.
"""

import os

# json and tempfile are imported where they are needed: a program traced in
# this process should find them not yet imported, so that its own imports of
# them are seen.

SCHEMA = "modtrace.trace/1"

#: How a module was used.
EXECUTED = "executed"  # Python code of the module started or resumed
CALLED = "called"  # a callable whose home is the module was called
IMPORTED = "imported"  # the module was imported (its body ran, or it was loaded)
USE_KINDS = (CALLED, EXECUTED, IMPORTED)

#: The context of a use outside any import.
RUN_TIME = None


class TraceFormatError(ValueError):
    """A trace file or dict does not follow the schema."""


class FirstUse:
    """Where and how a module was first used."""

    __slots__ = ("kind", "context", "file", "line", "function", "by")

    def __init__(self, kind, context=RUN_TIME, file=None, line=None, function=None, by=None):
        self.kind = kind
        self.context = context
        self.file = file
        self.line = line
        self.function = function
        self.by = by

    def to_dict(self):
        return {
            "kind": self.kind,
            "context": self.context,
            "file": self.file,
            "line": self.line,
            "function": self.function,
            "by": self.by,
        }

    @classmethod
    def from_dict(cls, d):
        _expect(isinstance(d, dict), "first_use must be an object")
        kind = d.get("kind")
        _expect(kind in USE_KINDS, f"unknown use kind {kind!r}")
        context = d.get("context")
        _expect(context is None or isinstance(context, str), "context must be a string or null")
        line = d.get("line")
        _expect(line is None or (isinstance(line, int) and not isinstance(line, bool)), "line must be an integer or null")
        for key in ("file", "function", "by"):
            _expect(d.get(key) is None or isinstance(d.get(key), str), f"{key} must be a string or null")
        return cls(kind, context, d.get("file"), line, d.get("function"), d.get("by"))

    def __eq__(self, other):
        return isinstance(other, FirstUse) and self.to_dict() == other.to_dict()

    def __repr__(self):
        where = f"{self.file}:{self.line}" if self.file else "?"
        ctx = "run time" if self.context is None else f"import of {self.context}"
        return f"FirstUse({self.kind} at {where} in {self.function}, by {self.by}, {ctx})"


class ModuleUse:
    """Everything a trace knows about one used module."""

    __slots__ = ("name", "file", "contexts", "first_use", "used_by")

    def __init__(self, name, file=None, contexts=None, first_use=None, used_by=None):
        self.name = name
        self.file = file
        #: context (None for run time, else the name of the module being imported)
        #: -> set of use kinds seen in that context
        self.contexts = {} if contexts is None else contexts
        self.first_use = first_use
        self.used_by = set() if used_by is None else used_by

    # -- derived views ----------------------------------------------------
    @property
    def uses(self):
        """The set of use kinds over all contexts."""
        out = set()
        for kinds in self.contexts.values():
            out |= kinds
        return out

    def active_contexts(self):
        """Contexts in which the module was *active*: code of it ran (other than its
        own module body) or a callable of it was called. Being imported is not active."""
        return {ctx for ctx, kinds in self.contexts.items() if kinds & {EXECUTED, CALLED}}

    @property
    def used_at_run_time(self):
        """True when the module was active at run time (outside any import)."""
        kinds = self.contexts.get(RUN_TIME, ())
        return EXECUTED in kinds or CALLED in kinds

    @property
    def only_imported(self):
        """True when nothing of the module was used beyond importing it."""
        return not self.active_contexts()

    # -- building -----------------------------------------------------------
    def add(self, kind, context, by=None):
        kinds = self.contexts.get(context)
        if kinds is None:
            self.contexts[context] = {kind}
        else:
            kinds.add(kind)
        if by is not None and by != self.name:
            self.used_by.add(by)

    def merge(self, other):
        """Add what ``other`` (a record of the same module) knows to this record."""
        if self.file is None:
            self.file = other.file
        for ctx, kinds in other.contexts.items():
            self.contexts.setdefault(ctx, set()).update(kinds)
        if self.first_use is None:
            self.first_use = other.first_use
        self.used_by |= other.used_by

    def copy(self):
        return ModuleUse(
            self.name,
            self.file,
            {ctx: set(kinds) for ctx, kinds in self.contexts.items()},
            self.first_use,
            set(self.used_by),
        )

    # -- JSON -------------------------------------------------------------------
    def to_dict(self):
        return {
            "name": self.name,
            "file": self.file,
            "uses": sorted(self.uses),
            "contexts": [
                {"context": ctx, "uses": sorted(self.contexts[ctx])}
                for ctx in sorted(self.contexts, key=lambda c: (c is not None, c or ""))
            ],
            "first_use": None if self.first_use is None else self.first_use.to_dict(),
            "used_by": sorted(self.used_by),
        }

    @classmethod
    def from_dict(cls, d):
        _expect(isinstance(d, dict), "each module must be an object")
        name = d.get("name")
        _expect(isinstance(name, str) and name, "module name must be a non-empty string")
        file = d.get("file")
        _expect(file is None or isinstance(file, str), f"{name}: file must be a string or null")
        contexts = {}
        raw_contexts = d.get("contexts")
        _expect(isinstance(raw_contexts, list), f"{name}: contexts must be a list")
        for entry in raw_contexts:
            _expect(isinstance(entry, dict), f"{name}: each context must be an object")
            ctx = entry.get("context")
            _expect(ctx is None or isinstance(ctx, str), f"{name}: context must be a string or null")
            kinds = entry.get("uses")
            _expect(
                isinstance(kinds, list) and all(k in USE_KINDS for k in kinds),
                f"{name}: uses must be a list of {', '.join(USE_KINDS)}",
            )
            contexts.setdefault(ctx, set()).update(kinds)
        uses = d.get("uses")
        if uses is not None:
            _expect(isinstance(uses, list) and all(k in USE_KINDS for k in uses), f"{name}: bad uses")
            seen = set()
            for kinds in contexts.values():
                seen |= kinds
            _expect(set(uses) == seen, f"{name}: uses do not match contexts")
        first = d.get("first_use")
        used_by = d.get("used_by", [])
        _expect(isinstance(used_by, list) and all(isinstance(b, str) for b in used_by), f"{name}: bad used_by")
        return cls(name, file, contexts, None if first is None else FirstUse.from_dict(first), set(used_by))

    def __eq__(self, other):
        return isinstance(other, ModuleUse) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"ModuleUse({self.name!r}, uses={sorted(self.uses)})"


class Trace:
    """The modules a traced run used. Behaves like a read-only mapping from
    module name to :class:`ModuleUse`."""

    def __init__(self, modules=None, meta=None, extra=None):
        self.modules = {} if modules is None else modules
        self.meta = {} if meta is None else meta
        #: unknown top-level keys kept from a loaded file
        self.extra = {} if extra is None else extra

    # -- mapping protocol --------------------------------------------------------
    def __contains__(self, name):
        return name in self.modules

    def __getitem__(self, name):
        return self.modules[name]

    def __iter__(self):
        return iter(sorted(self.modules))

    def __len__(self):
        return len(self.modules)

    def get(self, name, default=None):
        return self.modules.get(name, default)

    def names(self):
        """The sorted names of all modules used."""
        return sorted(self.modules)

    def run_time_names(self):
        """The sorted names of the modules active at run time."""
        return sorted(n for n, m in self.modules.items() if m.used_at_run_time)

    def only_imported_names(self):
        """The sorted names of the modules that were only imported, never used after."""
        return sorted(n for n, m in self.modules.items() if m.only_imported)

    def edges(self):
        """The module graph: sorted ``(user, used)`` pairs."""
        return sorted((by, m.name) for m in self.modules.values() for by in m.used_by)

    # -- building ------------------------------------------------------------------
    def record(self, name, kind, context=RUN_TIME, *, file=None, where=None, by=None):
        """Note one use of module ``name``. ``where`` is ``(file, line, function)``."""
        rec = self.modules.get(name)
        if rec is None:
            rec = self.modules[name] = ModuleUse(name, file)
        elif rec.file is None:
            rec.file = file
        if rec.first_use is None:
            wf, wl, wfn = where if where is not None else (None, None, None)
            rec.first_use = FirstUse(kind, context, wf, wl, wfn, by)
        rec.add(kind, context, by)
        return rec

    def update(self, other):
        """Merge ``other`` into this trace, in place. Returns self."""
        for name, rec in other.modules.items():
            mine = self.modules.get(name)
            if mine is None:
                self.modules[name] = rec.copy()
            else:
                mine.merge(rec)
        for key, value in other.meta.items():
            self.meta.setdefault(key, value)
        for key, value in other.extra.items():
            self.extra.setdefault(key, value)
        return self

    def merge(self, *others):
        """A new trace holding the union of this trace and ``others``."""
        out = self.copy()
        for other in others:
            out.update(other)
        return out

    @classmethod
    def union(cls, traces):
        """The union of any number of traces (an empty trace for none)."""
        out = cls()
        for t in traces:
            out.update(t)
        return out

    def copy(self):
        import json

        return Trace(
            {n: m.copy() for n, m in self.modules.items()},
            json.loads(json.dumps(self.meta)),
            json.loads(json.dumps(self.extra)),
        )

    # -- JSON ------------------------------------------------------------------------
    def to_dict(self):
        out = {"schema": SCHEMA, "meta": self.meta}
        out.update(self.extra)
        out["modules"] = [self.modules[n].to_dict() for n in sorted(self.modules)]
        return out

    @classmethod
    def from_dict(cls, d):
        _expect(isinstance(d, dict), "a trace must be a JSON object")
        schema = d.get("schema")
        _expect(isinstance(schema, str), "not a modtrace trace (no \"schema\")")
        family, _, version = schema.partition("/")
        _expect(family == "modtrace.trace", f"not a modtrace trace (schema {schema!r})")
        _expect(version.split(".")[0] == "1", f"unsupported trace schema {schema!r} (this modtrace reads {SCHEMA})")
        meta = d.get("meta", {})
        _expect(isinstance(meta, dict), "meta must be an object")
        raw = d.get("modules")
        _expect(isinstance(raw, list), "modules must be a list")
        modules = {}
        for item in raw:
            rec = ModuleUse.from_dict(item)
            if rec.name in modules:
                modules[rec.name].merge(rec)
            else:
                modules[rec.name] = rec
        extra = {k: v for k, v in d.items() if k not in ("schema", "meta", "modules")}
        return cls(modules, meta, extra)

    def to_json(self, indent=2):
        import json

        return json.dumps(self.to_dict(), indent=indent, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text):
        import json

        try:
            data = json.loads(text)
        except ValueError as exc:
            raise TraceFormatError(f"invalid JSON: {exc}") from None
        return cls.from_dict(data)

    def save(self, path):
        """Write the trace as JSON to ``path`` atomically (never half-written)."""
        write_atomic(path, self.to_json())

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return cls.from_json(text)

    def __eq__(self, other):
        return isinstance(other, Trace) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"<Trace of {len(self.modules)} modules>"


def write_atomic(path, text):
    """Write ``text`` to ``path`` through a temporary file in the same directory,
    so that readers see the old file or the whole new one, never a part."""
    import tempfile

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".modtrace-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        # mkstemp makes the file private (0600): give it the mode of the file it
        # replaces, or what a new file gets under the umask.
        try:
            mode = os.stat(path).st_mode & 0o777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _expect(condition, message):
    if not condition:
        raise TraceFormatError(message)
