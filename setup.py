"""Build the optional C accelerator of the profile-hook backend (Python 3.10/3.11).

Everything else is declared in pyproject.toml. On Python 3.12+ the collector uses
sys.monitoring and needs no compiled code; if the extension cannot be built, the
pure Python hook is used instead (slower, same results).
"""

import sys

from setuptools import Extension, setup

ext_modules = []
if sys.version_info < (3, 12) and sys.implementation.name == "cpython":
    ext_modules.append(
        Extension("modtrace.collect._cprofile", ["src/modtrace/collect/_cprofile.c"], optional=True)
    )

setup(ext_modules=ext_modules)
