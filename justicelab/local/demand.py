"""Demand measures (the Local Justice Reinvestment pilots' test, as Lewisham reported it): the change
in demand an area's cohort puts on the justice system between a baseline period and a later one,
against the change in the rest of England and Wales over the same periods.

Demand is counted per cohort member over the one-year follow-up: proven reoffences, court occasions
that proved them (cautions excluded) and custodial sentences. The change is a ratio of per-person means;
an area is compared with the rest of the country through the difference of the log ratios, whose
variance is the sum of the four independent cohorts' delta-method variances (Var(log mean) =
s^2 / (n mean^2)). People in both periods' cohorts make the periods slightly dependent; the interval
ignores this, so it is a little conservative when people's demand is stable and a little narrow when
it is not.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine import Engine
from .geography import ENGLAND_AND_WALES
from .intervals import Z95

MEASURES = {"reoffences": "Proven reoffences", "court_occasions": "Court occasions",
            "custodial_sentences": "Custodial sentences"}


def demand_summary(engine: Engine, level: str) -> pd.DataFrame:
    """Per area of `level` and for England and Wales: people, and each measure's sum and sum of squares
    (needs the period's `area_measures` and `reoffences` tables)."""
    sums = ", ".join(f"sum({m}) AS {m}, sum({m} * {m}) AS {m}_sq" for m in MEASURES)
    per_person = f"""
        SELECT m.{level} AS area, m.reoffences, m.custodial_sentences, coalesce(c.court_occasions, 0) AS court_occasions
        FROM area_measures m LEFT JOIN (
          SELECT r.person_id, r.index_disposal_id, count(DISTINCT r.disposal_id) AS court_occasions
          FROM reoffences r JOIN disposal d ON d.disposal_id = r.disposal_id
          WHERE d.disposal_type <> 'caution' GROUP BY 1, 2) c
          ON c.person_id = m.person_id AND c.index_disposal_id = m.disposal_id"""
    areas = engine.query(f"SELECT area, count(*) AS people, {sums} FROM ({per_person}) GROUP BY 1 ORDER BY 1")
    total = engine.query(f"SELECT '{ENGLAND_AND_WALES}' AS area, count(*) AS people, {sums} FROM ({per_person})")
    return pd.concat([areas, total], ignore_index=True).set_index("area")


def _log_mean(total, total_sq, n) -> tuple[float, float]:
    """log of the mean and its delta-method variance."""
    mean = total / n
    var = max(total_sq / n - mean ** 2, 0.0) * n / max(n - 1, 1)
    return float(np.log(mean)), float(var / (n * mean ** 2))


def relative_change(base: tuple[float, float, float], now: tuple[float, float, float],
                    rest_base: tuple[float, float, float], rest_now: tuple[float, float, float]) -> dict:
    """Each argument is (people, total, sum of squares). Returns the area's and the rest's change in
    demand per person (as a fraction), and the area's change relative to the rest with its interval."""
    (lb, vb), (ln, vn) = _log_mean(base[1], base[2], base[0]), _log_mean(now[1], now[2], now[0])
    (rb, wb), (rn, wn) = (_log_mean(rest_base[1], rest_base[2], rest_base[0]),
                          _log_mean(rest_now[1], rest_now[2], rest_now[0]))
    diff = (ln - lb) - (rn - rb)
    half = Z95 * np.sqrt(vb + vn + wb + wn)
    return {"area_change": float(np.expm1(ln - lb)), "rest_change": float(np.expm1(rn - rb)),
            "volume_change": float(now[1] / base[1] - 1),
            "relative": float(np.expm1(diff)), "relative_low": float(np.expm1(diff - half)),
            "relative_high": float(np.expm1(diff + half))}


def demand_changes(base: pd.DataFrame, now: pd.DataFrame, area: str) -> list[dict]:
    """Every measure's change for `area` against the rest of England and Wales."""
    def triple(frame: pd.DataFrame, m: str, rest: bool = False) -> tuple[float, float, float]:
        """(people, total, sum of squares) of the area, or of the rest of England and Wales."""
        row, tot = frame.loc[area], frame.loc[ENGLAND_AND_WALES]
        vals = (row["people"], row[m], row[f"{m}_sq"])
        if rest:
            vals = (tot["people"] - vals[0], tot[m] - vals[1], tot[f"{m}_sq"] - vals[2])
        return tuple(float(v) for v in vals)

    out = []
    for m, label in MEASURES.items():
        if min(triple(base, m)[1], triple(now, m)[1]) <= 0:
            continue  # no demand in one period: a change cannot be expressed as a ratio
        change = relative_change(triple(base, m), triple(now, m), triple(base, m, True), triple(now, m, True))
        out.append({"measure": label, **change})
    return out
