"""`justicelab local`: one run from the database to the results every output is written from."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ..engine import Engine
from ..errors import JusticeLabError
from ..provenance import code_version, sha256_of
from ..report.disclosure import CONFIDENTIAL, is_disclosive, published_count, round_count
from .demand import demand_changes, demand_summary
from .geography import LEVELS, where_clause
from .matched import matched_comparison
from .predict import FEATURE_COLUMNS, auc, calibration, fit_frequency_model, fit_model, predicted_vs_actual
from .stats import area_statistics, build_area_cohort, period, published, quarterly_trends

TREND_QUARTERS = 8
WITHHELD = ("predicted against actual withheld: the local cohort has 1 to 10 people, reoffenders or "
            "non-reoffenders, so its rate would identify a small group [c]")


@dataclass
class LocalConfig:
    levels: list[str] = field(default_factory=lambda: ["local_authority"])
    area: dict[str, str] = field(default_factory=dict)  # level -> name: the area this run is about
    start: date | None = None
    end: date | None = None
    predict: bool = True
    baseline_start: date | None = None  # with an area: demand in this period against the main one
    baseline_end: date | None = None


def _quarters_before(end: date, quarters: int) -> date:
    q0 = (end.year * 4 + (end.month - 1) // 3) - quarters + 1
    return date(q0 // 4, 3 * (q0 % 4) + 1, 1)


def _jsonable(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in rec.items()}
            for rec in frame.to_dict(orient="records")]


def _published_calibration(cal: pd.DataFrame) -> pd.DataFrame:
    out = cal[["decile"]].copy()
    out["people"] = [CONFIDENTIAL if is_disclosive(n) else round_count(n) for n in cal["people"]]
    for c in ("predicted", "observed", "observed_low", "observed_high"):
        out[c + "_pct"] = (100 * cal[c]).round(1)
    return out


def local_cohort(national: pd.DataFrame, area: dict[str, str], people: list[int] | None) -> pd.Series:
    """Which national cohort members make up the local cohort: a supplied list of people, else the area."""
    if people is not None:
        return national["person_id"].isin(people)
    mask = pd.Series(True, index=national.index)
    for level, name in area.items():
        mask &= national[level] == name
    return mask


def run_local(engine: Engine, config: LocalConfig, db_path: Path | None = None,
              people: list[int] | None = None) -> dict:
    """Area statistics, trends, (with an area or a list of people) predicted vs actual, and (with an area
    and a baseline period) the change in demand against the rest of England and Wales."""
    start, end = period(engine, config.start, config.end)
    build_area_cohort(engine, start, end)
    for level, name in config.area.items():
        found = engine.query(f"SELECT count(*) AS n FROM area_measures WHERE {where_clause({level: name})}")
        if int(found["n"].iloc[0]) == 0:
            raise JusticeLabError(f"--area {level}={name!r}: nobody in the period's cohort lives there")
    demand_level = next(iter(config.area), None)
    demand_now = demand_summary(engine, demand_level) if config.baseline_start and demand_level else None
    keys = list(dict.fromkeys(config.levels + list(config.area)))
    areas = area_statistics(engine, keys, config.area)
    results = {
        "title": "Proven reoffending by area" + (": " + ", ".join(config.area.values()) if config.area else ""),
        "period": [start.isoformat(), end.isoformat()],
        "levels": {k: LEVELS[k] for k in keys},
        "area": config.area,
        "provenance": {"code_version": code_version(),
                       "database_sha256": sha256_of(db_path) if db_path else None,
                       "config": {**asdict(config), "start": start.isoformat(), "end": end.isoformat(),
                                  "people_supplied": people is not None}},
        "areas": _jsonable(published(areas, keys)),
    }
    trend_level = next(iter(config.area), keys[0])
    trend_start = _quarters_before(end, TREND_QUARTERS)
    trends = quarterly_trends(engine, trend_level, trend_start, end, config.area)
    results["trends"] = {"level": trend_level, "rows": _jsonable(published(trends, ["quarter", "area"]))}
    if config.predict:
        results["prediction"] = _prediction(engine, keys, config.area, people)
    if demand_now is not None:
        build_area_cohort(engine, config.baseline_start, config.baseline_end)
        base = demand_summary(engine, demand_level)
        area = config.area[demand_level]
        if area not in base.index:
            raise JusticeLabError(f"--area {demand_level}={area!r}: nobody in the baseline period's cohort lives there")
        results["demand"] = {"baseline": [config.baseline_start.isoformat(), config.baseline_end.isoformat()],
                             "area": area, "rows": demand_changes(base, demand_now, area)}
    return results


def _prediction(engine: Engine, keys: list[str], area: dict[str, str], people: list[int] | None) -> dict:
    national = engine.query(f"""SELECT person_id, reoffended, reoffences, {', '.join(FEATURE_COLUMNS)}, {', '.join(keys)}
                                FROM area_measures ORDER BY person_id""")
    local = local_cohort(national, area, people)
    rest = national[~local]
    model = fit_model(rest)
    p = model.predict(rest)
    out = {
        "model": {"fitted_on": round_count(len(rest)), "base_rate_pct": round(100 * model.base_rate, 1),
                  "auc": round(auc(rest["reoffended"].to_numpy(), p), 3),
                  "coefficients": _jsonable(model.coefficients().round(4)),
                  "calibration": _jsonable(_published_calibration(calibration(rest["reoffended"].to_numpy(), p)))},
    }
    if people is not None:
        found = int(local.sum())
        out["people_supplied"] = len(set(people))
        out["people_in_cohort"] = CONFIDENTIAL if is_disclosive(found) else round_count(found)
    if local.any() and (people is not None or area):
        n, k = int(local.sum()), int(national.loc[local, "reoffended"].sum())
        if any(is_disclosive(x) for x in (n, k, n - k)):
            out["withheld"] = WITHHELD
            return out
        people_shown = round_count(n)
        out["local"] = {**predicted_vs_actual(model, national[local]), "people": people_shown}
        out["local_frequency"] = {**predicted_vs_actual(fit_frequency_model(rest), national[local], "reoffences"),
                                  "people": people_shown}
        matched = matched_comparison(model, national, local.to_numpy())
        for part in ("reoffended", "reoffences"):
            if part in matched:
                for k in ("n_treated", "n_comparison"):
                    v = matched[part][k]
                    matched[part][k] = CONFIDENTIAL if is_disclosive(v) else round_count(v)
        out["matched"] = matched
    return out


def run_tracking(engine: Engine, scheme: pd.DataFrame, db_path: Path | None = None, label: str = "the file") -> dict:
    """Cohort tracking for a scheme (person_id, event_date = selection date): the published results every
    tracking output is written from. A selection too late to follow for 24 months is refused by row."""
    from datetime import timedelta

    from ..measures.bulletin import snapshot_date
    from .tracking import CAVEAT, MONTH, MONTHS, scheme_and_pool, track

    snapshot = snapshot_date(engine)
    late = scheme["event_date"].dt.date + timedelta(days=int(MONTHS * MONTH) + 183) > snapshot
    if late.any():
        row = int(late.to_numpy().nonzero()[0][0]) + 1
        raise JusticeLabError(f"{label} row {row}, column selection_date: too late to follow for 24 months "
                              f"(the database runs to {snapshot})")
    frame, treated = scheme_and_pool(engine, scheme, snapshot)
    r = track(frame, treated)
    results = {"title": "Cohort tracking: offences per person per month around selection", "caveat": CAVEAT,
               "provenance": {"code_version": code_version(),
                              "database_sha256": sha256_of(db_path) if db_path else None},
               **{k: v for k, v in r.items() if k != "series"},
               "series": r["series"].to_dict(orient="records")}
    for k in ("scheme_people", "matched_people", "comparison_people"):
        results[k] = published_count(results[k])
    results["verdict"] = ("fewer offences than the matched comparison" if r["effect_high"] < 0 else
                          "more offences than the matched comparison" if r["effect_low"] > 0 else
                          "not distinguishable from the matched comparison")
    return results
