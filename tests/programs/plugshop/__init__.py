"""A small multi-module program with third-party dependencies (pluggy, iniconfig)."""
