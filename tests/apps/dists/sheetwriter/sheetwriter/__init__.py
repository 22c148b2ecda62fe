"""sheetwriter: write rows as a delimited sheet (a tiny test distribution)."""


class Style:
    def __init__(self, header_case="keep", separator=",", quote_all=False):
        self.header_case = header_case
        self.separator = separator
        self.quote_all = quote_all


class Sheet:
    def __init__(self, style):
        self.style = style
        self.lines = []

    def header(self, cells):
        if self.style.header_case == "upper":
            cells = [c.upper() for c in cells]
        self.row(cells)

    def row(self, cells):
        quote = (lambda c: f'"{c}"') if self.style.quote_all else str
        self.lines.append(self.style.separator.join(quote(c) for c in cells))

    def text(self):
        return "\n".join(self.lines) + "\n"
