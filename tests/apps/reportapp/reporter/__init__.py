"""reporter: the sample application of modtrace's packaging tests."""

__version__ = "1.0"
