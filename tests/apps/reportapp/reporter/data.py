"""The sales figures the report is made of."""

_SALES = [
    ("north", "apples", 120.5),
    ("north", "pears", 80.0),
    ("south", "apples", 99.9),
    ("south", "plums", 150.25),
    ("east", "cherries", 42.0),
    ("west", "apples", 61.75),
]


def sales(region=None):
    return [row for row in _SALES if region is None or row[0] == region]
