"""Support of a bundle made by ``modtrace bundle``: stubs for the modules the
traced runs imported but never used. A stub imports cleanly; what is taken from
it stands for the real thing, and any use of that raises ModuleLeftOutError."""

import sys

_ModuleType = type(sys)
_VERIFY = None  # set in verification bundles (see the end of this file)


class ModuleLeftOutError(ImportError):
    """Something of a module that the bundle left out was used."""

    def __init__(self, module, attr=None):
        what = f"{module}.{attr}" if attr else module
        super().__init__(
            f"{what} is not available: module {module!r} was left out of this bundle by modtrace "
            "because the traced runs never used it (only a stub of it is shipped)",
            name=module,
        )


def _fail(self, *args, **kwargs):
    get = object.__getattribute__
    raise ModuleLeftOutError(get(self, "_mt_module"), get(self, "_mt_name"))


class _LeftOut:
    """``module.name`` of a left-out module: fine to hold and show, fails on use."""

    __slots__ = ("_mt_module", "_mt_name")

    def __init__(self, module, name):
        object.__setattr__(self, "_mt_module", module)
        object.__setattr__(self, "_mt_name", name)

    def __repr__(self):
        get = object.__getattribute__
        return f"<{get(self, '_mt_module')}.{get(self, '_mt_name')}: left out by modtrace>"

    __hash__ = object.__hash__

    def __instancecheck__(self, obj):  # nothing of the module exists
        return False

    def __subclasscheck__(self, cls):
        return False

    def __mro_entries__(self, bases):
        _fail(self)

    __getattr__ = __setattr__ = __delattr__ = __call__ = __getitem__ = __setitem__ = __delitem__ = _fail
    __iter__ = __len__ = __contains__ = __bool__ = __index__ = __int__ = __float__ = __str__ = _fail
    __format__ = __bytes__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __neg__ = __pos__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _fail
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = __rpow__ = __matmul__ = _fail
    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = __invert__ = __fspath__ = _fail
    __enter__ = __exit__ = __await__ = __aiter__ = __anext__ = __next__ = __get__ = _fail


class _Stub(_ModuleType):
    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        d = _ModuleType.__dict__["__dict__"].__get__(self)
        if _VERIFY is not None:
            return _fetch_real(self, d, d.get("__name__"), attr)
        value = d[attr] = _LeftOut(d.get("__name__"), attr)
        return value


def stub(name):
    """Make module ``name``, being imported, a stub."""
    module = sys.modules[name]
    module.__class__ = _Stub
    if _VERIFY is not None:
        _real_path(module, name)


# -- verification (cut from final bundles) ---------------------------------------------------
#
# In a verification bundle a stub loads the real module when something is taken
# from it, and notes what was taken; a guard on sys.meta_path notes every module
# the bundle lacks. modtrace then promotes what was used, and writes the final
# bundle without this part.

_records = []


def _record(*fields):
    line = "\t".join(str(f) for f in fields)
    if line not in _records:
        _records.append(line)
        import os

        path = os.environ.get("MODTRACE_BUNDLE_RECORD")
        if path:
            with open(path, "a", encoding="utf-8") as f:
                f.write(line + "\n")


def _fetch_real(module, d, name, attr):
    _load_real(module, d, name)
    if attr in d:
        value = d[attr]
    else:
        value = getattr(module, attr)  # the real module's __getattr__, or AttributeError
    if isinstance(value, _ModuleType):
        kind = "module"
    elif isinstance(value, type):
        kind = "class"
        _classes[id(value)] = (name, attr, value)
    elif callable(value):
        kind = "code"
    else:
        kind = "data"
    _record("fetch", name, attr, kind)
    return value


_classes = {}  # id -> (module, name, class): the classes taken from stubs


def _real_path(module, name):
    """Let a stub package find the submodules it really has (a verification
    run loads what is taken from stubs for real; the guard notes them)."""
    import os

    d = _ModuleType.__dict__["__dict__"].__get__(module)
    origin = _VERIFY["origins"].get(name)
    path = d.get("__path__")
    if origin and path is not None and os.path.basename(origin).startswith("__init__."):
        real = os.path.dirname(origin)
        if real not in path:
            path.append(real)


def _load_real(module, d, name):
    import os

    if d.get("__modtrace_real__"):
        return
    origin = _VERIFY["origins"].get(name)
    if not origin:
        raise ModuleLeftOutError(name)
    import importlib.util

    is_package = os.path.basename(origin).startswith("__init__.")
    spec = importlib.util.spec_from_file_location(
        name, origin, submodule_search_locations=[os.path.dirname(origin)] if is_package else None
    )
    module.__class__ = _ModuleType
    d["__modtrace_real__"] = True
    d["__file__"] = origin
    if is_package and os.path.dirname(origin) not in (d.get("__path__") or []):
        d["__path__"] = list(d.get("__path__") or []) + [os.path.dirname(origin)]
    _record("loaded", name)
    spec.loader.exec_module(module)


class _Guard:
    """Notes the imports the bundle cannot satisfy by itself: modules neither in
    the bundle, nor in the standard library, nor in an extern distribution."""

    def __init__(self, conf):
        import os

        self.os = os
        self.conf = conf
        self.busy = False
        self.zip = conf["zip"]
        self.extern = set(conf["extern_tops"]) | {"modtrace", "_modtrace_bundle"}

    def _real(self, path):
        try:
            return self.os.path.realpath(path)
        except (OSError, ValueError):
            return path

    def _under(self, path, dirs):
        sep = self.os.sep
        return any(path == d or path.startswith(d.rstrip(sep) + sep) for d in dirs)

    def provided(self, name, origin):
        if name.partition(".")[0] in self.extern:
            return True
        real = self._real(origin)
        if self._under(real, self.conf["site_dirs"]):
            return False
        return self._under(real, self.conf["stdlib_dirs"])

    def find_spec(self, name, path=None, target=None):
        if self.busy:
            return None
        self.busy = True
        try:
            return self._find(name, path)
        except Exception:
            return None
        finally:
            self.busy = False

    def _find(self, name, path):
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is not None:
            places = [spec.origin] if spec.has_location and spec.origin else list(spec.submodule_search_locations or [])
            if not places:
                return None
            if any(self._under(p, [self.zip]) for p in places):
                return None
            if all(self.provided(name, p) for p in places):
                return None
            _record("missing", name)
            return None
        for root in self.conf["roots"]:
            directory = self.os.path.join(root, *name.split(".")[:-1])
            spec = PathFinder.find_spec(name, [directory])
            if spec is not None:
                _record("missing", name)
                return spec
        return None

    def invalidate_caches(self):
        pass


def start_verification():
    """Install the guard, and note the stubbed classes that get subclassed (a
    use that runs no code of theirs: no tracer sees it)."""
    import builtins

    sys.meta_path.insert(0, _Guard(_VERIFY))
    real = builtins.__build_class__

    def __build_class__(func, name, *bases, **kwargs):
        for base in bases:
            where = _classes.get(id(base))
            if where is not None and where[2] is base:
                _record("subclassed", where[0], where[1])
        return real(func, name, *bases, **kwargs)

    builtins.__build_class__ = __build_class__
