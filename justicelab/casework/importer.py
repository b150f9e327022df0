"""Bulk import of cases, or of contacts with existing cases, from CSV or xlsx: every problem by row and
column, nothing written unless every row is good (a half-imported file would be worse than none)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import JusticeLabError
from ..service.store import Organisation, User
from ..submission.read import Problem, read_table
from ..submission.validate import parse_date
from .records import CONTACT_MODES, RISK_BANDS, Case, NotVisible, open_case, provider_scope, record_contact

# column: required (`provider` is required of the director, who imports for every provider)
COLUMNS = {
    "cases": {"reference": True, "forename": True, "surname": True, "date_of_birth": True, "sex": True,
              "risk_band": True, "reception_date": True, "pnc_id": False, "release_date": False, "provider": False},
    "contacts": {"reference": True, "contact_on": True, "mode": True, "minutes": False, "provider": False},
}
DATES = {"cases": ("date_of_birth", "reception_date", "release_date"), "contacts": ("contact_on",)}


def _key(heading: str) -> str:
    return "_".join(str(heading).strip().lower().replace("-", " ").split())


class _Rows:
    """The file's rows as {column: text}, with the problems found so far."""

    def __init__(self, path: Path, columns: dict[str, bool], director: bool):
        table = read_table(Path(path))
        self.index = {_key(h): i for i, h in enumerate(table.header) if _key(h) in columns}
        self.missing = [c for c, required in columns.items() if (required or (c == "provider" and director))
                        and c not in self.index]
        self.table, self.problems = table, [p for p in table.problems if p.severity == "error"]

    def __iter__(self):
        for line, raw in zip(self.table.row_numbers, self.table.rows):
            value = {c: ("" if i >= len(raw) or raw[i] is None else str(raw[i]).strip()) for c, i in self.index.items()}
            if any(value.values()):
                yield line, value

    def bad(self, line: int, value: dict, column: str, problem: str) -> None:
        self.problems.append(Problem(line, column, value.get(column, ""), "error", problem))


def import_file(db: Session, user: User, path: str | Path, kind: str = "cases") -> tuple[int, list[Problem]]:
    """(rows imported, problems). Problems name the spreadsheet row, the column and what is wrong."""
    if kind not in COLUMNS:
        raise JusticeLabError(f"kind: {kind!r} is not one of {', '.join(COLUMNS)}")
    scope = provider_scope(user)
    rows = _Rows(Path(path), COLUMNS[kind], director=scope is None)
    if rows.missing:
        return 0, [Problem(1, c, "", "error", "required column missing") for c in rows.missing]
    providers = dict(db.execute(select(Organisation.name, Organisation.id)).all())
    cases = {(c.provider_id, c.reference): c for c in db.scalars(select(Case)).all()}
    ready = []
    for line, value in rows:
        bad = lambda column, problem: rows.bad(line, value, column, problem)  # noqa: E731, B023 (used at once)
        for c, required in COLUMNS[kind].items():
            if required and not value.get(c):
                bad(c, "required value empty")
        dates = {}
        for c in DATES[kind]:
            dates[c], problem, _ = parse_date(value.get(c))
            if problem:
                bad(c, problem)
        provider = scope
        if value.get("provider"):
            provider = providers.get(value["provider"])
            if provider is None:
                bad("provider", "no such provider")
            elif scope is not None and provider != scope:
                bad("provider", "a caseworker imports for their own provider only")
        key = (provider, value.get("reference"))
        if kind == "cases":
            if value.get("sex") and value["sex"][:1].lower() not in ("m", "f"):
                bad("sex", "not Male or Female (M/F)")
            if value.get("risk_band") and value["risk_band"].lower() not in RISK_BANDS:
                bad("risk_band", f"not one of {', '.join(RISK_BANDS)}")
            if key in cases:
                bad("reference", "this provider already has a case with this reference")
            cases[key] = None
        else:
            if value.get("reference") and cases.get(key) is None:
                bad("reference", "no case with this reference for this provider")
            if value.get("mode") and value["mode"].lower() not in CONTACT_MODES:
                bad("mode", f"not one of {', '.join(CONTACT_MODES)}")
            if value.get("minutes") and not value["minutes"].isdigit():
                bad("minutes", "a whole number of minutes")
        ready.append((line, provider, value, dates, cases.get(key)))
    if rows.problems:
        return 0, sorted(rows.problems, key=lambda p: (p.row, p.column))
    try:
        for line, provider, value, dates, case in ready:
            try:
                if kind == "cases":
                    open_case(db, user, provider, value["reference"], value["forename"], value["surname"],
                              dates["date_of_birth"], value["sex"], value["risk_band"], dates["reception_date"],
                              dates["release_date"], value.get("pnc_id"), commit=False)
                else:
                    record_contact(db, user, case, dates["contact_on"], value["mode"], int(value.get("minutes") or 0),
                                   commit=False)
            except (JusticeLabError, NotVisible) as exc:  # the record's own rules (a gate contact off the release day)
                column, _, problem = str(exc).partition(": ")
                raise _RowError(Problem(line, column if problem else "", value.get(column, ""), "error",
                                        problem or str(exc))) from None
    except _RowError as exc:
        db.rollback()
        return 0, [exc.problem]
    db.commit()
    return len(ready), []


class _RowError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
