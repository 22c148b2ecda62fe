"""Title case."""


def apply(text):
    return text.title()
