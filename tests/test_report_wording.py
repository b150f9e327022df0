"""Display rules and sentences, checked against the seed reports' own figures and wording."""
from justicelab.report import wording as w


def m(t, c, lo, hi, p, diff=None):
    return {"treated_value": t, "comparison_value": c, "difference": t - c if diff is None else diff,
            "ci_low": lo, "ci_high": hi, "p_value": p}


def test_display_rules():
    assert w.p_value(0.0049) == "<0.01" and w.p_value(0.02) == "0.02" and w.p_value(0.934) == "0.93"
    assert w.pct(0.486) == "49" and w.pct(-0.004) == "0" and w.freq(-0.001) == "0.00" and w.days(166.6) == "167"
    assert w.interval("rate", -0.0995, -0.0101) == "-10 to -1"
    assert w.interval("frequency", -1.004, -0.443) == "-1.00 to -0.44"
    assert w.significant(m(0.49, 0.54, -0.1, -0.01, 0.05)) and not w.significant(m(0.49, 0.54, -0.1, 0.01, 0.051))


def test_p3_key_findings_sentences_and_rounding_note():
    # seed 000 (P3): 49% vs 54%, 6 fewer; 1.89 vs 2.61, 72 fewer; 167 vs 127 days, 40 later
    rate = m(0.49, 0.54, -0.10, -0.01, 0.02, diff=-0.058)
    freq = m(1.89, 2.61, -1.00, -0.44, 0.001)
    ttf = m(167.0, 127.0, 27, 53, 0.001)
    h = w.hundred_people(rate, freq, ttf)
    assert h["treated"][0] == ("49 of the 100 people committed a proven reoffence within a one-year period "
                               "(a rate of 49%), 6 people fewer than in the comparison group.")
    assert h["treated"][1].startswith("189 proven reoffences were committed by these 100 people during the year "
                                      "(a frequency of 1.9 offences per person), 72 offences fewer")
    assert h["treated"][2].startswith("167 days was the average time before a reoffender committed their first "
                                      "proven reoffence, 40 days later")
    assert h["comparison"][1].startswith("261 proven reoffences")
    assert h["rounding_note"], "49 + 6 is not 54: the seed prints the rounding note"
    exact = w.hundred_people(m(0.49, 0.54, -0.1, -0.01, 0.02), m(1.89, 2.61, -1.0, -0.44, 0.001), ttf)
    assert not exact["rounding_note"]
    assert w.impact_sentence(rate, "people") == ("The number of people who commit a proven reoffence within one "
                                                 "year could be lower by between 1 and 10 people. This is a "
                                                 "statistically significant result.")
    can, cannot = w.can_cannot_say(rate, "P3 Link Worker Services", "rate")
    assert can == ("This analysis provides evidence that support from P3 Link Worker Services may decrease the "
                   "number of proven reoffenders during a one-year period.")
    assert "increases/has no effect on the reoffending rate" in cannot
    can, _ = w.can_cannot_say(ttf, "P3", "time_to_first")
    assert can == "This analysis provides evidence that support from P3 may lengthen the average time to first proven reoffence."


def test_peer_mentoring_non_significant_wording():
    # seed 001: -7 to +25 people, -49 to +64 offences, not significant
    rate = m(0.436, 0.348, -0.07, 0.25, 0.28)
    can, cannot = w.can_cannot_say(rate, "the London Probation Trust peer mentoring programme", "rate")
    assert can == ("This analysis provides evidence that, for every 100 offenders, the London Probation Trust peer "
                   "mentoring programme may decrease the number of proven reoffenders during a one-year period by "
                   "as many as 7 people, or may increase it by as many as 25 people.")
    assert cannot == ("This analysis shows that the London Probation Trust peer mentoring programme "
                      "increases/decreases/has no effect on the reoffending rate of its participants.")
    assert w.impact_sentence(m(0.95, 0.87, -0.49, 0.64, 0.8), "offences").startswith(
        "The number of proven reoffences committed during the year could be lower by as many as 49 offences, or "
        "higher by as many as 64 offences.")
    assert w.direction(rate) == "none"
    assert w.direction(m(0.4, 0.5, -0.2, -0.01, 0.01)) == "improvement"
    assert w.direction(m(0.6, 0.5, 0.01, 0.2, 0.01)) == "worsening"


# --- property tests: every sentence generator against the sign of the unrounded values -------------------
import re  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from scipy import stats  # noqa: E402

bound = st.floats(-3, 3, allow_nan=False).filter(lambda x: x != 0)


@st.composite
def estimates(draw):
    """A consistent estimate: an interval, its midpoint, and the two-sided p-value the interval implies."""
    lo, hi = sorted((draw(bound), draw(bound)))
    d = (lo + hi) / 2
    se = max((hi - lo) / (2 * 1.959964), 1e-12)
    p = float(2 * stats.norm.sf(abs(d) / se))
    return {"treated_value": 0.5 + d, "comparison_value": 0.5, "difference": d, "ci_low": lo, "ci_high": hi,
            "p_value": p}


def numbers(text):
    return [int(x.replace(",", "")) for x in re.findall(r"\d[\d,]*", text)]


def check_directions(text, lo, hi, up, down, scale):
    """'down' appears iff the unrounded lower bound is below zero, 'up' iff the upper bound is above."""
    assert (f" {down} " in text) == (lo < 0), (text, lo, hi)
    assert (f" {up} " in text) == (hi > 0), (text, lo, hi)
    shown = set(numbers(text))
    for b in (lo, hi):
        n = round(abs(scale * b))
        if n:
            assert n in shown or b * (lo + hi) < 0 and min(abs(lo), abs(hi)) == abs(b), (text, b)
    if lo < 0 < hi or round(abs(scale * lo)) == 0 or round(abs(scale * hi)) == 0:
        assert "between 0" not in text and "as many as 0" not in text, text


@settings(max_examples=150, deadline=None)
@given(estimates(), st.sampled_from([("people", 100), ("offences", 100), ("days", 1)]))
def test_impact_sentence_direction_follows_unrounded_interval(m, unit_scale):
    unit, scale = unit_scale
    text = w.impact_sentence(m, unit, scale=scale)
    up, down = ("longer", "shorter") if unit == "days" else ("higher", "lower")
    check_directions(text, scale * m["ci_low"], scale * m["ci_high"], up, down, 1)
    assert ("not a statistically" in text) == (not w.significant(m))
    assert not re.search(r"(?<![\d.,])1 (people|offences|days)\b", text), text


@settings(max_examples=150, deadline=None)
@given(estimates(), st.sampled_from(["rate", "frequency", "time_to_first"]))
def test_can_say_direction_follows_unrounded_interval(m, measure):
    can, cannot = w.can_cannot_say(m, "the programme", measure)
    lo, hi = m["ci_low"], m["ci_high"]
    up, down = ("lengthen", "shorten") if measure == "time_to_first" else ("increase", "decrease")
    if w.significant(m) and (hi < 0 or lo > 0):
        assert (f"may {down} " in can) == (hi < 0) and (f"may {up} " in can) == (lo > 0), can
    else:
        scale = 1 if measure == "time_to_first" else 100
        check_directions(can, scale * lo, scale * hi, up, down, 1)
    assert "as many as 0 " not in can and not re.search(r"(?<![\d.,])1 (people|offences|days)\b", can), can


@settings(max_examples=150, deadline=None)
@given(st.floats(0.01, 0.99), st.floats(-0.3, 0.3), st.floats(0.1, 4), st.floats(-1, 1), st.floats(30, 300),
       st.floats(-29, 60))
def test_hundred_people_direction_follows_unrounded_difference(c, d, cf, df, cd, dd):
    rate = {"treated_value": c + d, "comparison_value": c, "difference": d}
    freq = {"treated_value": cf + df, "comparison_value": cf, "difference": df}
    ttf = {"treated_value": cd + dd, "comparison_value": cd, "difference": dd}
    h = w.hundred_people(rate, freq, ttf)
    for text, diff, up, down in ((h["treated"][0], 100 * d, "more", "fewer"), (h["treated"][1], 100 * df, "more", "fewer"),
                                 (h["treated"][2], dd, "later", "earlier")):
        if round(abs(diff)) == 0:
            assert "about the same" in text and f" {up} " not in text and f" {down} " not in text, text
        else:
            assert (f" {up} than" in text) == (diff > 0) and (f" {down} than" in text) == (diff < 0), text
            assert round(abs(diff)) in numbers(text)
        assert "than than" not in text and "number of offences than" not in text
        assert not re.search(r"(?<![\d.,])1 (people|offences|days)\b", text), text


def test_demo_frequency_interval_that_rounds_to_zero():
    # the demo's significant frequency interval -0.64 to -0.002 used to read "higher by between 0 and 64"
    m_ = m(0.9, 1.2, -0.64, -0.002, 0.049, diff=-0.32)
    text = w.impact_sentence(m_, "offences")
    assert "lower by up to 64 offences, or about the same" in text and "higher" not in text
    assert w.count(1, "people") == "1 person" and w.count(2, "offences") == "2 offences"


def test_better_direction_is_per_measure():
    summary_up = {**m(0.35, 0.27, 0.01, 0.14, 0.02), "measure": "court_outcome_rate", "court_outcome": "Summary"}
    either_up = {**m(0.72, 0.65, 0.01, 0.14, 0.02), "measure": "court_outcome_rate", "court_outcome": "Either way"}
    longer = {**m(167, 127, 27, 53, 0.001), "measure": "time_to_first"}
    assert w.direction(summary_up) == "improvement" and w.direction(either_up) == "worsening"
    assert w.direction(longer) == "improvement"
