"""The proven reoffending statistics table, in the form of the official quarterly bulletin."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from ..engine import Engine
from ..errors import JusticeLabError
from .cohort import build_period_cohort
from .rules import Rules

BREAKDOWNS = {
    None: "'All offenders'",
    "region": "region",
    "sentence": "sentence_group",
    "quarter": "concat(year(index_date), ' Q', quarter(index_date))",
    "sex": "CASE WHEN gender = 'M' THEN 'Male' ELSE 'Female' END",
}
COLUMNS = ["group", "offenders", "reoffenders", "proportion_reoffending_pct", "reoffences",
           "reoffences_per_reoffender", "reoffences_per_offender"]


def snapshot_date(engine: Engine) -> date:
    """The extract date: the last date anything was proven (no table records it separately)."""
    value = engine.query("SELECT max(proven_date) AS d FROM offence")["d"].iloc[0]
    if pd.isna(value):
        raise JusticeLabError("the database has no proven offences")
    return pd.Timestamp(value).date()


def latest_complete_year(snapshot: date, rules: Rules = Rules()) -> tuple[date, date]:
    """The latest calendar year whose follow-up and waiting periods have ended by the snapshot."""
    year = snapshot.year
    while date(year, 12, 31) + timedelta(days=rules.last_proven_day) > snapshot:
        year -= 1
    return date(year, 1, 1), date(year, 12, 31)


def bulletin(engine: Engine, by: str | None = None) -> pd.DataFrame:
    """Headline measures from `cohort_measures`, overall and by a breakdown, with a total row."""
    if by not in BREAKDOWNS:
        raise JusticeLabError(f"--by must be one of: {', '.join(k for k in BREAKDOWNS if k)}")

    def table(group_sql: str) -> pd.DataFrame:
        return engine.query(f"""
            SELECT {group_sql} AS breakdown, count(*) AS offenders, sum(reoffended) AS reoffenders,
                   sum(reoffences) AS reoffences
            FROM cohort_measures GROUP BY 1 ORDER BY 1""").rename(columns={"breakdown": "group"})

    frame = table(BREAKDOWNS[by])
    if by is not None:
        total = table("'All offenders'")
        frame = pd.concat([frame, total], ignore_index=True)
    frame[["offenders", "reoffenders", "reoffences"]] = frame[["offenders", "reoffenders", "reoffences"]].astype(int)
    frame["proportion_reoffending_pct"] = (100 * frame["reoffenders"] / frame["offenders"]).round(1)
    frame["reoffences_per_reoffender"] = (frame["reoffences"] / frame["reoffenders"].where(frame["reoffenders"] > 0)).round(2)
    frame["reoffences_per_offender"] = (frame["reoffences"] / frame["offenders"]).round(2)
    return frame[COLUMNS]


def national_statistics(engine: Engine, start: date | None = None, end: date | None = None,
                        by: str | None = None, rules: Rules = Rules()) -> tuple[pd.DataFrame, date, date]:
    if start is None or end is None:
        start, end = latest_complete_year(snapshot_date(engine), rules)
    build_period_cohort(engine, start, end, rules)
    return bulletin(engine, by), start, end
