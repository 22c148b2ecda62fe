"""Letter spacing: "apples" becomes "a p p l e s"."""


def apply(text, gap=" "):
    """Put ``gap`` between the letters of ``text``; words are kept apart by
    three gaps so that they still read as words."""
    words = text.split()
    return (gap * 3).join(gap.join(word) for word in words)
