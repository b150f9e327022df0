"""Interim figures as the ministry published them for Peterborough: not the contract measure.

Before any cohort's result is final, the ministry compared the prison's releases with its own releases
in the years before the pilot, and the national (other prisons') trend over the same years, on a
shortened measure so that recent releases count: offences in the 6 months after release, convicted
within 9 months. Each year is the eligible releases of that calendar year (each person once), cut at
the last release whose shortened count is final. No matching: a change over time at the prison that
differs from the national change is suggestive, not a measured effect.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from ..engine import Engine
from ..measures.rules import Rules
from .cohort import build_register
from .contract import Contract
from .events import count_reconviction_events

INTERIM_RULES = Rules(follow_up_days=182, waiting_days=91)
LABEL = ("Interim figures in the ministry's style: the prison against its own earlier years and the national "
         "trend, on a shortened 6-month measure. These are not the contract measure and no payment depends on them.")


def interim_figures(engine: Engine, contract: Contract, as_of: date) -> dict | None:
    e = contract.eligibility
    if not e.prisons:
        return None
    last_release = as_of - timedelta(days=INTERIM_RULES.last_proven_day)
    first_year = e.released_from.year - contract.planning.interim_years_before
    last_year = min(e.released_to.year, last_release.year)
    frames = []
    for year in range(first_year, last_year + 1):
        start, end = date(year, 1, 1), min(date(year, 12, 31), last_release)
        if end < start:
            break
        for population, label in (("contract", "prison"), ("other_prisons", "national")):
            build_register(engine, contract, start, end, "interim_register", population)
            members = engine.query("""SELECT person_id, index_date AS release_date FROM interim_register
                                      WHERE position IS NOT NULL""")
            frames.append(members.assign(year=year, group=label, to=end.isoformat()))
    if not frames:
        return None
    groups = pd.concat(frames, ignore_index=True)
    groups["release_date"] = pd.to_datetime(groups["release_date"])
    events = count_reconviction_events(engine, groups, INTERIM_RULES, contract.outcome.cautions_count)
    groups = groups.merge(events, on=["person_id", "release_date"], how="left")
    table = groups.groupby(["year", "group"]).agg(people=("events", "size"), per_100=("events", "mean"),
                                                   to=("to", "max")).reset_index()
    table["per_100"] *= 100
    wide = table.pivot(index="year", columns="group", values=["people", "per_100"])
    rows, pre = [], wide.index < e.released_from.year
    base = {g: float(wide.loc[pre, ("per_100", g)].mean()) if pre.any() else None for g in ("prison", "national")}
    for year in wide.index:
        row = {"year": int(year), "pilot": bool(year >= e.released_from.year),
               "releases_to": table.loc[table["year"] == year, "to"].max()}
        for g in ("prison", "national"):
            row[f"{g}_people"] = int(wide.loc[year, ("people", g)])
            row[f"{g}_per_100"] = float(wide.loc[year, ("per_100", g)])
            row[f"{g}_change"] = (row[f"{g}_per_100"] / base[g] - 1) if base[g] else None
        rows.append(row)
    return {"label": LABEL, "rules": {"follow_up_days": INTERIM_RULES.follow_up_days,
                                      "last_proven_day": INTERIM_RULES.last_proven_day},
            "pre_pilot_years": [int(y) for y in wide.index[pre]], "pre_pilot_per_100": base, "years": rows}
