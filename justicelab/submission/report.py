"""The problems report (`validate --report`), safe to open in a spreadsheet."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(value):
    """A cell a spreadsheet would run as a formula (=HYPERLINK(...), +cmd, @SUM) is written as text: a
    leading apostrophe, which Excel and LibreOffice show but do not evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_problems(problems: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    safe = problems.copy()
    for column in safe.columns:
        safe[column] = safe[column].map(defuse)
    safe.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def write_refusal(message: str, path: str | Path) -> Path:
    """The report of a file that could not be read at all: one row, the reason."""
    return write_problems(pd.DataFrame([{"row": 0, "column": "", "value": "", "severity": "error",
                                         "problem": message}]), path)
