"""The proven reoffending bulletin by area, any period, with intervals, England and Wales alongside,
quarterly trends, and the disclosure control every published figure goes through.

All counting is SQL in the engine; Python only adds intervals to the few rows that come back.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..engine import Engine, run_steps
from ..measures.bulletin import latest_complete_year, snapshot_date
from ..measures.cohort import build_period_cohort, index_events_step, measures_steps, period_cohort_step
from ..measures.rules import Rules
from ..report.disclosure import CONFIDENTIAL, is_disclosive, round_count, whole_percent
from .geography import ENGLAND_AND_WALES, attach_areas, where_clause
from .intervals import mean_interval, newcombe, wilson

SUMS = """count(*) AS offenders, sum(reoffended) AS reoffenders, sum(reoffences) AS reoffences,
          sum(reoffences * reoffences) AS reoffences_sq"""


def period(engine: Engine, start: date | None, end: date | None, rules: Rules = Rules()) -> tuple[date, date]:
    """The requested period, or the latest complete year (as the national bulletin)."""
    if start is None or end is None:
        return latest_complete_year(snapshot_date(engine), rules)
    return start, end


def build_area_cohort(engine: Engine, start: date, end: date, rules: Rules = Rules()) -> None:
    """The national cohort of the period with everyone's areas: table `area_measures`."""
    build_period_cohort(engine, start, end, rules)
    attach_areas(engine)


def _with_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """Rates, frequencies and their 95% intervals from the summed counts."""
    f = frame.copy()
    for c in ("offenders", "reoffenders", "reoffences", "reoffences_sq"):
        f[c] = f[c].fillna(0).astype(np.int64)
    f["rate"] = f["reoffenders"] / f["offenders"]
    f["rate_low"], f["rate_high"] = wilson(f["reoffenders"], f["offenders"])
    f["reoffences_per_offender"], f["frequency_low"], f["frequency_high"] = mean_interval(
        f["reoffences"], f["reoffences_sq"], f["offenders"])
    f["reoffences_per_reoffender"] = f["reoffences"] / f["reoffenders"].where(f["reoffenders"] > 0)
    return f


def area_statistics(engine: Engine, levels: list[str], filters: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per area (combination of `levels`), then England and Wales; each area is compared with
    the rest of England and Wales (independent people, so Newcombe's interval applies)."""
    keys = ", ".join(levels)
    areas = engine.query(f"""SELECT {keys}, {SUMS} FROM area_measures WHERE {where_clause(filters or {})}
                             GROUP BY {keys} ORDER BY {keys}""")
    total = engine.query(f"SELECT {SUMS} FROM area_measures")
    for level in levels:
        total[level] = ENGLAND_AND_WALES
    frame = _with_measures(pd.concat([areas, total[areas.columns]], ignore_index=True))
    n_all, k_all = int(frame["offenders"].iloc[-1]), int(frame["reoffenders"].iloc[-1])
    rest_n, rest_k = n_all - frame["offenders"], k_all - frame["reoffenders"]
    d, low, high = newcombe(frame["reoffenders"], frame["offenders"], rest_k, rest_n)
    is_total = np.arange(len(frame)) == len(frame) - 1
    frame["difference_from_rest"] = np.where(is_total, np.nan, d)
    frame["difference_low"] = np.where(is_total, np.nan, low)
    frame["difference_high"] = np.where(is_total, np.nan, high)
    return frame


def quarterly_trends(engine: Engine, level: str, start: date, end: date, filters: dict[str, str] | None = None,
                     rules: Rules = Rules()) -> pd.DataFrame:
    """Rate and frequency by quarter for each area of `level` and for England and Wales, with intervals:
    quarterly cohorts hold each person's first index event in each quarter (a person can be in several).
    Leaves the quarterly cohorts in `quarter_measures` (the period's `area_measures` is kept)."""
    run_steps(engine, [index_events_step(), period_cohort_step(start, end, rules, per_quarter=True),
                       *measures_steps(rules)])
    attach_areas(engine, target="quarter_measures")
    quarter = "concat(year(index_date), ' Q', quarter(index_date))"  # as the bulletin's --by quarter
    areas = engine.query(f"""SELECT {quarter} AS quarter, {level} AS area, {SUMS} FROM quarter_measures
                             WHERE {where_clause(filters or {})} GROUP BY 1, 2 ORDER BY 2, 1""")
    total = engine.query(f"""SELECT {quarter} AS quarter, '{ENGLAND_AND_WALES}' AS area, {SUMS}
                             FROM quarter_measures GROUP BY 1 ORDER BY 1""")
    return _with_measures(pd.concat([areas, total], ignore_index=True))


def _count(n) -> int | str:
    return CONFIDENTIAL if is_disclosive(n) else round_count(n)


def _pct(x) -> int | str:
    return "" if pd.isna(x) else whole_percent(float(x))


def published(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """What may be published: counts of 1 to 10 shown as [c], other counts rounded to 5, percentages
    whole. A rate is withheld ([c]) when its reoffenders or its non-reoffenders are 1 to 10 (either
    would let a reader work out a small number of people), and so is everything derived from it."""
    out = frame[keys].copy()
    out["offenders"] = [_count(n) for n in frame["offenders"]]
    small = [is_disclosive(k) or is_disclosive(n - k) or is_disclosive(n)
             for k, n in zip(frame["reoffenders"], frame["offenders"])]
    out["reoffenders"] = [CONFIDENTIAL if s else round_count(k) for s, k in zip(small, frame["reoffenders"])]
    out["proportion_reoffending_pct"] = [CONFIDENTIAL if s else _pct(r) for s, r in zip(small, frame["rate"])]
    out["interval_low_pct"] = [CONFIDENTIAL if s else _pct(r) for s, r in zip(small, frame["rate_low"])]
    out["interval_high_pct"] = [CONFIDENTIAL if s else _pct(r) for s, r in zip(small, frame["rate_high"])]
    out["reoffences"] = [CONFIDENTIAL if s else _count(n) for s, n in zip(small, frame["reoffences"])]
    out["reoffences_per_offender"] = [CONFIDENTIAL if s else round(float(v), 2)
                                      for s, v in zip(small, frame["reoffences_per_offender"])]
    if "difference_from_rest" in frame:
        out["difference_from_rest_pct_points"] = [
            CONFIDENTIAL if s else ("" if pd.isna(d) else round(100 * float(d), 1))
            for s, d in zip(small, frame["difference_from_rest"])]
        out["difference_interval"] = [
            CONFIDENTIAL if s else ("" if pd.isna(lo) else f"{100 * lo:.1f} to {100 * hi:.1f}")
            for s, lo, hi in zip(small, frame["difference_low"], frame["difference_high"])]
    return out
