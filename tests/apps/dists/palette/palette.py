"""palette: rules and boxes for text output (a tiny test distribution)."""


def rule(width, char="-"):
    return char * width
