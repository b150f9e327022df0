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
