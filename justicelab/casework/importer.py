"""Bulk import of cases from CSV or xlsx: every problem by row and column, nothing written unless every
row is good (a half-imported caseload would be worse than none)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import JusticeLabError
from ..service.store import Organisation, User
from ..submission.read import Problem, read_table
from ..submission.validate import parse_date
from .records import RISK_BANDS, Case, NotVisible, open_case, provider_scope

COLUMNS = {"reference": True, "forename": True, "surname": True, "date_of_birth": True, "sex": True,
           "risk_band": True, "reception_date": True, "pnc_id": False, "release_date": False, "provider": False}
TEMPLATE = ",".join(COLUMNS) + "\n"


def _key(heading: str) -> str:
    return "_".join(str(heading).strip().lower().replace("-", " ").split())


def import_cases(db: Session, user: User, path: str | Path) -> tuple[int, list[Problem]]:
    """(cases opened, problems). Problems name the spreadsheet row, the column and what is wrong."""
    scope = provider_scope(user)
    table = read_table(Path(path))
    index = {_key(h): i for i, h in enumerate(table.header)}
    missing = [c for c, required in COLUMNS.items() if required and c not in index]
    if scope is None and "provider" not in index:
        missing.append("provider")
    if missing:
        return 0, [Problem(1, c, "", "error", "required column missing") for c in missing]
    providers = dict(db.execute(select(Organisation.name, Organisation.id)).all())
    taken = {(p, r) for p, r in db.execute(select(Case.provider_id, Case.reference)).all()}
    problems: list[Problem] = [p for p in table.problems if p.severity == "error"]
    rows = []
    for line, raw in zip(table.row_numbers, table.rows):
        value = {c: ("" if i >= len(raw) or raw[i] is None else str(raw[i]).strip()) for c, i in index.items()
                 if c in COLUMNS}
        if not any(value.values()):
            continue
        bad = lambda column, problem: problems.append(Problem(line, column, value.get(column, ""), "error", problem))  # noqa: E731
        for c, required in COLUMNS.items():
            if required and not value.get(c):
                bad(c, "required value empty")
        dates = {}
        for c in ("date_of_birth", "reception_date", "release_date"):
            got, problem, _ = parse_date(value.get(c))
            if problem:
                bad(c, problem)
            dates[c] = got
        if value.get("sex") and value["sex"][:1].lower() not in "mf":
            bad("sex", "not Male or Female (M/F)")
        if value.get("risk_band") and value["risk_band"].lower() not in RISK_BANDS:
            bad("risk_band", f"not one of {', '.join(RISK_BANDS)}")
        provider = scope
        if value.get("provider"):
            provider = providers.get(value["provider"])
            if provider is None:
                bad("provider", "no such provider")
            elif scope is not None and provider != scope:
                bad("provider", "a caseworker imports cases for their own provider only")
        if (provider, value.get("reference")) in taken:
            bad("reference", "this provider already has a case with this reference")
        taken.add((provider, value.get("reference")))
        rows.append((line, provider, value, dates))
    if problems:
        return 0, sorted(problems, key=lambda p: (p.row, p.column))
    try:
        for line, provider, value, dates in rows:
            try:
                open_case(db, user, provider, value["reference"], value["forename"], value["surname"],
                          dates["date_of_birth"], value["sex"], value["risk_band"], dates["reception_date"],
                          dates["release_date"], value.get("pnc_id"), commit=False)
            except (JusticeLabError, NotVisible) as exc:
                column, _, problem = str(exc).partition(": ")
                raise _RowError(Problem(line, column if problem else "", "", "error", problem or str(exc))) from None
    except _RowError as exc:
        db.rollback()
        return 0, [exc.problem]
    db.commit()
    return len(rows), []


class _RowError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
