"""The true effects of employment after release, where the database is synthetic (truth_employment).

The generator plants a job's effect on each person's first release in its window and records the first
reoffence in three coupled worlds (data/synth/jobs.py). For the people a design compares, the true average
effect on the employed is the mean over the employed of (as recorded - counterfactual): without the job for
the naive design, with the job's effect ending on the landmark day for the landmark design. Employment that
is not a planted job (before or outside the window) has no effect: it adds zero. A real database has no such
table, and the analysis then reports estimates alone.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .landmark import designs
from .simulate import LONG, SHORT, day_of, days_free, reoffended_after

TABLE = "truth_employment"
COUNTERFACTUAL = {"naive": "first_reoffence_day_without_job", "landmark": "first_reoffence_day_job_ended_at_landmark",
                  "sequential": "first_reoffence_day_not_hired_that_day"}


def read_truth(db: Path) -> pd.DataFrame | None:
    """The truth table of a DuckDB file or a Parquet folder, or None (a real database)."""
    if db.is_dir():
        path = db / f"{TABLE}.parquet"
        return pd.read_parquet(path) if path.exists() else None
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [TABLE]).fetchall()[0][0]:
            return None
        return con.execute(f"SELECT * FROM {TABLE}").df()
    finally:
        con.close()


def planted_truth(truth: pd.DataFrame | None, leavers: pd.DataFrame, landmark: int = 91) -> dict | None:
    """True effects on the employed, by sentence group and design, for these leavers (None without truth).

    `leavers` needs index_date beside the columns the designs use."""
    if truth is None or len(truth) == 0:
        return None
    planted = truth[truth["job_start"].notna()].assign(
        index_date=lambda t: pd.to_datetime(t["release_date"]).dt.normalize())
    out = {}
    for group in (SHORT, LONG):
        members = leavers[leavers["sentence_group"] == group].assign(
            index_date=lambda t: pd.to_datetime(t["index_date"]).dt.normalize())
        row = {}
        for design, sample in designs(members, landmark):
            employed = sample[sample["treated"] == 1][["person_id", "index_date"]]
            worlds = employed.merge(planted, on=["person_id", "index_date"], how="left")
            recorded = day_of(worlds, "first_reoffence_day")
            other = day_of(worlds, COUNTERFACTUAL[design])
            is_planted = worlds["job_start"].notna().to_numpy()
            other = np.where(is_planted, other, recorded)  # unplanted employment: no effect
            after = landmark if design == "landmark" else 0
            some = len(worlds) > 0
            change = reoffended_after(recorded, after).astype(float) - reoffended_after(other, after)
            row[design] = float(np.mean(change)) if some else None
            row[f"{design}_planted_share"] = float(is_planted.mean()) if some else None
            row[f"{design}_days_free"] = (float(np.mean(days_free(recorded, after) - days_free(other, after)))
                                          if some else None)
        row["hazard_ratio"] = float(truth.loc[truth["sentence_group"] == group, "hazard_ratio"].iloc[0]) \
            if (truth["sentence_group"] == group).any() else None
        out[group] = row
    return out
