"""Renderers: one module per output format, each with ``render(report) -> str``.

The report is a :class:`modtrace.report.Report`. A renderer may take keyword
options (``html``: ``plan``); :func:`render` passes them on.
"""

import importlib

#: format name -> module of this package that renders it
FORMATS = {
    "text": "text",
    "json": "json",
    "requirements": "requirements",
    "dot": "dot",
    "mermaid": "mermaid",
    "html": "html",
    "tests": "tests",
}


class RenderError(Exception):
    """A renderer cannot use an input it was given (a plan file, ...); the
    message is one line."""


def render(report, fmt="text", **options):
    """Render ``report`` in format ``fmt`` (one of :data:`FORMATS`)."""
    try:
        module = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})") from None
    return importlib.import_module(f"{__name__}.{module}").render(report, **options)
