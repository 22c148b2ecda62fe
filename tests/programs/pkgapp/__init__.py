"""A package run with -m: its __init__ runs first, as under python -m."""
import textwrap

BANNER = textwrap.dedent("""\
    pkgapp
""").strip()
