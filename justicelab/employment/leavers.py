"""Prison leavers from the database, in the shape the landmark design takes (one row per person).

The official-style adult cohort (measures.cohort) restricted to releases from custody, with the day of the
first P45 employment begun after release (a job held on the release day counts as day 1), and the day of
the first new custodial sentence, both within the year. All in SQL in the engine.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from ..engine import Engine, Step, run_steps
from ..engine.base import Dialect
from ..measures.cohort import build_period_cohort, follow_up_complete
from .simulate import LONG, SHORT


def _leavers(d: Dialect) -> str:
    year_end = d.add_days("m.index_date", 365)
    snapshot = "(SELECT max(proven_date) FROM offence)"
    return f"""
        WITH jobs AS (
          SELECT m.person_id, min(greatest({d.days_between('m.index_date', 'w.start_date')}, 1)) AS day
          FROM cohort_measures m JOIN employment_spell w ON w.person_id = m.person_id
          WHERE w.start_date <= {year_end} AND coalesce(w.end_date, {year_end}) > m.index_date
          GROUP BY m.person_id),
        custody AS (
          SELECT m.person_id, min({d.days_between('m.index_date', 'x.disposal_date')}) AS day
          FROM cohort_measures m JOIN disposal x ON x.person_id = m.person_id AND x.disposal_type = 'custody'
          WHERE x.disposal_date > m.index_date AND x.disposal_date <= {year_end}
          GROUP BY m.person_id)
        SELECT m.person_id, m.index_date, m.age, m.previous_offences, m.custodial_months,
               CASE WHEN m.days_employed_2y > 0 THEN 1 ELSE 0 END AS employed_before,
               CASE WHEN m.custodial_months < 12 THEN '{SHORT}' ELSE '{LONG}' END AS sentence_group,
               m.days_to_first_reoffence, j.day AS days_to_employment, c.day AS days_to_custody
        FROM cohort_measures m
        LEFT JOIN jobs j ON j.person_id = m.person_id
        LEFT JOIN custody c ON c.person_id = m.person_id
        WHERE m.disposal_type = 'custody' AND {follow_up_complete('m.index_date', snapshot, d)}"""


def prison_leavers(engine: Engine, start: date, end: date) -> pd.DataFrame:
    build_period_cohort(engine, start, end)
    run_steps(engine, [Step("prison_leavers", _leavers)])
    return engine.query("SELECT * FROM prison_leavers ORDER BY person_id")
