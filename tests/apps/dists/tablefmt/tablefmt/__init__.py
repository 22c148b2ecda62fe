"""tablefmt: draw rows of text as an aligned table (a tiny test distribution)."""

from tablefmt._layout import widths

import palette


def table(rows, headers=None):
    rows = [tuple(str(c) for c in row) for row in rows]
    if headers is not None:
        rows.insert(0, tuple(headers))
    cols = widths(rows)
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, cols)).rstrip() for row in rows]
    if headers is not None:
        lines.insert(1, palette.rule(sum(cols) + 2 * (len(cols) - 1)))
    return "\n".join(lines)
