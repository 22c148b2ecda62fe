"""A directory of generated modules on ``sys.path`` that leaves no trace.

:class:`ModuleSandbox` writes modules (or whole packages) into a directory,
puts the directory at the front of ``sys.path`` and, when closed, removes the
directory from ``sys.path`` and every module it provided from ``sys.modules``.
Each sandbox hands out a prefix unique in the process (``sb<pid>_<n>_``) so that
modules of one sandbox never collide with cached modules of an earlier one.

It is a plain context manager, usable from hypothesis tests (which must not use
function-scoped pytest fixtures) as well as from the ``sandbox`` fixture.
"""

import importlib
import itertools
import os
import shutil
import sys
import tempfile
import textwrap

_counter = itertools.count()


class ModuleSandbox:
    def __init__(self, root=None):
        self._own_root = root is None
        self.root = tempfile.mkdtemp(prefix="modtrace-sandbox-") if root is None else os.fspath(root)
        self.prefix = f"sb{os.getpid()}_{next(_counter)}_"
        self._open = False

    # -- naming ----------------------------------------------------------------
    def name(self, short):
        """The full module name of ``short`` (``pkg.mod`` -> ``<prefix>pkg.mod``)."""
        return self.prefix + short

    # -- writing -----------------------------------------------------------------
    def write(self, short, source, dedent=True):
        """Write module ``short`` (dotted: ``pkg.mod``; packages get an empty
        ``__init__.py`` unless written explicitly). ``{p}`` in the source is
        replaced by the prefix. Returns the full module name."""
        parts = self.name(short).split(".")
        directory = os.path.join(self.root, *parts[:-1])
        os.makedirs(directory, exist_ok=True)
        for i in range(1, len(parts)):
            init = os.path.join(self.root, *parts[:i], "__init__.py")
            if not os.path.exists(init):
                with open(init, "w", encoding="utf-8"):
                    pass
        text = textwrap.dedent(source) if dedent else source
        with open(os.path.join(directory, parts[-1] + ".py"), "w", encoding="utf-8") as f:
            f.write(text.replace("{p}", self.prefix))
        importlib.invalidate_caches()
        return self.name(short)

    def write_package(self, short, source=""):
        """Write ``short/__init__.py``."""
        parts = self.name(short).split(".")
        directory = os.path.join(self.root, *parts)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "__init__.py"), "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(source).replace("{p}", self.prefix))
        importlib.invalidate_caches()
        return self.name(short)

    def load(self, short):
        return importlib.import_module(self.name(short))

    # -- life cycle ----------------------------------------------------------------
    def open(self):
        if not self._open:
            sys.path.insert(0, self.root)
            self._open = True
        return self

    def close(self):
        if self._open:
            self._open = False
            try:
                sys.path.remove(self.root)
            except ValueError:
                pass
            sys.path_importer_cache.pop(self.root, None)
        top = self.prefix
        for name in [n for n in sys.modules if n.startswith(top)]:
            del sys.modules[name]
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()
        return False
