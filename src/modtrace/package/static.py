"""The import statements written in a module's code, read from its bytecode.

This is what a static analyser (PyInstaller's, torch.package's) sees: every
``import`` statement, also those inside functions that never ran, and none of
the imports made by ``importlib.import_module``, ``__import__(name)`` or C
code. The plan uses it to complete what a run cannot see (an ``import`` of a
module that was already loaded) and to tell static analysers what they miss.
"""

import os


class StaticImport:
    """``import`` statement at ``line``: ``target`` is the absolute module it
    names; ``names`` what ``from target import ...`` takes (maybe submodules)."""

    __slots__ = ("target", "names", "line")

    def __init__(self, target, names, line):
        self.target = target
        self.names = names
        self.line = line

    def __repr__(self):
        return f"StaticImport({self.target}, {self.names}, line {self.line})"


def read_code(file):
    """The code object of the Python source ``file``, or None."""
    if not file or not file.endswith(".py") or not os.path.isfile(file):
        return None
    try:
        with open(file, "rb") as f:
            source = f.read()
        return compile(source, file, "exec", dont_inherit=True)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError, MemoryError, RecursionError):
        return None


def _codes(code):
    stack = [code]
    while stack:
        c = stack.pop()
        yield c
        for const in c.co_consts:
            if type(const) is type(c):
                stack.append(const)


def imports_of_code(code, module, is_package):
    """The :class:`StaticImport` list of ``code``, the code of ``module``."""
    import dis

    out = []
    if is_package:
        package = module
    else:
        package = module.rpartition(".")[0]
    for c in _codes(code):
        consts = []
        line = None
        for ins in dis.get_instructions(c):
            positions = getattr(ins, "positions", None)
            if positions is not None and positions.lineno is not None:
                line = positions.lineno
            elif isinstance(getattr(ins, "starts_line", None), int) and not isinstance(ins.starts_line, bool):
                line = ins.starts_line
            if ins.opname == "LOAD_CONST":
                consts.append(ins.argval)
                continue
            if ins.opname == "IMPORT_NAME" and len(consts) >= 2:
                level, fromlist = consts[-2], consts[-1]
                target = _absolute(ins.argval, level, package, module)
                if target is not None:
                    names = tuple(n for n in (fromlist or ()) if isinstance(n, str) and n != "*")
                    out.append(StaticImport(target, names, line))
            consts = []
    return out


def _absolute(name, level, package, module):
    if not isinstance(level, int) or level < 0:
        return None
    if level == 0:
        return name or None
    if module == "__main__" or not package:
        return None
    bits = package.rsplit(".", level - 1)
    if len(bits) < level:
        return None
    base = bits[0]
    return f"{base}.{name}" if name else base


def static_imports(module, file):
    """The :class:`StaticImport` list of module ``module`` whose source is ``file``
    (empty when it has no readable source)."""
    code = read_code(file)
    if code is None:
        return []
    is_package = os.path.basename(file).startswith("__init__.")
    return imports_of_code(code, module, is_package)
