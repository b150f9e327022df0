"""Clerical review: a person decides the rows linkage could not, and the decisions feed the treatment group.

Each decision is appended to clerical_decisions.csv in the linkage folder (row, person_id, decision,
reviewer, time), so a review can stop and resume; the latest decision for a row counts. Accepting links
the row to the chosen person (method "clerical"), rejecting leaves it not found; skipped rows stay pending.
`finish` rebuilds the treatment group, exclusions, attrition and diagnostics from the decisions.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from ..data.db import attach_tables
from ..errors import JusticeLabError
from .link import counts, mark_duplicates

DECISIONS = "clerical_decisions.csv"
CANDIDATES = "clerical_review.csv"
RECORDS = "submission_records.csv"  # row, status and dates of every submitted row (no names)
FIELDS = [("forename", "Forename"), ("surname", "Surname"), ("date_of_birth", "Date of birth"), ("sex", "Sex"),
          ("pnc_id", "PNC id")]
RECORD_COLUMNS = ["row", "status", "intervention_start", "intervention_end", "index_date"]


def candidate_details(db_path: str | Path, review: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The review pairs with both sides written out: the submitted row and the person's database record."""
    if review.empty:
        return review.assign(**{f"{side}_{f}": pd.Series(dtype=object) for side in ("submitted", "candidate")
                                for f, _ in FIELDS})
    con = duckdb.connect()
    attach_tables(con, db_path, ("person",))
    con.register("wanted", review[["person_id"]].drop_duplicates().astype("int64"))
    people = con.execute("""SELECT person_id, forename, surname, CAST(date_of_birth AS DATE) AS date_of_birth,
                                   gender AS sex, pnc_id FROM person JOIN wanted USING (person_id)""").df()
    con.close()
    sub = rows[["row", *[f for f, _ in FIELDS if f in rows]]].rename(
        columns={f: f"submitted_{f}" for f, _ in FIELDS})
    cand = people.rename(columns={f: f"candidate_{f}" for f, _ in FIELDS})
    return review.merge(sub, on="row", how="left").merge(cand, on="person_id", how="left")


def _read(out: Path, name: str) -> pd.DataFrame:
    path = Path(out) / name
    if not path.exists():
        raise JusticeLabError(f"{out} has no {name}: is it a folder written by 'justicelab link'?")
    return pd.read_csv(path)


def decisions(out: Path) -> pd.DataFrame:
    """The latest decision per row."""
    path = Path(out) / DECISIONS
    if not path.exists():
        return pd.DataFrame(columns=["row", "person_id", "decision", "reviewer", "decided_at"])
    return pd.read_csv(path).drop_duplicates("row", keep="last")


def pending(out: Path) -> list[int]:
    """Rows still to decide, in row order, skipped ones after the rest."""
    links = _read(out, "linkage.csv")
    todo = links.loc[(links["status"] == "review") | links["method"].eq("clerical") |
                     links["reason"].astype(str).str.contains("clerical review"), "row"]
    done = decisions(out)
    decided = set(done.loc[done["decision"].isin(["accept", "reject"]), "row"])
    skipped = set(done.loc[done["decision"] == "skip", "row"])
    rest = [int(r) for r in todo if r not in decided]
    return [r for r in rest if r not in skipped] + [r for r in rest if r in skipped]


def candidates(out: Path, row: int) -> pd.DataFrame:
    c = _read(out, CANDIDATES)
    return c[c["row"] == row].sort_values("match_weight", ascending=False).reset_index(drop=True)


def record(out: Path, row: int, decision: str, person_id: int | None = None, reviewer: str = "") -> None:
    if decision not in ("accept", "reject", "skip"):
        raise JusticeLabError("a decision is accept, reject or skip")
    if decision == "accept":
        allowed = set(candidates(out, row)["person_id"].astype(int))
        if person_id is None or int(person_id) not in allowed:
            raise JusticeLabError(f"row {row}: person {person_id} is not one of its candidates")
    path = Path(out) / DECISIONS
    line = pd.DataFrame([{"row": int(row), "person_id": person_id if decision == "accept" else None,
                          "decision": decision, "reviewer": reviewer,
                          "decided_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}])
    line.to_csv(path, mode="a", header=not path.exists(), index=False)


def apply_decisions(links: pd.DataFrame, review: pd.DataFrame, done: pd.DataFrame) -> pd.DataFrame:
    """Links after clerical decisions: accepted rows linked (method clerical), rejected ones not found."""
    links = links.copy()
    links["person_id"] = links["person_id"].astype("Int64")
    links["method"] = links["method"].astype(object)
    for d in done.itertuples():
        idx = links.index[links["row"] == d.row]
        if d.decision == "accept":
            prob = review.loc[(review["row"] == d.row) & (review["person_id"] == d.person_id), "match_probability"]
            links.loc[idx, ["status", "method", "reason"]] = ["linked", "clerical", "accepted at clerical review"]
            links.loc[idx, "person_id"] = int(d.person_id)
            links.loc[idx, "match_probability"] = float(prob.iloc[0]) if len(prob) else float("nan")
        elif d.decision == "reject":
            links.loc[idx, ["status", "method", "reason"]] = ["not_found", "clerical", "rejected at clerical review"]
            links.loc[idx, "person_id"] = pd.NA
    return mark_duplicates(links)


def with_decisions(linkage, out: Path):
    """A fresh LinkageResult with the decisions recorded in `out` (if any) applied."""
    done = decisions(out)
    if done.empty:
        return linkage
    links = apply_decisions(linkage.links, linkage.review, done)
    linkage.links, linkage.diagnostics = links, {**linkage.diagnostics, **counts(links)}
    return linkage


def finish(out: Path, db_path: str | Path) -> dict:
    """Rebuild the treatment group and every output of the linkage folder from the decisions."""
    from .link import LinkageResult
    from .outputs import write_outputs
    from .treatment import build_treatment_group

    out = Path(out)
    review = _read(out, CANDIDATES)
    records = _read(out, RECORDS)
    for c in RECORD_COLUMNS[2:]:
        records[c] = pd.to_datetime(records[c]).dt.date
    automatic = out / "linkage_automatic.csv"  # linkage before any decision, kept once
    if not automatic.exists():
        automatic.write_bytes((out / "linkage.csv").read_bytes())
    original = _read(out, automatic.name)
    links = apply_decisions(original, review, decisions(out))
    diagnostics = json.loads((out / "linkage_diagnostics.json").read_text(encoding="utf-8"))
    linkage = LinkageResult(links, review, {**diagnostics["linkage"], **counts(links)})
    group = build_treatment_group(db_path, records, links)
    write_outputs(out, _read(out, "validation_report.csv"), linkage, group, diagnostics["submission"], records)
    return linkage.diagnostics
