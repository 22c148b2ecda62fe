import importlib
import itertools
import sys
import textwrap

import pytest

_counter = itertools.count()


class ModuleFactory:
    """Writes modules into a fresh directory on sys.path, with a prefix unique to
    the test, and removes them from sys.modules afterwards."""

    def __init__(self, root):
        self.root = root
        self.prefix = f"mt{next(_counter)}_"
        self.names = []

    def name(self, short):
        return self.prefix + short

    def write(self, **sources):
        """Write modules given as ``short_name=source``; ``{p}`` in a source is
        replaced by the prefix, so modules can import each other. A short name
        with ``__`` makes a package path: ``pkg__mod`` is ``<prefix>pkg/mod.py``."""
        for short, source in sources.items():
            parts = short.split("__")
            parts[0] = self.prefix + parts[0]
            path = self.root.joinpath(*parts[:-1], parts[-1] + ".py")
            path.parent.mkdir(parents=True, exist_ok=True)
            for i in range(1, len(parts)):
                init = self.root.joinpath(*parts[:i], "__init__.py")
                if not init.exists():
                    init.write_text("")
            path.write_text(textwrap.dedent(source).replace("{p}", self.prefix))
            self.names.append(".".join(parts))
        importlib.invalidate_caches()

    def load(self, short):
        return importlib.import_module(self.prefix + short.replace("__", "."))

    def cleanup(self):
        for name in list(sys.modules):
            if name.startswith(self.prefix):
                del sys.modules[name]


@pytest.fixture
def mods(tmp_path):
    factory = ModuleFactory(tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        yield factory
    finally:
        sys.path.remove(str(tmp_path))
        factory.cleanup()
