"""Upper case."""


def apply(text):
    return text.upper()
