"""Reconviction events (the Peterborough measure, seed 004), as SQL steps on either engine.

A reconviction event is one court sentencing occasion with a conviction for at least one offence
committed in the 12 months (days 1-365) after release, convicted within those 12 months or a further
6-month waiting period (day 548). Unlike proven reoffending:
  * cautions do not count (only court convictions), unless a contract says they do;
  * an occasion counts once, however many offences it covers (the measure counts court appearances).
Breaches of licence or orders are not offences and do not count.
"""
from __future__ import annotations

import pandas as pd

from ..engine import Engine, Step, run_steps
from ..engine.base import Dialect
from ..measures.rules import Rules


def reconviction_events_steps(rules: Rules = Rules(), cautions_count: bool = False) -> list[Step]:
    """From `pbr_cohort` (person_id, release_date) to `reconviction_event_list` (one row per event, with
    the day after release it was proven: data maturity uses it) and `reconviction_events` (per person)."""
    caution = "" if cautions_count else "s.disposal_type <> 'caution' AND"

    def events(d: Dialect) -> str:
        return f"""
        SELECT c.person_id, c.release_date, o.disposal_id,
               min({d.days_between('c.release_date', 'o.proven_date')}) AS proven_day
        FROM pbr_cohort c
        JOIN offence o ON o.person_id = c.person_id
        JOIN disposal s ON s.disposal_id = o.disposal_id
        WHERE {caution} NOT o.is_breach
          AND o.offence_date > c.release_date
          AND o.offence_date <= {d.add_days('c.release_date', rules.follow_up_days)}
          AND o.proven_date <= {d.add_days('c.release_date', rules.last_proven_day)}
        GROUP BY c.person_id, c.release_date, o.disposal_id"""
    return [
        Step("reconviction_event_list", events),
        Step("reconviction_events", """
            SELECT c.person_id, c.release_date, count(q.disposal_id) AS events
            FROM pbr_cohort c LEFT JOIN reconviction_event_list q
              ON q.person_id = c.person_id AND q.release_date = c.release_date
            GROUP BY c.person_id, c.release_date"""),
    ]


def count_reconviction_events(engine: Engine, releases: pd.DataFrame, rules: Rules = Rules(),
                              cautions_count: bool = False) -> pd.DataFrame:
    """Events per release for a frame of (person_id, release_date): registers it as `pbr_cohort`, runs the
    steps, and returns (person_id, release_date as datetime64, events), ready to merge on both keys."""
    people = releases[["person_id", "release_date"]].drop_duplicates()
    engine.register_typed("pbr_cohort", people, {"person_id": "BIGINT", "release_date": "DATE"})
    run_steps(engine, reconviction_events_steps(rules, cautions_count))
    events = engine.query("SELECT person_id, release_date, events FROM reconviction_events")
    events["release_date"] = pd.to_datetime(events["release_date"])
    return events
