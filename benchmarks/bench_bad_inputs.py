"""Benchmark: what hostile submissions cost to refuse, and what the largest accepted one costs to read.

    python benchmarks/bench_bad_inputs.py
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_bad_inputs import HEADER, bomb_bytes, csv_text, person  # noqa: E402

from justicelab.errors import JusticeLabError  # noqa: E402
from justicelab.submission.validate import validate  # noqa: E402


def timed(label: str, path: Path) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        v = validate(path)
        outcome = f"read: {v.summary()['usable_records']:,} usable rows, {len(v.problems):,} problems kept"
    except JusticeLabError as exc:
        outcome = f"refused: {str(exc)[:90]}"
    print(f"{label:<40} {path.stat().st_size / 1e6:8.1f} MB {time.perf_counter() - wall:8.3f} s wall "
          f"{time.process_time() - cpu:8.3f} s CPU  {outcome}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        flood = tmp / "flood.csv"
        flood.write_bytes(",".join(HEADER).encode() + b"\n" * 5_000_000)
        timed("CSV of 5 million blank rows", flood)
        bomb = tmp / "bomb.xlsx"
        bomb.write_bytes(bomb_bytes())
        timed("xlsx unpacking to 150 MB", bomb)
        big = tmp / "big.csv"
        big.write_text(csv_text([HEADER] + [person(i % 250) for i in range(100_000)]), encoding="utf-8")
        timed("CSV of 100,000 rows (the row limit)", big)
        blanks = tmp / "blanks.csv"
        blanks.write_text(csv_text([HEADER] + [person(i) for i in range(70)]) + ",,,,\n" * 99_000, encoding="utf-8")
        timed("70 people then 99,000 blank rows", blanks)


if __name__ == "__main__":
    main()
