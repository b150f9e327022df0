"""`justicelab employment`: the analyses as results dicts (JSON-ready, with provenance), from which the
reports are built (employment/report.py), as the Data Lab's report is built from results.json."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..data.db import ANALYSIS_TABLES, attach_tables
from ..engine import DuckDBEngine, Engine
from ..errors import JusticeLabError
from ..provenance import code_version, sha256_of
from ..report.disclosure import published_count, round_count
from .landmark import COVARIATES, employment_and_reoffending
from .leavers import prison_leavers
from .simulate import LeaverModel, simulate_leavers
from .timelines import GROUPS, benefit_timelines
from .truth import planted_truth, read_truth

COUNTS = ("n_treated", "n_comparison")
# how each design compares (employment/landmark.py, sequential.py): recorded in every result's configuration
MATCHING = {"covariates": COVARIATES,
            "matching": "kernel weighting, bandwidth 0.1 SD: on the propensity logit (naive, landmark); within each "
                        "day's risk set on a hiring hazard's linear predictor (sequential)",
            "se": "HC1 (naive, landmark); clustered by person (sequential)"}
MIN_PEOPLE = 30  # a group with fewer people has no timeline: too few for a stable curve


def _provenance(configuration: dict, db: Path | None = None, seed: int | None = None) -> dict:
    inputs = {"database": {"file": db.name, "sha256": sha256_of(db)}} if db else {}
    return {"package_version": __version__, "code_version": code_version(), "configuration": configuration,
            "inputs": inputs, "seed": seed}


@contextmanager
def _database(db: Path, engine: Engine | None, tables: tuple[str, ...] = ANALYSIS_TABLES):
    """The engine the SQL steps run on: the one given (Spark over a Parquet export, say), else an in-memory
    DuckDB with the database's tables attached read-only (a DuckDB file or a folder of Parquet files)."""
    if engine is not None:
        yield engine
        return
    with DuckDBEngine() as duck:
        attach_tables(duck.con, db, tables)
        yield duck


def _has_claimants(db: Path, engine: Engine | None = None) -> bool:
    import duckdb

    if engine is not None:
        return engine.has_table("claimant_benefit_spell")
    if db.is_dir():
        return (db / "claimant_benefit_spell.parquet").exists()
    con = duckdb.connect(str(db), read_only=True)
    try:
        return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'claimant_benefit_spell'"
                                ).fetchall()[0][0])
    finally:
        con.close()


def timelines(db: Path, start: date, end: date, claim_within: int = 90, engine: Engine | None = None) -> dict:
    """Benefit timelines of prison leavers claiming JSA after release and of all JSA claimants (on `engine`
    when given, whose tables are the database at `db`)."""
    if not _has_claimants(db, engine):
        raise JusticeLabError(f"{db} has no claimant_benefit_spell table (the DWP sample of all JSA claimants "
                              "that the timelines compare with): load it, or generate one with 'justicelab synth'")
    with _database(db, engine, ANALYSIS_TABLES + ("claimant_benefit_spell",)) as on:
        out = benefit_timelines(on, start, end, claim_within)
        snapshot = str(pd.Timestamp(on.query("SELECT max(proven_date) AS d FROM offence")["d"].iloc[0]).date())
    share = out["share"].set_index("grp")
    groups = {}
    for g in GROUPS:
        n = int(share.loc[g, "people"]) if g in share.index else 0
        if n < MIN_PEOPLE:
            groups[g] = {"people": n, "withheld": f"fewer than {MIN_PEOPLE} people ({n})"}
            continue
        surv = out["survival"][out["survival"]["grp"] == g]
        monthly = out["monthly"][out["monthly"]["grp"] == g].pivot(index="month", columns="benefit_type",
                                                                   values="share").fillna(0.0)
        groups[g] = {
            "people": round_count(n),
            "share_on_benefit": float(share.loc[g, "share_on_benefit"]),
            "share_ci": [float(share.loc[g, "share_on_benefit"] - 1.96 * share.loc[g, "se"]),
                         float(share.loc[g, "share_on_benefit"] + 1.96 * share.loc[g, "se"])],
            "survival": [round(float(v), 4) for v in surv.sort_values("week")["still_on"]],
            "monthly": {b: [round(float(v), 4) for v in monthly[b].reindex(range(36), fill_value=0.0)]
                        for b in monthly.columns},
        }
    config = {"from": start.isoformat(), "to": end.isoformat(), "claim_within_days": claim_within,
              "years": 3, "min_people": MIN_PEOPLE}
    return {"analysis": "benefit_timelines", "provenance": _provenance(config, db) | {"data_snapshot": snapshot},
            "groups": groups}


def _rows_json(rows: list[dict], truth: dict | None = None) -> list[dict]:
    out = []
    for r in rows:
        row = dict(r)
        row["people"] = round_count(r["people"])
        # published counts: [c] for 1 to 10, else rounded to 5 (the estimates' own counts too)
        row.update({k: published_count(row[k]) for k in COUNTS if k in row})
        for m in ("rate", "days_free"):
            if m in row:
                row[m] = {k: published_count(v) if k in COUNTS else v for k, v in row[m].items()}
        if truth:
            t = truth[r["sentence_group"]]
            row["truth_rate"] = t.get(r["design"])
            if t.get(f"{r['design']}_days_free") is not None:
                row["truth_days_free"] = t[f"{r['design']}_days_free"]
            if "rate" in row and row["truth_rate"] is not None:
                row["covers_truth"] = bool(row["rate"]["ci_low"] <= row["truth_rate"] <= row["rate"]["ci_high"])
        out.append(row)
    return out


def reoffending_on_database(db: Path, start: date, end: date, landmark: int = 91,
                            engine: Engine | None = None) -> dict:
    """Employed vs not after release, in each design, by sentence group, on the database's leavers (on
    `engine` when given); beside each, the planted truth where the database is synthetic."""
    with _database(db, engine) as on:
        leavers = prison_leavers(on, start, end)
    if len(leavers) == 0:
        raise JusticeLabError(f"no prison leavers released between {start} and {end} with a complete follow-up")
    rows = employment_and_reoffending(leavers, landmark)
    truth = planted_truth(read_truth(db), leavers, landmark)  # synthetic databases only
    config = {"from": start.isoformat(), "to": end.isoformat(), "landmark_day": landmark, **MATCHING}
    return {"analysis": "employment_and_reoffending", "source": "database", "provenance": _provenance(config, db),
            "rows": _rows_json(rows, truth)}


def reoffending_simulated(people: int = 20_000, seed: int = 1, landmark: int = 91) -> dict:
    """The same analysis on simulated prison leavers with a planted effect: truths beside estimates."""
    model = LeaverModel(landmark=landmark)
    leavers, truth = simulate_leavers(people, seed, model)
    rows = employment_and_reoffending(leavers, landmark)
    config = {"people": people, "landmark_day": landmark, "hazard_ratio_while_employed": model.hazard_ratio,
              **MATCHING}
    return {"analysis": "employment_and_reoffending", "source": "simulation", "provenance": _provenance(
        config, seed=seed), "rows": _rows_json(rows, truth)}


def jsonable(x):
    """numpy scalars to Python, for json.dumps."""
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x
