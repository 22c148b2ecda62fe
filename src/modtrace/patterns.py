"""Module name patterns, for ``--include`` and ``--exclude``.

A pattern is a dotted module name in which:

* ``*`` matches any run of characters inside one dotted segment
  (``shop.*`` matches ``shop.cart`` but neither ``shop`` nor ``shop.cart.items``;
  ``test_*`` matches ``test_json``);
* ``**``, as a whole segment, matches any number of segments, none included
  (``shop.**`` matches ``shop``, ``shop.cart`` and ``shop.cart.items``;
  ``**.tests`` matches ``tests`` and ``shop.tests``).

Everything else matches itself. These are the rules of torch.package's module
patterns, so a pattern written for one works in the other.
"""

import re


class PatternError(ValueError):
    """A pattern is not well formed."""


def _segment_regex(segment):
    if "**" in segment:
        if segment != "**":
            raise PatternError("'**' must be a whole dotted segment")
        return None
    return "[^.]*".join(re.escape(part) for part in segment.split("*"))


def compile_pattern(pattern):
    """Compile one pattern into a regular expression that matches whole names."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise PatternError("empty module pattern")
    if pattern != pattern.strip():
        raise PatternError(f"module pattern {pattern!r} has surrounding spaces")
    segments = pattern.split(".")
    if any(s == "" for s in segments):
        raise PatternError(f"module pattern {pattern!r} has an empty dotted segment")
    # Build the regex against "." + name, so that every segment, the first
    # included, is introduced by a dot; "**" then is "zero or more .segment".
    out = []
    for segment in segments:
        try:
            regex = _segment_regex(segment)
        except PatternError as exc:
            raise PatternError(f"module pattern {pattern!r}: {exc}") from None
        out.append(r"(?:\.[^.]+)*" if regex is None else r"\." + regex)
    return re.compile("".join(out) + r"\Z", re.DOTALL)


class ModuleFilter:
    """Keep the names that match any include pattern (all, when there is none)
    and no exclude pattern."""

    def __init__(self, include=(), exclude=()):
        self.include = list(include)
        self.exclude = list(exclude)
        self._include = [compile_pattern(p) for p in self.include]
        self._exclude = [compile_pattern(p) for p in self.exclude]

    def __bool__(self):
        return bool(self.include or self.exclude)

    def __call__(self, name):
        dotted = "." + name
        if self._include and not any(r.match(dotted) for r in self._include):
            return False
        return not any(r.match(dotted) for r in self._exclude)


def matches(pattern, name):
    """True when module ``name`` matches ``pattern``."""
    return compile_pattern(pattern).match("." + name) is not None
