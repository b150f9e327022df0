"""Reading a local cohort file (CSV or xlsx): person_id, and for cohort tracking selection_date.

The CLI (`justicelab local report --people`, `local track --people`) and the service's upload form read
files here, so both refuse a bad file with the same one line naming the row (data rows counted from 1,
below the header) and the column.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from ..errors import JusticeLabError

MAX_INFLATED = 60_000_000  # an xlsx once unzipped: a decompression bomb is refused unread


def read_frame(path: Path, label: str | None = None) -> pd.DataFrame:
    """The file's first sheet (xlsx) or its rows (CSV), every cell as text."""
    label = label or str(path)
    try:
        if Path(path).suffix.lower() == ".xlsx":
            with zipfile.ZipFile(path) as z:
                if sum(i.file_size for i in z.infolist()) > MAX_INFLATED:
                    raise JusticeLabError(f"{label}: the workbook unpacks to more than {MAX_INFLATED // 1_000_000} "
                                          "MB; send it as CSV")
            frame = pd.read_excel(path, dtype=str, engine="openpyxl")
            return frame.apply(lambda c: c.str.replace(r" 00:00:00$", "", regex=True))  # date cells as dates
        return pd.read_csv(path, dtype=str)
    except JusticeLabError:
        raise
    except Exception as exc:  # a damaged or renamed file: pandas and openpyxl raise many kinds
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise JusticeLabError(f"{label} cannot be read ({first})") from None


def _first_bad(frame: pd.DataFrame, bad: pd.Series, column: str, label: str, problem: str) -> None:
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 1
        raise JusticeLabError(f"{label} row {row}, column {column}: {frame[column].iloc[row - 1]!r} {problem}")


def people_ids(frame: pd.DataFrame, label: str) -> list[int]:
    """person_id column (people already linked to the database, e.g. by 'justicelab link')."""
    if "person_id" not in frame:
        raise JusticeLabError(f"{label}: no column person_id")
    if frame.empty:
        raise JusticeLabError(f"{label}: no rows below the header")
    ids = pd.to_numeric(frame["person_id"].str.strip(), errors="coerce")
    _first_bad(frame, ids.isna() | (ids % 1 != 0), "person_id", label, "is not a whole number")
    return ids.astype("int64").tolist()


def read_people(path: Path, label: str | None = None) -> list[int]:
    return people_ids(read_frame(path, label), label or str(path))


def read_scheme(path: Path, label: str | None = None) -> pd.DataFrame:
    """person_id and selection_date (YYYY-MM-DD), each person once: person_id and event_date."""
    label = label or str(path)
    frame = read_frame(path, label)
    for col in ("person_id", "selection_date"):
        if col not in frame:
            raise JusticeLabError(f"{label}: no column {col}")
    ids = people_ids(frame, label)
    dates = pd.to_datetime(frame["selection_date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    _first_bad(frame, dates.isna(), "selection_date", label, "is not a date (YYYY-MM-DD)")
    dup = pd.Series(ids).duplicated()
    if dup.any():
        row = int(dup.to_numpy().nonzero()[0][0]) + 1
        raise JusticeLabError(f"{label} row {row}, column person_id: {ids[row - 1]} appears twice")
    return pd.DataFrame({"person_id": ids, "event_date": dates})
