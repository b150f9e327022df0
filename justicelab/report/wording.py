"""Display rules and the sentences of a Data Lab report (seeds 000 and 001).

Rules: significance at p <= 0.05; p-values to 2 decimal places, "<0.01" below that; rates as whole
percentages; frequencies to 2 decimals (1 in the "100 people" sentences); days as whole numbers;
"-0" shown as "0"; the rounding note exactly when the shown figures do not add up.
"""
from __future__ import annotations

import math

PERIOD_WORDS = (("one-year", "two-year"), ("One-year", "Two-year"), ("one year", "two years"),
                ("One year", "Two years"))


def for_period(text: str, years: int = 1, waiting_days: int = 183) -> str:
    """A sentence written for the standard one-year follow-up and six-month waiting period, for the
    analysis's own follow-up (one or two years) and waiting period (docs/analysis.md)."""
    if years == 2:
        for one, two in PERIOD_WORDS:
            text = text.replace(one, two)
    if waiting_days != 183:
        text = (text.replace("six-month waiting period", f"{waiting_days}-day waiting period")
                .replace("a further six months", f"a further {waiting_days} days"))
    return text


ROUNDING_NOTE = "Please note totals may not appear to equal the sum of the component parts due to rounding."
SIGNIFICANCE = 0.05


def _clean(text: str) -> str:
    """A value that rounds to zero is shown without a minus sign ("-0" -> "0", "-0.00" -> "0.00")."""
    return text.lstrip("-") if float(text) == 0 else text


def whole(x: float) -> str:
    return _clean(f"{round(x):.0f}")


def pct(rate: float) -> str:
    return whole(100 * rate)


def freq(x: float) -> str:
    return _clean(f"{x:.2f}")


def days(x: float) -> str:
    return whole(x)


def p_value(p: float | None) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "<0.01" if p < 0.01 else f"{p:.2f}"


def significant(m: dict) -> bool:
    return (not m.get("withheld")) and m.get("p_value") is not None and m["p_value"] <= SIGNIFICANCE


def value(kind: str, x: float) -> str:
    return {"rate": pct, "frequency": freq, "days": days}[kind](x)


def interval(kind: str, low: float, high: float) -> str:
    f = {"rate": pct, "frequency": freq, "days": days}[kind]
    return f"{f(low)} to {f(high)}"


# Which way is better, per measure (seed 000 reads more summary and fewer either-way first reoffences as good)
LOWER_IS_BETTER = {"rate": True, "frequency": True, "time_to_first": False, "court_outcome_frequency": True,
                   "custody_rate": True, "custody_frequency": True, "employment_rate": False, "days_employed": False,
                   "days_on_benefit": True}
HIGHER_SHARE_IS_BETTER = {"Summary"}  # court outcome of the first reoffence: a less serious outcome


def lower_is_better(m: dict) -> bool:
    if m.get("measure") == "court_outcome_rate":
        return m.get("court_outcome") not in HIGHER_SHARE_IS_BETTER
    return LOWER_IS_BETTER.get(m.get("measure", "rate"), True)


def direction(m: dict, lower_is_better_: bool | None = None) -> str:
    """'improvement', 'worsening' or 'none' (not significant), from the unrounded estimate."""
    if not significant(m):
        return "none"
    low = lower_is_better(m) if lower_is_better_ is None else lower_is_better_
    better = m["difference"] < 0 if low else m["difference"] > 0
    return "improvement" if better else "worsening"


UNITS = {"people": ("person", "people"), "offences": ("offence", "offences"), "days": ("day", "days"),
         "sentences": ("sentence", "sentences")}


def count(n: int, unit: str) -> str:
    """'1 person', '2 people', '1 offence' (never '1 people')."""
    one, many = UNITS.get(unit, (unit.rstrip("s"), unit))
    return f"{n:,} {one if n == 1 else many}"


def _extent(x: float, unit: str) -> str:
    """A bound's size in words: 'as many as 7 people', or 'less than 1 person' when it rounds to zero."""
    n = round(abs(x))
    return f"less than {count(1, unit)}" if n == 0 else count(n, unit)


def range_words(low: float, high: float, unit: str, up: str, down: str) -> str:
    """'lower by between 1 and 10 people' / 'lower by up to 64 offences, or about the same' / 'lower by as
    many as 7 people, or higher by as many as 25 people'. Directions come from the unrounded bounds."""
    if high < 0 or low > 0:  # the interval lies on one side of zero
        side = down if high < 0 else up
        near, far = sorted((abs(low), abs(high)))
        if round(far) == 0:
            return f"{side} by less than {count(1, unit)}"
        if round(near) == 0:
            return f"{side} by up to {count(round(far), unit)}, or about the same"
        return f"{side} by between {round(near):,} and {count(round(far), unit)}"
    if low == 0 and high == 0:
        return "about the same"
    parts = []
    if low < 0:
        parts.append(f"{down} by as many as {_extent(low, unit)}".replace("as many as less", "less"))
    if high > 0:
        parts.append(f"{up} by as many as {_extent(high, unit)}".replace("as many as less", "less"))
    if len(parts) == 1:
        parts.append("about the same")
    return ", or ".join(parts)


def hundred_people(rate: dict, freq_m: dict, ttf: dict | None) -> dict:
    """'For 100 typical people ...' sentences for each group, and whether the rounding note is needed."""
    t_rate, c_rate = round(100 * rate["treated_value"]), round(100 * rate["comparison_value"])
    d_rate = round(100 * rate["difference"])
    t_off, c_off = round(100 * freq_m["treated_value"]), round(100 * freq_m["comparison_value"])
    d_off = round(100 * freq_m["difference"])
    treated = [f"{t_rate} of the 100 people committed a proven reoffence within a one-year period (a rate of "
               f"{t_rate}%), {_more_fewer(100 * rate['difference'], 'people', 'more', 'fewer')} in the comparison "
               f"group.",
               f"{_offences(t_off)} committed by these 100 people during the year (a frequency of "
               f"{freq_m['treated_value']:.1f} offences per person), "
               f"{_more_fewer(100 * freq_m['difference'], 'offences', 'more', 'fewer')} in the comparison group."]
    comparison = [f"{c_rate} of the 100 people committed a proven reoffence within a one-year period (a rate of "
                  f"{c_rate}%).",
                  f"{_offences(c_off)} committed by these 100 people during the year (a frequency of "
                  f"{freq_m['comparison_value']:.1f} offences per person)."]
    adds_up = (t_rate - c_rate == d_rate) and (t_off - c_off == d_off)
    if ttf and not ttf.get("withheld"):
        t_d, c_d, d_d = round(ttf["treated_value"]), round(ttf["comparison_value"]), round(ttf["difference"])
        treated.append(f"{count(t_d, 'days')} was the average time before a reoffender committed their first proven "
                       f"reoffence, {_more_fewer(ttf['difference'], 'days', 'later', 'earlier')} the comparison "
                       f"group.")
        comparison.append(f"{count(c_d, 'days')} was the average time before a reoffender committed their first proven "
                          f"reoffence.")
        adds_up = adds_up and (t_d - c_d == d_d)
    else:
        treated.append("Time to first reoffence has not been included as a headline result due to low numbers "
                       "of reoffenders, which could potentially provide misleading results.")
    return {"treated": treated, "comparison": comparison, "rounding_note": not adds_up}


def _offences(n: int) -> str:
    return "1 proven reoffence was" if n == 1 else f"{n:,} proven reoffences were"


def _more_fewer(d: float, unit: str, up: str, down: str) -> str:
    """'6 people fewer than', '1 offence more than', '40 days later than', 'about the same as' (rounds to 0).
    The direction is that of the unrounded difference."""
    n = round(abs(d))
    if n == 0:
        return "about the same as" if unit != "people" else "about the same number of people as"
    return f"{count(n, unit)} {up if d > 0 else down} than"


WHAT = {"people": "The number of people who commit a proven reoffence within one year",
        "offences": "The number of proven reoffences committed during the year",
        "days": "On average, the time before an offender committed their first proven reoffence"}


def impact_sentence(m: dict, unit: str, scale: float = 100.0) -> str:
    """'could be lower by between 1 and 10 people' / 'lower by as many as 7 people, or higher by as many as 25'."""
    up, down = ("longer", "shorter") if unit == "days" else ("higher", "lower")
    words = range_words(scale * m["ci_low"], scale * m["ci_high"], unit, up, down)
    verdict = "This is a statistically significant result." if significant(m) else \
        "This is not a statistically significant result."
    return f"{WHAT[unit]} could be {words}. {verdict}"


def can_cannot_say(m: dict, name: str, measure: str) -> tuple[str, str]:
    """The 'what you can say / cannot say' statements of the seed reports."""
    noun = {"rate": ("the number of proven reoffenders", "the reoffending rate of its participants"),
            "frequency": ("the number of proven reoffences", "the number of reoffences committed by its participants"),
            "time_to_first": ("the average time to first proven reoffence",
                              "the average time to first reoffence for its participants")}[measure]
    lo, hi = m["ci_low"], m["ci_high"]
    if significant(m) and (hi < 0 or lo > 0):
        if measure == "time_to_first":
            verb, opposite = ("lengthen", "decreases") if lo > 0 else ("shorten", "increases")
        else:
            verb, opposite = ("decrease", "increases") if hi < 0 else ("increase", "decreases")
        period = "" if measure == "time_to_first" else " during a one-year period"
        can = f"This analysis provides evidence that support from {name} may {verb} {noun[0]}{period}."
        cannot = f"This analysis provides evidence that support from {name} {opposite}/has no effect on {noun[1]}."
        return can, cannot
    scale = 1 if measure == "time_to_first" else 100
    unit = {"rate": "people", "frequency": "offences", "time_to_first": "days"}[measure]
    down, up = ("shorten", "lengthen") if measure == "time_to_first" else ("decrease", "increase")
    parts = []
    if lo < 0:
        parts.append(f"may {down} {noun[0] if not parts else 'it'} by as many as {_extent(scale * lo, unit)}")
    if hi > 0:
        parts.append(f"may {up} {noun[0] if not parts else 'it'} by as many as {_extent(scale * hi, unit)}")
    words = ", or ".join(parts).replace("as many as less", "less") or f"may not change {noun[0]}"
    if measure == "time_to_first":
        can = f"This analysis provides evidence that {name} {words}."
    else:
        words = words.replace(f"{noun[0]} by", f"{noun[0]} during a one-year period by", 1)
        can = f"This analysis provides evidence that, for every 100 offenders, {name} {words}."
    cannot = f"This analysis shows that {name} increases/decreases/has no effect on {noun[1]}."
    return can, cannot


# --- significant results and the verdict (seed 000's "Significant results", 001's page-1 paragraph) ---------
COURT_NOUN = {"Either way": "triable-either-way", "Summary": "summary", "Indictable": "indictable-only"}
REOFFENDERS = "Participants who reoffend within a one-year period"


def finding(m: dict) -> str:
    """'Participants commit fewer reoffences than non-participants', from the unrounded difference."""
    up = m["difference"] > 0
    key, court = m["measure"], COURT_NOUN.get(m.get("court_outcome") or "", "")
    text = {
        "rate": f"Participants are {'more' if up else 'less'} likely to commit a reoffence",
        "frequency": f"Participants commit {'more' if up else 'fewer'} reoffences",
        "time_to_first": f"{REOFFENDERS} commit their first proven reoffence {'later' if up else 'earlier'}",
        "court_outcome_rate": f"{REOFFENDERS} are {'more' if up else 'less'} likely to commit a {court} offence "
                              f"for their first reoffence",
        "court_outcome_frequency": f"{REOFFENDERS} commit {'more' if up else 'fewer'} {court} offences",
        "custody_rate": f"{REOFFENDERS} are {'more' if up else 'less'} likely to receive a custodial sentence for "
                        f"their first reoffence",
        "custody_frequency": f"{REOFFENDERS} receive {'more' if up else 'fewer'} custodial sentences",
        "employment_rate": f"Participants are {'more' if up else 'less'} likely to be in P45 employment in the year",
        "days_employed": f"Participants spend {'more' if up else 'fewer'} days in P45 employment in the year",
        "days_on_benefit": f"Participants spend {'more' if up else 'fewer'} days on out-of-work benefits in the year",
    }[key]
    return text + " than non-participants"


HEADLINE_WORDS = {"rate": ("a lower one-year proven reoffending rate", "a higher one-year proven reoffending rate"),
                  "frequency": ("lower offending frequency", "higher offending frequency"),
                  "time_to_first": ("took longer to reoffend", "reoffended sooner")}


def verdict(national: list[dict], name: str) -> str:
    """The page-1 paragraph: what the national headline measures show, in the seeds' words."""
    shown = [m for m in national if not m.get("withheld")]
    sig = [m for m in shown if significant(m) and (m["ci_high"] < 0 or m["ci_low"] > 0)]
    if not sig:
        return (f"The overall results show that more people would need to have taken part in {name} and be "
                f"available for analysis in order to determine the way in which it affects a person's reoffending "
                f"behaviour, but this should not be taken to mean that the programme fails to affect it.")
    phrases = []
    for m in sig:
        good_if_down = m["measure"] != "time_to_first"
        down = m["difference"] < 0
        lower, higher = HEADLINE_WORDS[m["measure"]]
        phrase = lower if down == good_if_down else higher
        if m["measure"] != "time_to_first":
            phrase = "had " + phrase
        phrases.append(phrase)
    joined = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    text = f"The overall results show that those who took part in {name} {joined} compared with a matched comparison group."
    rest = [m for m in shown if m not in sig]
    if rest:
        names = {"rate": "the reoffending rate", "frequency": "the reoffending frequency",
                 "time_to_first": "the time to first reoffence"}
        listed = [names[m["measure"]] for m in rest]
        listed = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
        text += f" The differences in {listed} were not statistically significant."
    return text
