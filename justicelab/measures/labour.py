"""Employment and benefit outcomes in the follow-up year (the Data Lab's 2018 addition, seed 002).

From the DWP/HMRC data share: for each cohort member, over days 1..follow_up after the index date
(the same window as the reoffending follow-up, rule R2):

  employed_after            1 if any P45 employment spell overlaps the window (E1)
  days_employed_after       days in the window covered by at least one employment spell (E2)
  days_on_benefit_after     days in the window covered by at least one out-of-work benefit spell (E3)

Spells are inclusive of both dates (a spell from 1 to 3 March is 3 days); an empty end date is an
ongoing spell and runs to the window's end. Overlapping spells (two jobs, a JSA claim that overlaps
an ESA claim) are counted once per day: the union of the clipped spells, computed with a running
maximum of earlier spells' ends, so it runs as one window function on DuckDB and Spark.
"""
from __future__ import annotations

from ..engine import Step
from ..engine.base import Dialect
from .rules import Rules


def covered_days(spells: str, first: int, last: int, cohort: str = "cohort",
                 keys: tuple[str, ...] = ("person_id", "disposal_id"), match: tuple[str, ...] = ("person_id",)):
    """SQL (a function of the dialect): per row of `cohort` (keys, index_date) with a spell, the days from
    index_date + first to index_date + last covered by the union of the `spells` that agree on `match`."""
    part = ", ".join(keys)
    on = " AND ".join(f"s.{k} = c.{k}" for k in match)

    def sql(d: Dialect) -> str:
        w_start, w_end = d.add_days("c.index_date", first), d.add_days("c.index_date", last)
        return f"""
        WITH clipped AS (
          SELECT {", ".join("c." + k for k in keys)},
                 greatest(s.start_date, {w_start}) AS s_from,
                 least(coalesce(s.end_date, {w_end}), {w_end}) AS s_to
          FROM {cohort} c JOIN {spells} s ON {on}
          WHERE s.start_date <= {w_end} AND coalesce(s.end_date, {w_end}) >= {w_start}),
        ordered AS (
          SELECT {part}, s_from, s_to,
                 max(s_to) OVER (PARTITION BY {part} ORDER BY s_from, s_to
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reached
          FROM clipped),
        fresh AS (  -- the part of each spell no earlier spell has covered
          SELECT {part}, s_to,
                 CASE WHEN reached IS NOT NULL AND reached >= s_from THEN {d.add_days('reached', 1)}
                      ELSE s_from END AS new_from
          FROM ordered)
        SELECT {part},
               sum(CASE WHEN new_from <= s_to THEN {d.days_between('new_from', 's_to')} + 1 ELSE 0 END) AS days
        FROM fresh GROUP BY {part}"""
    return sql


def labour_steps(rules: Rules = Rules()) -> list[Step]:
    """Steps from `cohort` to `labour_outcomes` (one row per cohort member)."""
    return [
        Step("employment_after", covered_days("employment_spell", 1, rules.follow_up_days)),
        Step("benefit_after", covered_days("benefit_spell", 1, rules.follow_up_days)),
        Step("labour_outcomes", """
            SELECT c.person_id, c.disposal_id,
                   CASE WHEN e.days > 0 THEN 1 ELSE 0 END AS employed_after,
                   coalesce(e.days, 0) AS days_employed_after,
                   coalesce(b.days, 0) AS days_on_benefit_after
            FROM cohort c
            LEFT JOIN employment_after e ON e.person_id = c.person_id AND e.disposal_id = c.disposal_id
            LEFT JOIN benefit_after b ON b.person_id = c.person_id AND b.disposal_id = c.disposal_id"""),
    ]


LABOUR_COLUMNS = ("employed_after", "days_employed_after", "days_on_benefit_after")
