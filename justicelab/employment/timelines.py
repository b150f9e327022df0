"""Benefit timelines from an initial JSA claim: prison leavers against all JSA claimants (seed 002).

Two populations, each from its initial JSA claim (day 0) over three years (days 0..1094):

* prison leavers: each person's first release from custody in the period that is followed, within
  `claim_within` days, by the start of a JSA spell (the first such spell is the initial claim);
* all JSA claimants: the DWP sample in `claimant_benefit_spell`, from each claimant's first JSA spell.

Only claims whose three years ended by the data snapshot are used, so nothing is censored: survival of the
initial claim at week w is the share of claims still open on day 7w (day 0: the claim's first day). Time on
benefits counts each day covered by any out-of-work benefit spell once (measures.labour.covered_days);
the monthly profile is each person's status on the first day of each month of the three years (JSA, ESA,
IS, IB, UC or none; where two spells overlap, the one that began first).
"""
from __future__ import annotations

import math
from datetime import date

import pandas as pd

from ..engine import Engine, Step, run_steps
from ..engine.base import Dialect
from ..measures.labour import covered_days

YEARS_DAYS = 1095  # three years from the initial claim
WEEKS = 156
MONTHS = 36
GROUPS = ("Prison leavers", "All JSA claimants")


def _cohorts(start: date, end: date, claim_within: int):
    def sql(d: Dialect) -> str:
        snapshot = "(SELECT max(proven_date) FROM offence)"
        complete = f"{d.add_days('index_date', YEARS_DAYS - 1)} <= {snapshot}"
        # two JSA spells starting the same day: the initial claim is the longer (an open one first), so the
        # choice never depends on the order an engine happens to read the rows in
        return f"""
        WITH released AS (
          SELECT r.person_id, r.release_date, j.start_date, j.end_date,
                 row_number() OVER (PARTITION BY r.person_id ORDER BY r.release_date, j.start_date,
                                                      j.end_date DESC NULLS FIRST) AS k
          FROM disposal r JOIN benefit_spell j ON j.person_id = r.person_id AND j.benefit_type = 'JSA'
          WHERE r.disposal_type = 'custody' AND r.release_date IS NOT NULL
            AND r.release_date BETWEEN DATE '{start.isoformat()}' AND DATE '{end.isoformat()}'
            AND j.start_date >= r.release_date AND j.start_date <= {d.add_days('r.release_date', claim_within)}),
        leavers AS (
          SELECT 'Prison leavers' AS grp, person_id, start_date AS index_date, end_date AS claim_end
          FROM released WHERE k = 1),
        claimants AS (
          SELECT 'All JSA claimants' AS grp, person_id, start_date AS index_date, end_date AS claim_end FROM (
            SELECT person_id, start_date, end_date,
                   row_number() OVER (PARTITION BY person_id ORDER BY start_date, end_date DESC NULLS FIRST) AS k
            FROM claimant_spells WHERE benefit_type = 'JSA') t
          WHERE k = 1 AND start_date BETWEEN DATE '{start.isoformat()}' AND DATE '{end.isoformat()}')
        SELECT grp, person_id, index_date, claim_end FROM (
          SELECT * FROM leavers UNION ALL SELECT * FROM claimants) t
        WHERE {complete}"""
    return sql


def timeline_steps(start: date, end: date, claim_within: int = 90) -> list[Step]:
    return [
        Step("claimant_spells", "SELECT claimant_id AS person_id, benefit_type, start_date, end_date "
                                "FROM claimant_benefit_spell", materialise=False),
        Step("initial_claims", _cohorts(start, end, claim_within)),
        Step("timeline_spells", """
            SELECT 'Prison leavers' AS grp, person_id, benefit_type, start_date, end_date FROM benefit_spell
            WHERE person_id IN (SELECT person_id FROM initial_claims WHERE grp = 'Prison leavers')
            UNION ALL
            SELECT 'All JSA claimants' AS grp, person_id, benefit_type, start_date, end_date FROM claimant_spells""",
             materialise=True),
        Step("time_on_benefit", _time_on_benefit()),
    ]


def _time_on_benefit():
    def sql(d: Dialect) -> str:
        # the union of spells per person: covered_days with the group as part of the key
        inner = covered_days("timeline_spells", 0, YEARS_DAYS - 1, cohort="initial_claims",
                             keys=("grp", "person_id"), match=("grp", "person_id"))(d)
        return f"""
        WITH covered AS ({inner})
        SELECT c.grp, c.person_id, c.index_date, c.claim_end, coalesce(v.days, 0) AS days_on_benefit
        FROM initial_claims c LEFT JOIN covered v ON v.grp = c.grp AND v.person_id = c.person_id"""
    return sql


def survival_sql(d: Dialect) -> str:
    # shares are averages of whole numbers: a DOUBLE on both engines (Spark averages 1.0/0.0 as a 5-place DECIMAL)
    on_day = d.add_days("c.index_date", "7 * w.week")
    return f"""
        SELECT c.grp, w.week, avg(CASE WHEN c.claim_end IS NULL OR c.claim_end >= {on_day} THEN 1 ELSE 0 END)
               AS still_on, count(*) AS people
        FROM initial_claims c CROSS JOIN weeks w GROUP BY c.grp, w.week ORDER BY c.grp, w.week"""


def monthly_sql(d: Dialect) -> str:
    on_day = d.add_days("c.index_date", "m.offset_days")
    return f"""
        WITH status AS (
          SELECT c.grp, c.person_id, m.month, s.benefit_type,
                 row_number() OVER (PARTITION BY c.grp, c.person_id, m.month ORDER BY s.start_date, s.benefit_type) AS k
          FROM initial_claims c CROSS JOIN months m
          JOIN timeline_spells s ON s.grp = c.grp AND s.person_id = c.person_id
            AND s.start_date <= {on_day} AND coalesce(s.end_date, {on_day}) >= {on_day}),
        people AS (SELECT grp, count(*) AS n FROM initial_claims GROUP BY grp)
        SELECT s.grp, s.month, s.benefit_type, CAST(count(*) AS DOUBLE) / max(p.n) AS share
        FROM status s JOIN people p ON p.grp = s.grp WHERE s.k = 1
        GROUP BY s.grp, s.month, s.benefit_type ORDER BY s.grp, s.month, s.benefit_type"""


def share_on_benefit(sums: pd.DataFrame) -> pd.DataFrame:
    """Mean share of the three years on benefits and its standard error, from whole-number sums per group.
    The variance is worked out exactly from integers, so every engine and every run gives the same bits (a
    parallel stddev_samp adds its floating-point parts in whatever order its threads finish)."""
    rows = []
    for grp, n, days, days_sq in sums[["grp", "people", "days", "days_sq"]].itertuples(index=False):
        n, days, days_sq = int(n), int(days), int(days_sq)
        var = (n * days_sq - days * days) / (n * (n - 1)) if n > 1 else math.nan
        rows.append({"grp": grp, "people": n, "share_on_benefit": days / n / YEARS_DAYS,
                     "se": math.sqrt(var) / YEARS_DAYS / math.sqrt(n)})
    return pd.DataFrame(rows, columns=["grp", "people", "share_on_benefit", "se"])


def benefit_timelines(engine: Engine, start: date, end: date, claim_within: int = 90) -> dict:
    """Survival by week, share of the three years on benefits and the monthly profile, for both groups."""
    engine.register("weeks", pd.DataFrame({"week": range(WEEKS + 1)}))
    engine.register("months", pd.DataFrame({"month": range(MONTHS),
                                            "offset_days": [round(m * 365.25 / 12) for m in range(MONTHS)]}))
    run_steps(engine, timeline_steps(start, end, claim_within))
    d = engine.dialect
    survival = engine.query(survival_sql(d))
    share = share_on_benefit(engine.query("""
        SELECT grp, count(*) AS people, sum(days_on_benefit) AS days, sum(days_on_benefit * days_on_benefit) AS days_sq
        FROM time_on_benefit GROUP BY grp ORDER BY grp"""))
    monthly = engine.query(monthly_sql(d))
    return {"survival": survival, "share": share, "monthly": monthly}
