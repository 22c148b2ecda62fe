"""Settings: plain data, read at run time. No code of this module ever runs
after its import, so only the bundle's verification can tell it is needed."""

LIMIT = 4
