"""One click from the caseload: a Data Lab submission file, or a PbR cohort check against a contract's
register. Nobody retypes a list."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from .measures import Caseload, per_case

SUBMISSION_COLUMNS = ["forename", "surname", "date_of_birth", "sex", "pnc_id", "intervention_start",
                      "intervention_end", "index_date",
                      # the programme's own fields, for the Data Lab's sub-analyses
                      "provider", "risk_band", "attendance", "contacts", "met_at_gate", "engaged_one_month",
                      "full_assessment"]
ATTENDANCE = {"open": "ongoing", "completed": "completed", "disengaged": "dropped out", "transferred": "transferred"}


def _uk(day) -> str:
    return "" if day is None or pd.isna(day) else pd.Timestamp(day).strftime("%d/%m/%Y")


def submission_frame(load: Caseload, as_of: date) -> tuple[pd.DataFrame, dict]:
    """The Data Lab template's columns for everyone the programme worked with (at least one contact or
    assessment); people whose identifiers were erased, or never seen, are counted, not listed."""
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
    its register row nearest its release date."""
    from ..pbr.cohort import build_register

    e = contract.eligibility
    build_register(engine, contract, e.released_from, e.released_to)
    reg = engine.query("""SELECT r.person_id, r.index_date, r.reason, r.cohort, upper(p.pnc_id) AS pnc,
                                 lower(p.surname) AS surname, p.date_of_birth
                          FROM register r JOIN person p USING (person_id)""")
    reg["index_date"] = pd.to_datetime(reg["index_date"])
    reg["date_of_birth"] = pd.to_datetime(reg["date_of_birth"]).dt.date
    people = engine.query("SELECT person_id, upper(pnc_id) AS pnc, lower(surname) AS surname, date_of_birth FROM person")
    people["date_of_birth"] = pd.to_datetime(people["date_of_birth"]).dt.date
    by_pnc = dict(zip(people["pnc"], people["person_id"]))
    by_name = people.drop_duplicates(["surname", "date_of_birth"], keep=False)
    by_name = dict(zip(zip(by_name["surname"], by_name["date_of_birth"]), by_name["person_id"]))
    rows = []
    for case in load.cases.itertuples():
        person = by_pnc.get(_pnc(case.pnc_id)) or by_name.get(((case.surname or "").lower(), case.date_of_birth))
        status, cohort = "not found on the database (check the PNC id, surname and date of birth)", None
        if case.forename is None or pd.isna(case.forename):
            status = "identifiers erased"
        elif person is not None:
            mine = reg[reg["person_id"] == person]
            if mine.empty:
                status = "not in the register: no release from the contract's prisons in its period"
            else:
                when = pd.Timestamp(case.release_date) if case.release_date else mine["index_date"].max()
                best = mine.loc[(mine["index_date"] - when).abs().idxmin()]
                cohort = None if pd.isna(best["cohort"]) else int(best["cohort"])
                status = f"in cohort {cohort}" if cohort else f"in the register, not in a cohort: {best['reason']}"
        rows.append({"reference": case.reference, "provider": case.provider, "status": status, "cohort": cohort,
                     "person_id": person})
    cases = pd.DataFrame(rows, columns=["reference", "provider", "status", "cohort", "person_id"])
    members = reg[reg["cohort"].notna()]
    reached = set(cases.loc[cases["cohort"].notna(), "person_id"])
    cohorts = (members.assign(on_caseload=members["person_id"].isin(reached))
               .groupby("cohort").agg(members=("person_id", "size"), on_caseload=("on_caseload", "sum")).reset_index())
    cohorts["not_on_caseload"] = cohorts["members"] - cohorts["on_caseload"]
    return cases.drop(columns="person_id"), cohorts.astype(int)
