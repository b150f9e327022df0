"""From linked people to a treatment group, accounting for everyone lost on the way.

Index event rule (documented in docs/submissions.md): a linked person's index event is the qualifying
event (measures.cohort.index_events) that the intervention belongs to:
  * custody: the intervention started between sentence and six months (183 days) after release;
  * any other disposal: it started between the index date and 183 days after it;
  * without a start date, an index/conviction date supplied within 14 days of the event's index date.
If several events qualify, the latest index date wins (ties: the higher disposal id).

Exclusions, in this fixed order (each person counted once, at the first step that excludes them):
  1. details could not be read (validation errors)
  2. listed more than once (same person as an earlier row)
  3. could not be identified on the database (including matches left for clerical review)
  4. no index event corresponding to the intervention
  5. one-year follow-up and waiting period not complete by the data's snapshot
  6. under 18 at the index date and/or a sexual offence (index or previous)
  7. reoffended before the intervention began
The matching stage adds "could not be matched".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from ..data.db import attach_tables
from ..engine import DuckDBEngine
from ..measures.cohort import (age_in_years, build_measures_for, follow_up_complete, index_events_step,
                               sexual_offence_by)
from ..measures.rules import BREACH_GROUP, Rules

WINDOW_DAYS = 183
INDEX_DATE_TOLERANCE = 14
STEPS = [
    ("invalid", "details could not be read (see the validation report)"),
    ("duplicate", "were listed more than once"),
    ("not_found", "could not be identified on the Police National Computer"),
    ("no_index_event", "did not have a record in the reoffending database that corresponded to their "
                       "period of participation"),
    ("follow_up_incomplete", "had not yet completed the one-year follow-up and waiting period"),
    ("under_18_or_sexual", "were under 18 and/or had been convicted of sexual offences"),
    ("reoffended_before", "had reoffended before the intervention began"),
]


@dataclass
class TreatmentGroup:
    members: pd.DataFrame  # cohort_measures rows (one per person) with `row` and intervention dates
    exclusions: pd.DataFrame  # row, step, reason (and person_id where known)
    attrition: pd.DataFrame  # step, people, percent of submitted
    not_included_profile: pd.DataFrame
    snapshot: str


def build_treatment_group(db_path: str | Path, records: pd.DataFrame, links: pd.DataFrame,
                          rules: Rules = Rules()) -> TreatmentGroup:
    """`records`: every non-blank submitted row (row, status, dates); `links`: linkage result per usable row."""
    submitted = records[records["status"] != "blank"].copy()
    exclusions = [{"row": int(r), "step": "invalid", "person_id": None}
                  for r in submitted.loc[submitted["status"] == "error", "row"]]
    for _, rec in links.iterrows():
        if rec["status"] in ("duplicate",):
            exclusions.append({"row": int(rec["row"]), "step": "duplicate", "person_id": rec["person_id"]})
        elif rec["status"] in ("not_found", "review"):
            exclusions.append({"row": int(rec["row"]), "step": "not_found", "person_id": None})
    linked = links[links["status"] == "linked"][["row", "person_id"]].merge(
        submitted[["row", *[c for c in ("intervention_start", "intervention_end", "index_date") if c in submitted]]],
        on="row", how="left")
    for c in ("intervention_start", "intervention_end", "index_date"):
        if c not in linked:
            linked[c] = None
        linked[c] = pd.to_datetime(linked[c])
    linked["person_id"] = linked["person_id"].astype("int64")

    engine = DuckDBEngine()
    con = engine.con
    attach_tables(con, db_path)  # a DuckDB file or a Parquet export (the Spark layout)
    snapshot = con.execute("SELECT max(proven_date) FROM offence").fetchall()[0][0]
    engine.register("linked", linked)
    engine.create_table(index_events_step().name, index_events_step().render(engine.dialect))
    chosen = engine.query(f"""
        SELECT * FROM (
          SELECT l.row, l.person_id, e.disposal_id, e.index_date, e.disposal_type, e.sexual_offence,
                 row_number() OVER (PARTITION BY l.row ORDER BY e.index_date DESC, e.disposal_id DESC) AS rn
          FROM linked l JOIN index_events e ON e.person_id = l.person_id
          WHERE (l.intervention_start IS NOT NULL
                 AND CAST(l.intervention_start AS DATE) BETWEEN
                     CASE WHEN e.disposal_type = 'custody' THEN e.disposal_date ELSE e.index_date END
                     AND e.index_date + {WINDOW_DAYS})
             OR (l.intervention_start IS NULL AND l.index_date IS NOT NULL
                 AND abs(date_diff('day', e.index_date, CAST(l.index_date AS DATE))) <= {INDEX_DATE_TOLERANCE})
        ) WHERE rn = 1""")
    no_event = linked[~linked["row"].isin(chosen["row"])]
    exclusions += [{"row": int(r.row), "step": "no_index_event", "person_id": int(r.person_id)}
                   for r in no_event.itertuples()]
    engine.register("chosen_raw", chosen[["row", "person_id", "disposal_id", "index_date"]])
    engine.create_table("chosen", "SELECT row, person_id, disposal_id, CAST(index_date AS DATE) AS index_date "
                                  "FROM chosen_raw")
    d = engine.dialect
    checks = engine.query(f"""
        SELECT c.row, c.person_id,
               NOT {follow_up_complete('c.index_date', f"DATE '{snapshot}'", d, rules)} AS follow_up_incomplete,
               {age_in_years('p.date_of_birth', 'c.index_date')} < 18
               OR {sexual_offence_by('c.person_id', 'c.index_date')} AS under_18_or_sexual,
               EXISTS (SELECT 1 FROM offence o JOIN linked l ON l.row = c.row
                       WHERE o.person_id = c.person_id AND NOT o.is_breach AND o.offence_group <> '{BREACH_GROUP}'
                         AND o.offence_date > c.index_date
                         AND o.offence_date < CAST(l.intervention_start AS DATE)) AS reoffended_before
        FROM chosen c JOIN person p ON p.person_id = c.person_id""")
    keep = checks.copy()
    for step in ("follow_up_incomplete", "under_18_or_sexual", "reoffended_before"):
        out = keep[keep[step].astype(bool)]
        exclusions += [{"row": int(r.row), "step": step, "person_id": int(r.person_id)} for r in out.itertuples()]
        keep = keep[~keep[step].astype(bool)]
    cohort = chosen[chosen["row"].isin(keep["row"])]
    engine.register("cohort_rows", cohort[["row", "person_id", "disposal_id", "index_date"]])
    engine.create_table("cohort", "SELECT person_id, disposal_id, CAST(index_date AS DATE) AS index_date "
                                  "FROM cohort_rows")
    build_measures_for(engine, rules)
    members = engine.query("SELECT * FROM cohort_measures").merge(
        cohort[["row", "person_id", "disposal_id"]], on=["person_id", "disposal_id"]).merge(
        linked[["row", "intervention_start", "intervention_end"]], on="row", how="left")
    excl = pd.DataFrame(exclusions, columns=["row", "step", "person_id"])
    excl["reason"] = excl["step"].map(dict(STEPS))
    profile = _profile(con, excl, len(submitted))
    engine.close()
    return TreatmentGroup(members.sort_values("row").reset_index(drop=True), excl.sort_values("row"),
                          attrition_table(len(submitted), excl, len(members)), profile, str(snapshot))


def attrition_table(submitted: int, exclusions: pd.DataFrame, remaining: int) -> pd.DataFrame:
    rows = [{"step": "submitted", "description": "people were submitted for analysis", "people": submitted}]
    for step, text in STEPS:
        rows.append({"step": step, "description": text, "people": int((exclusions["step"] == step).sum())})
    rows.append({"step": "treatment_group", "description": "remained in the treatment group before matching",
                 "people": remaining})
    table = pd.DataFrame(rows)
    table["percent_of_submitted"] = (100 * table["people"] / max(submitted, 1)).round(1)
    assert table["people"].iloc[1:-1].sum() + remaining == submitted, "attrition must account for everyone"
    return table


def _profile(con: duckdb.DuckDBPyConnection, excl: pd.DataFrame, submitted: int) -> pd.DataFrame:
    """Sex, ethnicity and nationality of people not included, where the database knows them."""
    known = excl.dropna(subset=["person_id"])
    if known.empty:
        return pd.DataFrame(columns=["characteristic", "value", "people", "percent"])
    con.register("excluded_people", known[["person_id"]].astype("int64").drop_duplicates())
    rows = []
    for col in ("gender", "ethnicity", "nationality"):
        t = con.execute(f"""SELECT p.{col} AS value, count(*) AS people FROM excluded_people e
                            JOIN jdl.person p USING (person_id) GROUP BY 1 ORDER BY 1""").df()
        t["characteristic"] = col
        t["percent"] = (100 * t["people"] / t["people"].sum()).round(0)
        rows.append(t)
    out = pd.concat(rows, ignore_index=True)[["characteristic", "value", "people", "percent"]]
    out.attrs["no_information"] = int(excl["person_id"].isna().sum())
    return out
