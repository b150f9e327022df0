"""`justicelab validate`: read a submission (CSV or xlsx) and report every problem by row and column.

Nothing is dropped silently: every row is kept in the parsed table with a status, and every problem
(error or warning) is a row of the report. Row numbers are spreadsheet rows (the header is row 1).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import JusticeLabError
from .limits import DEFAULT_LIMITS, ReadLimits
from .read import Problem, SubmissionRefused, read_table, refuse  # noqa: F401 (re-exported)
from ..identifiers import normalise_pnc
from .template import FIELDS, MINIMUM_PEOPLE, REQUIRED, canonical_column

SEX = {"m": "M", "male": "M", "man": "M", "f": "F", "female": "F", "woman": "F"}
MONTHS = {m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                          "nov", "dec"])}


@dataclass
class ValidatedSubmission:
    path: Path
    encoding: str
    rows: pd.DataFrame  # one row per data row: parsed values, `row` (sheet row), `status`
    problems: list[Problem] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def rejected(self) -> str | None:
        """Why the whole submission is refused, if it is."""
        fatal = [p for p in self.problems if p.row == 0 and p.severity == "error"]
        return fatal[0].problem if fatal else None

    def report(self) -> pd.DataFrame:
        return pd.DataFrame([p.__dict__ for p in self.problems],
                            columns=["row", "column", "value", "severity", "problem"])

    def summary(self) -> dict:
        usable = self.rows["status"] == "ok"
        return {"file": str(self.path), "encoding": self.encoding, "records": int(len(self.rows)),
                "blank_rows": int((self.rows["status"] == "blank").sum()),
                "records_with_errors": int((self.rows["status"] == "error").sum()),
                "usable_records": int(usable.sum()),
                "distinct_people": int(self.rows.loc[usable, "person_key"].nunique()),
                "errors": len(self.errors), "warnings": len(self.problems) - len(self.errors),
                "rejected": self.rejected}


def parse_date(value, day_first: bool = True) -> tuple[date | None, str | None, bool]:
    """(date, problem, ambiguous). Excel date cells arrive as datetimes; text in common UK forms."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
        return None, None, False
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.date(), None, False
    if isinstance(value, date):
        return value, None, False
    text = str(value).strip()
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # an Excel serial number that lost its date format
        return date(1899, 12, 30) + timedelta(days=int(float(text))), None, False
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        return _make(y, mo, d, text) + (False,)
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", text)
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if y < 100:
            return None, f"two-digit year in {text!r}: write the year in full", False
        d, mo = (a, b) if day_first else (b, a)
        ambiguous = a <= 12 and b <= 12 and a != b
        got, problem = _make(y, mo, d, text)
        return got, problem, ambiguous and problem is None
    m = re.fullmatch(r"(\d{1,2})[ \-]([A-Za-z]{3,9})[ \-](\d{4})", text)
    if m and m.group(2)[:3].lower() in MONTHS:
        return _make(int(m.group(3)), MONTHS[m.group(2)[:3].lower()], int(m.group(1)), text) + (False,)
    return None, f"{text!r} is not a date (use 31/01/1985 or 1985-01-31)", False


def _day_first_confirmed(column: pd.Series, day_first: bool) -> bool:
    """True when the column's unambiguous dates (a first part over 12) all agree with the chosen order,
    so its 04/05-style dates need no warning."""
    parts = column.astype(str).str.extract(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{4}\s*$").dropna().astype(int)
    first_big, second_big = int((parts[0] > 12).sum()), int((parts[1] > 12).sum())
    return (first_big > 0 and second_big == 0) if day_first else (second_big > 0 and first_big == 0)


def _make(y, mo, d, text):
    try:
        return date(y, mo, d), None
    except ValueError:
        return None, f"{text!r} is not a real date"


def _normalise_name(s: str) -> str:
    """Case, accents and punctuation removed, letters of every script kept (so two Cyrillic or Chinese
    names are never the same empty key)."""
    text = unicodedata.normalize("NFKD", str(s).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = "".join(ch if ch.isalnum() or ch == "'" else " " for ch in text.replace("-", " "))
    return " ".join(text.split())


def read_programme(path: str | Path) -> dict:
    """Programme metadata: the workbook's "Programme" sheet, or NAME.programme.json beside a CSV."""
    import json

    path = Path(path)
    meta: dict = {}
    sidecar = path.with_suffix(".programme.json")
    if sidecar.exists():
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise JusticeLabError(f"{sidecar.name}: not valid JSON ({exc})") from exc
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True)
        except Exception:  # unreadable workbooks are refused, with the reason, by validate()
            return {k: "" for k in ("programme", "organisation", "description", "contact")}
        if "Programme" in wb.sheetnames:
            keys = {"programme name": "programme", "organisation": "organisation",
                    "description, in your own words": "description", "contact email": "contact"}
            for row in wb["Programme"].iter_rows(values_only=True):
                if row and row[0] and str(row[0]).strip().lower() in keys and len(row) > 1 and row[1]:
                    meta[keys[str(row[0]).strip().lower()]] = str(row[1]).strip()
        wb.close()
    return {k: meta.get(k, "") for k in ("programme", "organisation", "description", "contact")}


MAX_CHARS = 255  # longer is a pasted paragraph or a whole row in one cell, not a name or a date
NOT_A_NAME = {"unknown", "not known", "n/k", "nk", "n/a", "na", "none", "null", "anon", "anonymous", "redacted",
              "withheld", "tbc", "tba", "xxx", "xx", "x", "?", "-", "dummy"}  # alone, never a name
PLACEHOLDER_WORDS = {"test", "testing", "example", "sample", "dummy", "name", "forename", "surname", "first",
                     "last", "unknown", "person", "client", "a", "b"}  # a name made only of these is not one
DATE_COLUMNS = ("intervention_start", "index_date")


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def _map_columns(path: Path, header: list[str]) -> tuple[dict[int, str], list[tuple[int, str]]]:
    """Column position -> template name, and the extra (own) columns. Two columns meaning the same
    field are refused: which one is right is the organisation's call, not ours."""
    mapping: dict[int, str] = {}
    extra: list[tuple[int, str]] = []
    for j, heading in enumerate(header):
        canon = canonical_column(heading)
        if canon is None:
            extra.append((j, heading or f"column {j + 1}"))
        elif canon in mapping.values():
            first = next(k for k, v in mapping.items() if v == canon)
            raise refuse(path, f"two columns are both {canon}: {header[first]!r} (column {first + 1}) and "
                               f"{heading!r} (column {j + 1}); delete or rename one", column=canon)
        else:
            mapping[j] = canon
    return mapping, extra


def _cap(problems: list[Problem], limits: ReadLimits) -> list[Problem]:
    if len(problems) <= limits.max_problems:
        return problems
    kept = problems[:limits.max_problems]
    more = len(problems) - len(kept)
    kept.append(Problem(kept[-1].row, "", str(more), "warning",
                        f"... and {more:,} more problems not listed (at most {limits.max_problems:,} are kept)"))
    return kept


def _us_date_hint(frame_dates: dict[str, list], day_first: bool) -> str | None:
    """When dates that are impossible day-first are fine month-first, the file uses US dates."""
    if not day_first:
        return None
    swapped = 0
    for values in frame_dates.values():
        for v in values:
            got, problem, _ = parse_date(v, True)
            if problem and parse_date(v, False)[0] is not None:
                swapped += 1
    if swapped >= 3:
        return (f"{swapped} dates are only real dates read month first (like 12/31/1985): if the file uses "
                f"US dates, run again with --us-dates")
    return None


def validate(path: str | Path, today: date | None = None, day_first: bool = True,
             limits: ReadLimits | None = None) -> ValidatedSubmission:
    """Read and check a submission; refuses (SubmissionRefused) a file that cannot be read at all."""
    path = Path(path)
    limits = limits or DEFAULT_LIMITS
    table = read_table(path, limits)
    today = today or date.today()
    problems: list[Problem] = list(table.problems)
    mapping, extra = _map_columns(path, table.header)
    present = set(mapping.values())
    missing = [c for c in REQUIRED if c not in present]
    empty = pd.DataFrame(columns=["row", "status", "person_key"])
    extra_names = [name for _, name in extra]
    if missing:
        problems.append(Problem(0, ", ".join(missing), "", "error",
                                f"required column(s) missing: {', '.join(missing)} (see docs/submissions.md)"))
        return ValidatedSubmission(path, table.encoding, empty, _cap(problems, limits), extra_names)
    if not present & set(DATE_COLUMNS):
        problems.append(Problem(0, ", ".join(DATE_COLUMNS), "", "error",
                                "neither an intervention_start nor an index_date column: one is needed to "
                                "find the sentence the work related to (see docs/submissions.md)"))
        return ValidatedSubmission(path, table.encoding, empty, _cap(problems, limits), extra_names)
    width = len(table.header)
    columns = [mapping.get(j) for j in range(width)]
    records = []
    for values in table.rows:
        values = list(values[:width]) + [None] * (width - len(values))
        records.append({name: values[j] for j, name in enumerate(columns) if name})
    kinds = {f.name: f.kind for f in FIELDS}
    settled = {name: _day_first_confirmed(pd.Series([r.get(name) for r in records], dtype=object), day_first)
               for name, kind in kinds.items() if kind == "date" and name in present}
    out = []
    blank_run: list[int] = []

    def close_blank_run():
        if blank_run:
            what = "blank row" if len(blank_run) == 1 else \
                f"blank rows {blank_run[0]}-{blank_run[-1]} ({len(blank_run):,} rows)"
            problems.append(Problem(blank_run[0], "", "", "warning", f"{what}: ignored"))
            blank_run.clear()

    for values, rec, sheet_row in zip(table.rows, records, table.row_numbers):
        row = {"row": sheet_row}
        if all(_text(v) == "" for v in values):
            blank_run.append(sheet_row)
            out.append({**row, "status": "blank"})
            continue
        close_blank_run()
        row_errors = int(sheet_row in table.bad_rows)
        for j, value in enumerate(values[:width]):
            text = _text(value)
            if len(text) > MAX_CHARS:  # in a template column the row cannot be used; in the user's own, noted
                ours = columns[j] is not None
                problems.append(Problem(sheet_row, columns[j] or table.header[j], text[:40] + "...",
                                        "error" if ours else "warning",
                                        f"is {len(text):,} characters long: at most {MAX_CHARS} (is a whole "
                                        f"row or a note pasted into one cell?)"))
                row_errors += ours
        for name, kind in kinds.items():
            if name not in present:
                row[name] = None
                continue
            v = rec.get(name)
            text = _text(v)
            required = name in REQUIRED
            if text == "" or len(text) > MAX_CHARS:
                row[name] = None
                if required and text == "":
                    problems.append(Problem(sheet_row, name, "", "error", "is empty but required"))
                    row_errors += 1
                continue
            if kind == "date":
                d, problem, ambiguous = parse_date(v, day_first)
                if problem:
                    problems.append(Problem(sheet_row, name, text, "error" if required else "warning", problem))
                    row_errors += required
                elif d > today:
                    problems.append(Problem(sheet_row, name, text, "error" if required else "warning",
                                            "is in the future"))
                    row_errors += required
                    d = None
                elif ambiguous and not settled.get(name):
                    problems.append(Problem(sheet_row, name, text, "warning",
                                            f"ambiguous day/month: read as {d:%d %B %Y} "
                                            f"({'UK' if day_first else 'US'} order)"))
                row[name] = d
            elif kind == "sex":
                row[name] = SEX.get(text.lower())
                if row[name] is None:
                    problems.append(Problem(sheet_row, name, text, "error", "is not Male or Female (M/F)"))
                    row_errors += 1
            elif kind == "pnc":
                row[name], problem = normalise_pnc(text)  # other formats agree; a bad check letter keeps the number
                if problem:
                    problems.append(Problem(sheet_row, name, text, "warning",
                                            problem if row[name] else problem + ": ignored"))
            else:
                row[name] = text
        row_errors += _name_problems(row, sheet_row, problems)
        dob = row.get("date_of_birth")
        start = row.get("intervention_start")
        if not any(row.get(c) for c in DATE_COLUMNS) and not any(
                _text(rec.get(c)) for c in DATE_COLUMNS):
            problems.append(Problem(sheet_row, ", ".join(c for c in DATE_COLUMNS if c in present), "", "error",
                                    "intervention_start and index_date are both empty: one is needed"))
            row_errors += 1
        if dob and dob.year < today.year - 100:
            problems.append(Problem(sheet_row, "date_of_birth", str(dob), "error", "implies an age over 100"))
            row_errors += 1
        if dob and start and (start - dob).days < 10 * 365:
            problems.append(Problem(sheet_row, "date_of_birth", str(dob), "error",
                                    "implies the person was under 10 when the intervention started"))
            row_errors += 1
        if start and row.get("intervention_end") and row["intervention_end"] < start:
            problems.append(Problem(sheet_row, "intervention_end", str(row["intervention_end"]), "warning",
                                    "is before intervention_start"))
        for j, name in extra:
            row[f"extra:{name}"] = values[j] if j < len(values) else None
        row["status"] = "error" if row_errors else "ok"
        row["person_key"] = (f"{_normalise_name(row.get('forename') or '')}|{_normalise_name(row.get('surname') or '')}"
                             f"|{dob}") if row_errors == 0 else None
        out.append(row)
    close_blank_run()
    rows = pd.DataFrame(out, columns=None if out else ["row", "status", "person_key"])
    if "person_key" not in rows.columns:
        rows["person_key"] = None
    usable = rows["status"] == "ok"
    dup = rows.loc[usable].duplicated("person_key", keep="first")
    first_row = rows.loc[usable].drop_duplicates("person_key").set_index("person_key")["row"]
    for idx in dup[dup].index:
        problems.append(Problem(int(rows.at[idx, "row"]), "forename, surname, date_of_birth", "", "warning",
                                f"same person as row {int(first_row[rows.at[idx, 'person_key']])}"))
    distinct = rows.loc[usable, "person_key"].nunique()
    hint = _us_date_hint({c: [r.get(c) for r in records] for c in ("date_of_birth", *DATE_COLUMNS)
                          if c in present}, day_first)
    if hint:
        problems.append(Problem(0, "date_of_birth", "", "warning", hint))
    if distinct < MINIMUM_PEOPLE:
        reason = "no data rows" if not len(rows) else f"only {distinct} distinct people with usable details"
        problems.append(Problem(0, "", str(distinct), "error",
                                f"{reason}: the Data Lab needs at least {MINIMUM_PEOPLE} to produce reliable "
                                f"results" + (f" ({hint})" if hint else "")))
    problems.sort(key=lambda p: (p.row, p.severity != "error", p.column))
    return ValidatedSubmission(path, table.encoding, rows, _cap(problems, limits), extra_names)


def _name_problems(row: dict, sheet_row: int, problems: list[Problem]) -> int:
    """Placeholder names ("Test Test", "Unknown") are not people: an error, so they are never linked."""
    names = {c: (row.get(c) or "").strip() for c in ("forename", "surname")}
    for column, name in names.items():
        if name.lower() in NOT_A_NAME or (name and not _normalise_name(name)):
            problems.append(Problem(sheet_row, column, name, "error", "is a placeholder, not a person's name"))
            return 1
    tokens = " ".join(_normalise_name(n) for n in names.values()).split()
    if tokens and set(tokens) <= PLACEHOLDER_WORDS:
        problems.append(Problem(sheet_row, "forename, surname", " ".join(names.values()), "error",
                                "looks like a placeholder, not a person's name"))
        return 1
    return 0
