"""Reading a submission file into a header and rows, refusing what cannot be read with a one-line reason.

Everything a user's software might produce is tried before giving up: UTF-8, UTF-16 and Windows-1252
text; comma, semicolon, tab or pipe delimiters; title rows above the header; the data on another sheet of
a workbook. What would silently change the data (NUL bytes, mixed encodings, a stray quote swallowing
rows, formulas without saved results) is refused, naming the row and column. Limits are checked first.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import iterparse

from ..errors import JusticeLabError
from .limits import DEFAULT_LIMITS, ReadLimits, megabytes
from .template import REQUIRED, canonical_column

HEADER_SEARCH_ROWS = 10  # title rows tolerated above the header
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted xlsx and old .xls are OLE compound files


class SubmissionRefused(JusticeLabError):
    """The file as a whole cannot be read; the message names the file and, where it can, row and column."""


@dataclass
class Problem:
    row: int
    column: str
    value: str
    severity: str  # error or warning
    problem: str


@dataclass
class RawTable:
    header: list[str]
    rows: list[list]  # data rows as read (str for CSV, cell values for xlsx)
    row_numbers: list[int]  # the spreadsheet row (file line) of each data row
    encoding: str
    problems: list[Problem] = field(default_factory=list)  # found while reading
    bad_rows: set[int] = field(default_factory=set)  # rows that cannot be used as read


def refuse(path: Path, problem: str, row: int | None = None, column: str | None = None) -> SubmissionRefused:
    where = "".join([f", row {row}" if row else "", f", column {column}" if column else ""])
    return SubmissionRefused(f"{path.name}{where}: {problem}")


def clean_heading(value) -> str:
    """A header cell without invisible characters (zero-width spaces, BOMs, soft hyphens) or odd spaces."""
    text = "" if value is None else str(value)
    text = "".join(" " if ch.isspace() else ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def _header_index(rows: list[list]) -> int | None:
    """The first of the top rows that names every required column (title rows may sit above it)."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {canonical_column(clean_heading(v)) for v in row}
        if all(r in names for r in REQUIRED):
            return i
    return None


def _first_nonblank(rows: list[list]) -> int:
    return next((i for i, r in enumerate(rows) if any(str(v or "").strip() for v in r)), 0)


def read_table(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> RawTable:
    if not path.exists():
        raise JusticeLabError(f"no file at {path}")
    if path.is_dir():
        raise JusticeLabError(f"{path} is a folder: give the submission file")
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise refuse(path, f"the file is {megabytes(size)}: the limit is {megabytes(limits.max_bytes)}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(path, limits)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_text(path, limits)
    raise refuse(path, "submissions must be .csv or .xlsx")


# ----------------------------------------------------------------------------------------- text files

def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_as(path, raw, "utf-16", "UTF-16"), "utf-16"
    if b"\x00" in raw:
        sample = raw[:4000]
        odd, even = sample[1::2].count(0), sample[0::2].count(0)
        if odd > len(sample) * 0.3:  # ASCII text stored as UTF-16 without its byte-order mark
            return _decode_as(path, raw, "utf-16-le", "UTF-16"), "utf-16"
        if even > len(sample) * 0.3:
            return _decode_as(path, raw, "utf-16-be", "UTF-16"), "utf-16"
        at = raw.index(b"\x00")
        raise refuse(path, "contains NUL bytes, so it is not plain text: open it in Excel and save it "
                           "again as CSV", row=raw.count(b"\n", 0, at) + 1)
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if re.search(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}", raw):
        raise refuse(path, "mixes UTF-8 and Windows-1252 text, so some names would be garbled: save the "
                           "whole file again as CSV UTF-8", row=raw.count(b"\n", 0, first_bad) + 1)
    return _decode_as(path, raw, "cp1252", "UTF-8 or Windows-1252"), "windows-1252"


def _decode_as(path: Path, raw: bytes, encoding: str, label: str) -> str:
    try:
        return raw.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise refuse(path, f"is not {label} text: save it again as CSV UTF-8",
                     row=raw.count(b"\n", 0, exc.start) + 1) from None


def _sniff(text: str) -> tuple[str, list[list[str]], int | None]:
    """(delimiter, top rows, header index): the delimiter under which a top row is a full header."""
    top = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS + 1])
    best = None
    for delimiter in DELIMITERS:
        rows = list(csv.reader(io.StringIO(top), delimiter=delimiter))
        found = _header_index(rows)
        if found is not None:
            return delimiter, rows, found
        if best is None:
            best = (delimiter, rows, None)
    return best


def _read_text(path: Path, limits: ReadLimits) -> RawTable:
    raw = path.read_bytes()
    if not raw.strip():
        raise refuse(path, "the file is empty: it needs a header row and one row per person "
                           "(see docs/submissions.md)")
    text, encoding = _decode(path, raw)
    lines = text.count("\n") + 1
    if lines > limits.max_rows + HEADER_SEARCH_ROWS + 1:
        raise refuse(path, f"has {lines:,} lines: the limit is {limits.max_rows:,} rows")
    delimiter, top, header_at = _sniff(text)
    if header_at is None:
        header_at = _first_nonblank(top)
    problems: list[Problem] = []
    if delimiter != ",":
        problems.append(Problem(0, "", "", "warning", f"read as {DELIMITER_NAMES[delimiter]}-delimited"))
    csv.field_size_limit(max(limits.max_bytes, 131_072))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows, numbers, bad = [], [], set()
    previous_line = 0
    try:
        for i, record in enumerate(reader):
            first_line, previous_line = previous_line + 1, reader.line_num
            if i < header_at:
                if any(v.strip() for v in record):
                    problems.append(Problem(first_line, "", record[0][:80] if record else "", "warning",
                                            "above the header: ignored"))
                continue
            if header is None:
                header = [clean_heading(v) for v in record]
                if len(header) * max(lines - first_line, 1) > limits.max_cells:
                    raise refuse(path, f"has {len(header):,} columns and {lines - first_line:,} rows: "
                                       f"the limit is {limits.max_cells:,} cells")
                continue
            if previous_line > first_line:
                _check_stray_quote(path, record, header, first_line, previous_line, delimiter)
            if len(record) > len(header) and any(v.strip() for v in record[len(header):]):
                problems.append(Problem(first_line, "", delimiter.join(record)[:120], "error",
                                        f"has {len(record)} values but the header has {len(header)} columns: a "
                                        f"value probably contains an unquoted {DELIMITER_NAMES[delimiter]}; put "
                                        f"it in double quotes"))
                bad.add(first_line)
            rows.append(record)
            numbers.append(first_line)
    except csv.Error as exc:
        raise refuse(path, f"cannot be read as CSV ({exc})", row=previous_line + 1) from None
    if header is None:
        raise refuse(path, "has no header row")
    return RawTable(header, rows, numbers, encoding, problems, bad)


def _check_stray_quote(path, record, header, first_line, last_line, delimiter) -> None:
    """A value spanning lines that itself looks like rows of the file is a quote left open: refuse."""
    for j, value in enumerate(record):
        if "\n" in value and (delimiter in value or value.count("\n") >= 2):
            column = header[j] if j < len(header) else f"{j + 1}"
            raise refuse(path, f"a stray double quote (\") makes lines {first_line}-{last_line} one value, "
                               f"swallowing {last_line - first_line} rows: remove the quote or close it",
                         row=first_line, column=column)


# ----------------------------------------------------------------------------------------- workbooks

def _read_workbook(path: Path, limits: ReadLimits) -> RawTable:
    with open(path, "rb") as f:
        magic = f.read(8)
    if magic == OLE_MAGIC:
        raise refuse(path, "the workbook is password-protected (or an old .xls file): remove the password "
                           "(File > Info > Protect Workbook) or save it as .xlsx or CSV, and send it again")
    try:
        with zipfile.ZipFile(path) as z:
            inflated = sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, OSError):
        raise refuse(path, "is not a readable .xlsx workbook (damaged, or another format renamed): save it "
                           "again from Excel as .xlsx or CSV") from None
    if inflated > limits.max_inflated_bytes:
        raise refuse(path, f"unpacks to {megabytes(inflated)}: the limit is "
                           f"{megabytes(limits.max_inflated_bytes)}; send it as CSV or split it")
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise refuse(path, f"cannot read the workbook ({type(exc).__name__}): save it again from Excel "
                           f"as .xlsx or CSV") from None
    try:
        return _read_sheet(path, wb, limits)
    finally:
        wb.close()


def _read_sheet(path: Path, wb, limits: ReadLimits) -> RawTable:
    problems: list[Problem] = []
    chosen = None
    for ws in wb.worksheets:
        if ws.title in ("Guidance", "Programme"):
            continue
        ws.reset_dimensions()
        top = [list(r) for r in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)]
        found = _header_index(top)
        if found is not None:
            chosen = (ws, found)
            break
        if chosen is None:
            chosen = (ws, _first_nonblank(top))
            if not any(any(v not in (None, "") for v in r) for r in top):
                chosen = None  # an empty sheet: look further
    if chosen is None:
        raise refuse(path, "the workbook has no data: it needs a header row and one row per person")
    ws, header_at = chosen
    if ws is not wb.worksheets[0]:
        problems.append(Problem(0, "", ws.title, "warning", f"read the sheet '{ws.title}' (the first sheet "
                                                            f"has no header naming the required columns)"))
    header, rows, numbers = None, [], []
    for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if n <= header_at:
            if any(v not in (None, "") for v in values):
                problems.append(Problem(n, "", str(next(v for v in values if v not in (None, "")))[:80],
                                        "warning", "above the header: ignored"))
            continue
        if header is None:
            header = [clean_heading(v) for v in values]
            while header and header[-1] == "":
                header.pop()
            continue
        if len(rows) >= limits.max_rows:
            raise refuse(path, f"the sheet '{ws.title}' has more than {limits.max_rows:,} rows: the limit")
        if (len(rows) + 1) * max(len(header), 1) > limits.max_cells:
            raise refuse(path, f"the sheet '{ws.title}' has more than {limits.max_cells:,} cells: the limit")
        rows.append(list(values))
        numbers.append(n)
    if header is None:
        raise refuse(path, f"the sheet '{ws.title}' has no header row")
    hidden, formulas = _sheet_markup(wb, ws)
    if formulas:
        cell, count = formulas[0], len(formulas)
        raise refuse(path, f"{count:,} cells (first {cell}) hold formulas with no saved result: open the "
                           f"workbook in Excel and save it, or paste the values, before sending",
                     row=int(re.sub(r"\D", "", cell)))
    bad = set()
    data_rows = set(numbers)
    for n in sorted(hidden):
        if n in data_rows:
            problems.append(Problem(n, "", "", "error", "is hidden in the workbook: hidden rows are not "
                                                        "read; unhide it to include it, or delete it"))
            bad.add(n)
    return RawTable(header, rows, numbers, "xlsx", problems, bad)


def _sheet_markup(wb, ws) -> tuple[set[int], list[str]]:
    """Hidden row numbers, and cells whose formula has no cached value, from the sheet's XML (streamed)."""
    hidden: set[int] = set()
    formulas: list[str] = []
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with wb._archive.open(ws._worksheet_path) as src:
        for _, el in iterparse(src):
            if el.tag == ns + "c":
                cached = el.find(ns + "v")  # an empty <v/> is a saved value only for a text result
                if el.find(ns + "f") is not None and len(formulas) < 1000 and (
                        cached is None or (not cached.text and el.get("t") != "str")):
                    formulas.append(el.get("r", "?"))
                el.clear()
            elif el.tag == ns + "row":
                if el.get("hidden") in ("1", "true"):
                    hidden.add(int(el.get("r", 0)))
                el.clear()
    return hidden, formulas
