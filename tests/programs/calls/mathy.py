"""A module with callables for `modtrace call`."""
import fractions
import json


def add(a, b):
    return a + b


def ratio(a, b):
    return fractions.Fraction(a, b)


def dump(obj):
    return json.dumps(obj)


def boom(x):
    raise RuntimeError(f"boom {x}")


class Shapes:
    @staticmethod
    def area(w, h):
        return w * h


VALUE = 3
