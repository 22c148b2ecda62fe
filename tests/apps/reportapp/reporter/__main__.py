import sys

from reporter import cli
from reporter.export import write_sheet  # only for --export

opts = cli.parse(sys.argv[1:])
rows = cli.build(opts)
print(cli.render(rows, opts))
if opts.export:
    write_sheet(rows, opts.export)
