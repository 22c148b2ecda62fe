"""Attribution shared by the collectors: which real module a frame or a callable
belongs to, the import context of a frame, and where a use happened.

Nothing here runs user code. Every attribute is read through the C-level
descriptor of the built-in type that defines it (never through ``getattr`` on a
user object), and types are tested with ``issubclass(type(x), T)``, never
``isinstance`` (which may read a user-defined ``__class__``). So properties,
``__getattr__`` and ``__module__`` or ``__class__`` descriptors of user classes
are never invoked, and an object whose attribute access raises cannot disturb
the trace.
"""

import sys

# The built-in types, found without importing `types` (a program traced in this
# process should find it not yet imported).
_ModuleType = type(sys)
_FunctionType = type(lambda: None)


class _K:
    def m(self):
        pass


_MethodType = type(_K().m)
del _K
_BuiltinType = type(len)

_module_dict = _ModuleType.__dict__["__dict__"].__get__
_type_module = type.__dict__["__module__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_func_globals = _FunctionType.__dict__["__globals__"].__get__
_method_func = _MethodType.__dict__["__func__"].__get__
_builtin_self = _BuiltinType.__dict__["__self__"].__get__
_builtin_module = _BuiltinType.__dict__["__module__"].__get__
_builtin_name = _BuiltinType.__dict__["__name__"].__get__
_dict_get = dict.get
_modules = sys.modules

# Descriptor types of C classes: their __objclass__ is the defining class.
_OBJCLASS = {}
for _t in (
    type(str.join),  # method_descriptor
    type(dict.__dict__["fromkeys"]),  # classmethod_descriptor
    type(object.__init__),  # wrapper_descriptor
    type(object().__str__),  # method-wrapper
):
    _OBJCLASS[_t] = _t.__dict__["__objclass__"].__get__
del _t

MAIN = "__main__"
_MODULE_CODE_NAME = "<module>"

#: The namespaces of the interpreter's import machinery: its work is reported as
#: "M is imported", not as uses of importlib's private modules.
#: zipimport is the path hook every new path entry is offered to.
_MACHINERY = ("_frozen_importlib", "_frozen_importlib_external", "zipimport")


def machinery_ids():
    """The ``id()`` of the import machinery's namespaces (they live as long as
    the interpreter, so their ids are stable)."""
    out = set()
    for name in _MACHINERY:
        mod = _modules.get(name)
        if mod is not None:
            out.add(id(_module_dict(mod)))
    return frozenset(out)


def is_own(name):
    """True for the names of modtrace's own modules."""
    return name == "modtrace" or name.startswith("modtrace.")


_ModuleSpec = type(sys.__spec__)


def module_of_globals(g):
    """The name of the real module whose namespace is ``g``, or None.

    A real module is one in ``sys.modules`` whose ``__dict__`` *is* ``g``:
    synthetic namespaces (``exec`` into a fresh dict, namedtuple's helpers) do
    not count. A module that renames itself (``_collections_abc`` sets
    ``__name__ = "collections.abc"``) is found through its ``__spec__``."""
    if not issubclass(type(g), dict):
        return None
    name = _dict_get(g, "__name__")
    if type(name) is str and namespace_of(name) is g:
        return name
    spec = _dict_get(g, "__spec__")
    if type(spec) is _ModuleSpec:
        name = spec.name
        if type(name) is str and namespace_of(name) is g:
            return name
    return None


def namespace_of(name):
    mod = _modules.get(name)
    if mod is None:
        return None
    try:
        return _module_dict(mod)
    except TypeError:  # not a module object
        return None


def module_file(name):
    """The ``__file__`` of a loaded module, read from its namespace, or None."""
    mod = _modules.get(name)
    if mod is None:
        return None
    try:
        f = _dict_get(_module_dict(mod), "__file__")
    except TypeError:
        return None
    return f if type(f) is str else None


def _real_module_name(name):
    if type(name) is not str:
        return None
    mod = _modules.get(name)
    if mod is None or not issubclass(type(mod), _ModuleType):
        return None
    return name


def _class_home(cls):
    try:
        return _real_module_name(_type_module(cls))
    except (TypeError, AttributeError):
        return None


def callable_home(obj):
    """The name of the real module that is the home of callable ``obj``, or None.

    Python functions: the module of their globals. Bound methods: their function.
    Built-in functions: their module. Methods of C types (bound or not): the
    module of the class that defines them. Classes: their module. Any other
    callable object: the module of its class."""
    t = type(obj)
    if t is _FunctionType:
        return module_of_globals(_func_globals(obj))
    if t is _MethodType:
        return callable_home(_method_func(obj))
    if t is _BuiltinType:
        owner = _builtin_self(obj)
        if issubclass(type(owner), _ModuleType):
            return module_of_globals(_module_dict(owner))
        home = _real_module_name(_builtin_module(obj))
        if home is not None:
            return home
        if owner is None:
            return None
        cls = owner if issubclass(type(owner), type) else type(owner)
        name = _builtin_name(obj)
        for klass in _type_mro(cls):
            if name in _type_dict(klass):
                return _class_home(klass)
        return _class_home(cls)
    getter = _OBJCLASS.get(t)
    if getter is not None:
        return _class_home(getter(obj))
    if issubclass(t, type):
        return _class_home(obj)
    return _class_home(t)


def module_body_name(frame):
    """If ``frame`` runs the body of a real module, that module's name, else None."""
    if frame.f_code.co_name != _MODULE_CODE_NAME:
        return None
    g = frame.f_globals
    if frame.f_locals is not g:
        return None
    return module_of_globals(g)


def import_context(frame):
    """The context of a use made in ``frame``: None for run time, or the name of
    the innermost module whose body is executing at or above ``frame`` on this
    thread's stack. The body of ``__main__`` is run time."""
    f = frame
    while f is not None:
        if f.f_code.co_name == _MODULE_CODE_NAME:
            name = module_body_name(f)
            if name is not None:
                return None if name == MAIN else name
        f = f.f_back
    return None


def outer_import_context(frame, name):
    """The context in which module ``name``, whose body is executing at or above
    ``frame``, is being imported."""
    f = frame
    while f is not None:
        if f.f_code.co_name == _MODULE_CODE_NAME and module_body_name(f) == name:
            return import_context(f.f_back)
        f = f.f_back
    return None


def user_frame(frame, machinery):
    """The frame that made a use seen in ``frame``: the first one that is not
    the import machinery (``machinery`` holds the ids of its namespaces). None
    when that is modtrace itself (the traced entry)."""
    f = frame
    while f is not None:
        g = f.f_globals
        if id(g) in machinery:
            f = f.f_back
            continue
        name = _dict_get(g, "__name__") if type(g) is dict else None
        if type(name) is str and is_own(name):
            return None
        return f
    return None


def code_name(code):
    return getattr(code, "co_qualname", code.co_name)


def where(frame):
    """``(file, line, function)`` of a frame, and the module it runs in."""
    if frame is None:
        return None, None
    code = frame.f_code
    return (code.co_filename, frame.f_lineno, code_name(code)), module_of_globals(frame.f_globals)
