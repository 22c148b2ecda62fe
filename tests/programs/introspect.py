"""Prints, as JSON, what a program run by python sees of itself."""
import json
import sys

g = globals()
loader = g.get("__loader__")
spec = g.get("__spec__")
info = {
    "argv": sys.argv,
    "path0": sys.path[0],
    "name": __name__,
    "file": g.get("__file__"),
    "cached": g.get("__cached__"),
    "package": g.get("__package__"),
    "doc": __doc__,
    "spec": None if spec is None else [spec.name, spec.origin, spec.parent],
    "loader": None if loader is None else [type(loader).__name__, getattr(loader, "name", None), getattr(loader, "path", None)],
    "builtins": type(g["__builtins__"]).__name__,
    "keys": sorted(g),
    "main_is_me": sys.modules["__main__"].__dict__ is g,
    "stdin": sys.stdin.read() if "--stdin" in sys.argv else None,
}
print(json.dumps(info, sort_keys=True))
