"""Export the report's rows as sheets: the rows themselves and a summary per
region, each a delimited text file with a styled header.

Imported at the top of the entry point; only ``--export`` uses it. Its import
builds the sheet style with the third-party ``sheetwriter``: a plain run uses
sheetwriter only while this module is being imported.
"""

import os

import sheetwriter

STYLE = sheetwriter.Style(header_case="upper", separator=";", quote_all=False)
SUMMARY_STYLE = sheetwriter.Style(header_case="upper", separator=";", quote_all=True)


def write_sheet(rows, path, style=STYLE, summary=True):
    """Write ``rows`` (region, item, amount) to ``path``, and their summary
    beside it (``NAME.summary.csv``) unless ``summary`` is false."""
    sheet = sheetwriter.Sheet(style)
    sheet.header(["region", "item", "amount"])
    for region, item, amount in rows:
        sheet.row([region, item, f"{amount:.2f}"])
    _write(path, sheet.text())
    if summary:
        stem, ext = os.path.splitext(path)
        write_summary(rows, f"{stem}.summary{ext or '.csv'}")


def write_summary(rows, path, style=SUMMARY_STYLE):
    """Write the totals, counts and averages per region of ``rows`` to ``path``."""
    sheet = sheetwriter.Sheet(style)
    sheet.header(["region", "items", "total", "average", "share"])
    grand = sum(amount for _, _, amount in rows) or 1.0
    for region, count, total in summary(rows):
        sheet.row([region, str(count), f"{total:.2f}", f"{total / count:.2f}", f"{100 * total / grand:.1f}%"])
    _write(path, sheet.text())


def summary(rows):
    """``[(region, count, total)]`` sorted by total, largest first."""
    totals, counts = {}, {}
    for region, _item, amount in rows:
        totals[region] = totals.get(region, 0.0) + amount
        counts[region] = counts.get(region, 0) + 1
    return sorted(((r, counts[r], t) for r, t in totals.items()), key=lambda x: -x[2])


def _write(path, text):
    """Write ``text`` to ``path`` through a temporary file, so that a reader never
    sees half a sheet."""
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
