"""Leetspeak, for those who like it."""

_TABLE = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"})


def apply(text):
    """Replace letters by the digits that look like them."""
    return text.lower().translate(_TABLE)
