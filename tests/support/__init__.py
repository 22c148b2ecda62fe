"""Helpers shared by modtrace's own tests."""
