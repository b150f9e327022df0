"""`justicelab validate`: read a submission (CSV or xlsx) and report every problem by row and column.

Nothing is dropped silently: every row is kept in the parsed table with a status, and every problem
(error or warning) is a row of the report. Row numbers are spreadsheet rows (the header is row 1).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import JusticeLabError
from ..identifiers import normalise_pnc
from .template import FIELDS, MINIMUM_PEOPLE, REQUIRED, canonical_column

SEX = {"m": "M", "male": "M", "man": "M", "f": "F", "female": "F", "woman": "F"}
MONTHS = {m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                          "nov", "dec"])}


@dataclass
class Problem:
    row: int
    column: str
    value: str
    severity: str  # error or warning
    problem: str


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


def _read(path: Path) -> tuple[pd.DataFrame, str]:
    if not path.exists():
        raise JusticeLabError(f"no file at {path}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(path, dtype=object, engine="openpyxl")
        except Exception as exc:  # a corrupt or password-protected workbook
            raise JusticeLabError(f"{path.name}: cannot read the workbook ({exc})") from exc
        return frame, "xlsx"
    if path.suffix.lower() != ".csv":
        raise JusticeLabError(f"{path.name}: submissions must be .csv or .xlsx")
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise JusticeLabError(f"{path.name}: the file is neither UTF-8 nor Windows-1252 text")
    from io import StringIO

    frame = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False)
    return frame, "utf-8" if encoding == "utf-8-sig" else "windows-1252"


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
    return " ".join(re.sub(r"[^a-z' \-]", "", str(s).lower()).replace("-", " ").split())


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

        wb = openpyxl.load_workbook(path, read_only=True)
        if "Programme" in wb.sheetnames:
            keys = {"programme name": "programme", "organisation": "organisation",
                    "description, in your own words": "description", "contact email": "contact"}
            for row in wb["Programme"].iter_rows(values_only=True):
                if row and row[0] and str(row[0]).strip().lower() in keys and len(row) > 1 and row[1]:
                    meta[keys[str(row[0]).strip().lower()]] = str(row[1]).strip()
        wb.close()
    return {k: meta.get(k, "") for k in ("programme", "organisation", "description", "contact")}


def validate(path: str | Path, today: date | None = None, day_first: bool = True) -> ValidatedSubmission:
    path = Path(path)
    frame, encoding = _read(path)
    today = today or date.today()
    problems: list[Problem] = []
    mapping, extra = {}, []
    for col in frame.columns:
        canon = canonical_column(col)
        if canon and canon not in mapping.values():
            mapping[col] = canon
        else:
            extra.append(str(col))
    missing = [c for c in REQUIRED if c not in mapping.values()]
    if missing:
        problems.append(Problem(0, ", ".join(missing), "", "error",
                                f"required column(s) missing: {', '.join(missing)} (see docs/submissions.md)"))
        return ValidatedSubmission(path, encoding, pd.DataFrame(columns=["row", "status", "person_key"]),
                                   problems, extra)
    frame = frame.rename(columns=mapping)
    kinds = {f.name: f.kind for f in FIELDS}
    settled = {name: _day_first_confirmed(frame[name], day_first) for name, kind in kinds.items()
               if kind == "date" and name in frame.columns}
    out = []
    for i, rec in enumerate(frame.to_dict(orient="records")):
        sheet_row = i + 2
        values = {c: rec.get(c) for c in list(mapping.values()) + extra}
        row = {"row": sheet_row}
        blank = all(v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "" for v in values.values())
        if blank:
            problems.append(Problem(sheet_row, "", "", "warning", "blank row: ignored"))
            out.append({**row, "status": "blank"})
            continue
        row_errors = 0
        for name, kind in kinds.items():
            if name not in frame.columns:
                row[name] = None
                continue
            v = rec.get(name)
            text = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
            required = name in REQUIRED
            if text == "":
                row[name] = None
                if required:
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
                                            f"ambiguous day/month: read as {d:%d %B %Y} (UK order)"))
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
        dob = row.get("date_of_birth")
        start = row.get("intervention_start")
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
        for c in extra:
            row[f"extra:{c}"] = rec.get(c)
        row["status"] = "error" if row_errors else "ok"
        row["person_key"] = (f"{_normalise_name(row.get('forename') or '')}|{_normalise_name(row.get('surname') or '')}"
                             f"|{dob}") if row_errors == 0 else None
        out.append(row)
    rows = pd.DataFrame(out)
    usable = rows["status"] == "ok"
    dup = rows.loc[usable].duplicated("person_key", keep="first")
    first_row = rows.loc[usable].drop_duplicates("person_key").set_index("person_key")["row"]
    for idx in dup[dup].index:
        problems.append(Problem(int(rows.at[idx, "row"]), "forename, surname, date_of_birth", "", "warning",
                                f"same person as row {int(first_row[rows.at[idx, 'person_key']])}"))
    distinct = rows.loc[usable, "person_key"].nunique()
    if distinct < MINIMUM_PEOPLE:
        problems.append(Problem(0, "", str(distinct), "error",
                                f"only {distinct} distinct people with usable details: the Data Lab needs at "
                                f"least {MINIMUM_PEOPLE} to produce reliable results"))
    problems.sort(key=lambda p: (p.row, p.column))
    return ValidatedSubmission(path, encoding, rows, problems, extra)
