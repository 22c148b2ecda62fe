"""Print a small sales report, its rows passed through a text filter chosen by name.

    python report.py [--filter NAME] [--region REGION] [--export FILE.csv]

The filter is a plugin, imported by name at run time (reporter.plugins). The
export feature is imported at the top but a plain run never uses it.
"""

import sys

from reporter import cli
from reporter.export import write_sheet  # only for --export


def main(argv):
    opts = cli.parse(argv)
    rows = cli.build(opts)
    print(cli.render(rows, opts))
    if opts.export:
        write_sheet(rows, opts.export)
        print(f"exported {len(rows)} rows to {opts.export}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
