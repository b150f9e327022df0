"""One click from the caseload: a Data Lab submission file, or a PbR cohort check against a contract's
register. Nobody retypes a list."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from .measures import Caseload, as_of_cut, per_case

SUBMISSION_COLUMNS = ["forename", "surname", "date_of_birth", "sex", "pnc_id", "intervention_start",
                      "intervention_end", "index_date",
                      # the programme's own fields, for the Data Lab's sub-analyses
                      "provider", "risk_band", "attendance", "contacts", "met_at_gate", "engaged_one_month",
                      "full_assessment"]
NEAR_DAYS = 14  # a register release this close to the recorded release date is taken to be the same one
ATTENDANCE = {"open": "ongoing", "completed": "completed", "disengaged": "dropped out", "transferred": "transferred"}


def _uk(day) -> str:
    return "" if day is None or pd.isna(day) else pd.Timestamp(day).strftime("%d/%m/%Y")


def submission_frame(load: Caseload, as_of: date) -> tuple[pd.DataFrame, dict]:
    """The Data Lab template's columns for everyone the programme worked with (at least one contact or
    assessment); people whose identifiers were erased, or never seen, are counted, not listed."""
    load = as_of_cut(load, as_of)
    flags = per_case(load, as_of)
    first = pd.concat([load.contacts.rename(columns={"contact_on": "on"})[["case_id", "on"]],
                       load.assessments.rename(columns={"assessed_on": "on"})[["case_id", "on"]]])
    start = first.groupby("case_id")["on"].min()
    cases = load.cases.set_index("id")
    seen = cases.index.isin(start.index)
    erased = cases["forename"].isna()
    listed = cases[seen & ~erased]
    f = flags.loc[listed.index]
    full = set(load.assessments.loc[load.assessments["kind"] == "full", "case_id"])
    out = pd.DataFrame({
        "forename": listed["forename"], "surname": listed["surname"],
        "date_of_birth": listed["date_of_birth"].map(_uk), "sex": listed["sex"].map({"M": "Male", "F": "Female"}),
        "pnc_id": listed["pnc_id"].fillna(""), "intervention_start": start.reindex(listed.index).map(_uk),
        "intervention_end": listed["closed_on"].map(_uk), "index_date": listed["release_date"].map(_uk),
        "provider": listed["provider"], "risk_band": listed["risk_band"],
        "attendance": listed["completion"].map(ATTENDANCE), "contacts": f["contacts"].astype(int),
        "met_at_gate": f["met_at_gate"].map({True: "yes", False: "no"}).where(f["released"], "not released"),
        "engaged_one_month": f["engaged_month"].map({True: "yes", False: "no"}).astype(object)
        .where(f["engaged_month"].notna(), "too early or not released"),
        "full_assessment": ["yes" if i in full else "no" for i in listed.index]}, columns=SUBMISSION_COLUMNS)
    counts = {"listed": len(out), "never_seen": int((~seen).sum()), "identifiers_erased": int((seen & erased).sum())}
    return out.reset_index(drop=True), counts


def write_submission(load: Caseload, as_of: date, path: str | Path) -> dict:
    """Writes the submission CSV; a caseworker's typing never becomes a spreadsheet formula."""
    from ..report.excel import safe

    frame, counts = submission_frame(load, as_of)
    frame.map(safe).to_csv(path, index=False, encoding="utf-8")
    return counts


def _pnc(value) -> str:
    return "" if value is None or pd.isna(value) else "".join(str(value).upper().split())


def cohort_check(engine, contract, load: Caseload) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per case: where they stand in the contract's register; per cohort: its size and how many of its
    members are on the caseload). A case is matched to the database exactly, on PNC id, else on surname
    and date of birth (no fuzzy linkage: a check for the programme, not the Data Lab's linkage), and then to
    its register row: the one in a cohort if any (each person counts once), else the nearest its release."""
    from ..pbr.cohort import build_register

    e = contract.eligibility
    build_register(engine, contract, e.released_from, e.released_to)
    c = load.cases
    engine.register("casework_ids", pd.DataFrame({
        "case_id": c["id"].astype(str), "pnc": c["pnc_id"].map(_pnc),
        "surname": c["surname"].fillna("").str.lower(), "date_of_birth": pd.to_datetime(c["date_of_birth"])}))
    # exact matching in the engine: a national person table never comes into Python
    found = engine.query("""
        WITH unique_name AS (SELECT lower(surname) AS surname, date_of_birth, min(person_id) AS person_id
                             FROM person GROUP BY 1, 2 HAVING count(*) = 1)
        SELECT c.case_id, coalesce(min(p.person_id), min(n.person_id)) AS person_id
        FROM casework_ids c
        LEFT JOIN person p ON upper(replace(p.pnc_id, ' ', '')) = c.pnc AND c.pnc <> ''
        LEFT JOIN unique_name n ON n.surname = c.surname AND n.date_of_birth = CAST(c.date_of_birth AS DATE)
        GROUP BY c.case_id""")
    person_of = {r: (None if pd.isna(p) else int(p)) for r, p in zip(found["case_id"], found["person_id"])}
    engine.register("casework_people", pd.DataFrame({"person_id": pd.array(
        [p for p in person_of.values() if p is not None], dtype="Int64")}))
    reg = engine.query("""SELECT r.person_id, r.index_date, r.reason, r.cohort FROM register r
                          WHERE r.person_id IN (SELECT person_id FROM casework_people)""")
    reg["index_date"] = pd.to_datetime(reg["index_date"])
    rows = []
    for case in load.cases.itertuples():
        person = person_of.get(str(case.id))
        status, cohort = "not found on the database (check the PNC id, surname and date of birth)", None
        if case.forename is None or pd.isna(case.forename):
            status = "identifiers erased"
        elif person is not None:
            mine = reg[reg["person_id"] == person]
            if mine.empty:
                status = "not in the register: no release from the contract's prisons in its period"
            else:
                in_cohort = mine[mine["cohort"].notna()]  # a person counts once, on their first eligible release
                when = pd.Timestamp(case.release_date) if case.release_date else mine["index_date"].max()
                best = (in_cohort.iloc[0] if not in_cohort.empty
                        else mine.loc[(mine["index_date"] - when).abs().idxmin()])
                cohort = None if pd.isna(best["cohort"]) else int(best["cohort"])
                if cohort:
                    status = f"in cohort {cohort}"
                elif abs((best["index_date"] - when).days) > NEAR_DAYS:  # another release of theirs: not this one
                    status = "not in the register: no release from the contract's prisons near the recorded release"
                else:
                    status = f"in the register, not in a cohort: {best['reason']}"
        rows.append({"reference": case.reference, "provider": case.provider, "status": status, "cohort": cohort,
                     "person_id": person})
    cases = pd.DataFrame(rows, columns=["reference", "provider", "status", "cohort", "person_id"])
    engine.register("casework_reached", pd.DataFrame({"person_id": pd.array(
        cases.loc[cases["cohort"].notna(), "person_id"].dropna().astype(int).tolist(), dtype="Int64")}))
    cohorts = engine.query("""
        SELECT CAST(cohort AS INTEGER) AS cohort, count(*) AS members,
               count(*) FILTER (WHERE person_id IN (SELECT person_id FROM casework_reached)) AS on_caseload
        FROM register WHERE cohort IS NOT NULL GROUP BY cohort ORDER BY cohort""")
    cohorts["not_on_caseload"] = cohorts["members"] - cohorts["on_caseload"]
    return cases.drop(columns="person_id"), cohorts.astype(int)
