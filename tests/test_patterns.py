"""Module name patterns: `*` one dotted segment, `**` any number."""

import re

import pytest
from hypothesis import given, strategies as st

from modtrace.patterns import ModuleFilter, PatternError, compile_pattern, matches


@pytest.mark.parametrize(
    "pattern, name, expected",
    [
        ("shop", "shop", True),
        ("shop", "shop.cart", False),
        ("shop", "shopping", False),
        ("shop.*", "shop.cart", True),
        ("shop.*", "shop", False),
        ("shop.*", "shop.cart.items", False),
        ("shop.**", "shop", True),
        ("shop.**", "shop.cart", True),
        ("shop.**", "shop.cart.items", True),
        ("shop.**", "shopping", False),
        ("**", "anything.at.all", True),
        ("**.tests", "tests", True),
        ("**.tests", "shop.tests", True),
        ("**.tests", "shop.tests.unit", False),
        ("shop.**.models", "shop.models", True),
        ("shop.**.models", "shop.a.b.models", True),
        ("shop.**.models", "shop.a.b.models.x", False),
        ("test_*", "test_json", True),
        ("test_*", "test", False),
        ("*_utils", "shop_utils", True),
        ("json.*r", "json.decoder", True),
        ("json.*r", "json.scanner", True),
        ("json.*r", "json.tool", False),
        ("a.b", "aXb", False),  # dots are literal
        ("_*", "__main__", True),
    ],
)
def test_matches(pattern, name, expected):
    assert matches(pattern, name) is expected


@pytest.mark.parametrize("bad", ["", " ", "a..b", ".a", "a.", "a**", "**b.c", "a.***", " a"])
def test_bad_patterns(bad):
    with pytest.raises(PatternError):
        compile_pattern(bad)


def test_filter_include_then_exclude():
    keep = ModuleFilter(["shop.**", "json"], ["shop.tests.**"])
    assert keep("shop") and keep("shop.cart") and keep("json")
    assert not keep("shop.tests") and not keep("shop.tests.unit") and not keep("os")
    assert ModuleFilter()("anything")
    assert not ModuleFilter()  # no pattern: filters nothing
    assert ModuleFilter(exclude=["os.**"])("json") and not ModuleFilter(exclude=["os.**"])("os.path")


names = st.lists(st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True), min_size=1, max_size=4).map(".".join)


@given(names)
def test_a_name_matches_itself_and_double_star_matches_all(name):
    assert matches(name, name)
    assert matches("**", name)
    assert matches(name + ".**", name)
    assert matches(name.split(".")[0] + ".**", name)


@given(names, names)
def test_star_stays_within_one_segment(a, b):
    pattern = a + ".*"
    assert matches(pattern, a + "." + b) is (len(b.split(".")) == 1)


@given(st.text(max_size=12))
def test_any_text_either_compiles_or_raises_pattern_error(text):
    try:
        regex = compile_pattern(text)
    except PatternError:
        return
    assert isinstance(regex, re.Pattern)
