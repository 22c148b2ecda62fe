"""Text filters, one module each, found by name when the report runs."""

import importlib


def load(name):
    """The ``apply`` function of the filter module called ``name``."""
    module = importlib.import_module(f"{__name__}.{name}")
    return module.apply
