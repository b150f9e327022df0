"""Disclosure rules, each checked by hand."""
from hypothesis import given
from hypothesis import strategies as st

from justicelab.report import disclosure as d


def test_suppression_threshold_and_symbols():
    assert [d.suppress(n) for n in (0, 1, 10, 11, 250)] == [0, "[c]", "[c]", 11, 250]
    assert d.suppress(4, threshold=5) == "[c]" and d.suppress(5, threshold=5) == 5
    assert d.withheld_symbol("10 or fewer people in a group had this court outcome") == "[c]"
    assert d.withheld_symbol("fewer than 30 people in the treatment group reoffended (17)") == "[low]"
    assert d.withheld_symbol(None) == ""


def test_rounding():
    assert [d.round_count(n) for n in (0, 2, 3, 7, 12, 13, 1002)] == [0, 0, 5, 5, 10, 15, 1000]
    assert d.round_count(2.5) == 5 and d.round_count(-3) == -5
    assert d.whole_percent(0.125) == 13 and d.whole_percent(0.124) == 12 and d.whole_percent(0.005) == 1


@given(st.integers(0, 10**6))
def test_rounded_counts_are_multiples_within_half_a_base(n):
    r = d.round_count(n)
    assert r % d.ROUND_TO == 0 and abs(r - n) <= d.ROUND_TO / 2
