"""Command line of the report: options, rows, rendering."""

import argparse

import tablefmt

from reporter import data, plugins, settings


def parse(argv):
    parser = argparse.ArgumentParser(prog="report")
    parser.add_argument("--filter", default="upper", help="the text filter (a plugin)")
    parser.add_argument("--region", default=None, help="keep only this region")
    parser.add_argument("--export", default=None, metavar="FILE", help="also write the rows as a sheet")
    return parser.parse_args(argv)


def build(opts):
    rows = data.sales(opts.region)
    rows.sort(key=lambda r: -r[2])
    return rows[: settings.LIMIT]


def render(rows, opts):
    text_filter = plugins.load(opts.filter)
    shown = [(text_filter(region), text_filter(item), f"{amount:.2f}") for region, item, amount in rows]
    return tablefmt.table(shown, headers=("region", "item", "amount"))
