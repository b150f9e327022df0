"""Display rules and the sentences of a Data Lab report (seeds 000 and 001).

Rules: significance at p <= 0.05; p-values to 2 decimal places, "<0.01" below that; rates as whole
percentages; frequencies to 2 decimals (1 in the "100 people" sentences); days as whole numbers;
"-0" shown as "0"; the rounding note exactly when the shown figures do not add up.
"""
from __future__ import annotations

import math

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


def direction(m: dict, lower_is_better: bool = True) -> str:
    """'improvement', 'worsening' or 'none' (not significant): the report's green / red / grey marker."""
    if not significant(m):
        return "none"
    better = m["difference"] < 0 if lower_is_better else m["difference"] > 0
    return "improvement" if better else "worsening"


def hundred_people(rate: dict, freq_m: dict, ttf: dict | None) -> dict:
    """'For 100 typical people ...' sentences for each group, and whether the rounding note is needed."""
    t_rate, c_rate = round(100 * rate["treated_value"]), round(100 * rate["comparison_value"])
    d_rate = round(100 * rate["difference"])
    t_off, c_off = round(100 * freq_m["treated_value"]), round(100 * freq_m["comparison_value"])
    d_off = round(100 * freq_m["difference"])
    treated = [f"{t_rate} of the 100 people committed a proven reoffence within a one-year period (a rate of "
               f"{t_rate}%), {_more_fewer(d_rate, 'people', 'more', 'fewer')} than in the comparison group.",
               f"{t_off} proven reoffences were committed by these 100 people during the year (a frequency of "
               f"{freq_m['treated_value']:.1f} offences per person), {_more_fewer(d_off, 'offences', 'more', 'fewer')}"
               f" than in the comparison group."]
    comparison = [f"{c_rate} of the 100 people committed a proven reoffence within a one-year period (a rate of "
                  f"{c_rate}%).",
                  f"{c_off} proven reoffences were committed by these 100 people during the year (a frequency of "
                  f"{freq_m['comparison_value']:.1f} offences per person)."]
    adds_up = (t_rate - c_rate == d_rate) and (t_off - c_off == d_off)
    if ttf and not ttf.get("withheld"):
        t_d, c_d, d_d = round(ttf["treated_value"]), round(ttf["comparison_value"]), round(ttf["difference"])
        treated.append(f"{t_d} days was the average time before a reoffender committed their first proven "
                       f"reoffence, {_more_fewer(d_d, 'days', 'later', 'earlier')} than the comparison group.")
        comparison.append(f"{c_d} days was the average time before a reoffender committed their first proven "
                          f"reoffence.")
        adds_up = adds_up and (t_d - c_d == d_d)
    else:
        treated.append("Time to first reoffence has not been included as a headline result due to low numbers "
                       "of reoffenders, which could potentially provide misleading results.")
    return {"treated": treated, "comparison": comparison, "rounding_note": not adds_up}


def _more_fewer(d: int, unit: str, up: str, down: str) -> str:
    if d == 0:
        return f"the same number of {unit}" if unit != "days" else "the same"
    return f"{abs(d)} {unit if abs(d) != 1 else unit.rstrip('s')} {up if d > 0 else down}"


def impact_sentence(m: dict, unit: str, scale: float = 100.0) -> str:
    """'could be lower by between 1 and 10 people' / 'lower by as many as 7 people, or higher by as many as 25'."""
    lo, hi = round(scale * m["ci_low"]), round(scale * m["ci_high"])
    what = {"people": "The number of people who commit a proven reoffence within one year",
            "offences": "The number of proven reoffences committed during the year",
            "days": "On average, the time before an offender committed their first proven reoffence"}[unit]
    up, down = ("longer", "shorter") if unit == "days" else ("higher", "lower")
    if significant(m):
        a, b = sorted((abs(lo), abs(hi)))
        side = down if hi < 0 else up
        return f"{what} could be {side} by between {a} and {b} {unit}. This is a statistically significant result."
    return (f"{what} could be {down} by as many as {abs(lo)} {unit}, or {up} by as many as {abs(hi)} {unit}. "
            f"This is not a statistically significant result.")


def can_cannot_say(m: dict, name: str, measure: str) -> tuple[str, str]:
    """The 'what you can say / cannot say' statements of the seed reports."""
    noun = {"rate": ("the number of proven reoffenders", "the reoffending rate of its participants"),
            "frequency": ("the number of proven reoffences", "the number of reoffences committed by its participants"),
            "time_to_first": ("the average time to first proven reoffence",
                              "the average time to first reoffence for its participants")}[measure]
    if significant(m):
        if measure == "time_to_first":
            verb, opposite = ("lengthen", "decreases") if m["difference"] > 0 else ("shorten", "increases")
        else:
            verb, opposite = ("decrease", "increases") if m["difference"] < 0 else ("increase", "decreases")
        period = "" if measure == "time_to_first" else " during a one-year period"
        can = f"This analysis provides evidence that support from {name} may {verb} {noun[0]}{period}."
        cannot = f"This analysis provides evidence that support from {name} {opposite}/has no effect on {noun[1]}."
        return can, cannot
    scale = 1 if measure == "time_to_first" else 100
    unit = {"rate": "people", "frequency": "offences", "time_to_first": "days"}[measure]
    lo, hi = round(scale * m["ci_low"]), round(scale * m["ci_high"])
    if measure == "time_to_first":
        can = (f"This analysis provides evidence that {name} may shorten {noun[0]} by as many as {abs(lo)} days, "
               f"or may lengthen it by as many as {abs(hi)} days.")
    else:
        can = (f"This analysis provides evidence that, for every 100 offenders, {name} may decrease {noun[0]} during "
               f"a one-year period by as many as {abs(lo)} {unit}, or may increase it by as many as {abs(hi)} {unit}.")
    cannot = f"This analysis shows that {name} increases/decreases/has no effect on {noun[1]}."
    return can, cannot
