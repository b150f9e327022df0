"""How much of a submission we are willing to read, so a hostile or broken file is refused cheaply.

The checks run before parsing where they can (file size, a workbook's uncompressed size, the number of
lines), so a decompression bomb or five million blank rows costs milliseconds, not minutes.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadLimits:
    max_bytes: int = 50_000_000  # the file as sent
    max_rows: int = 100_000  # data rows (the largest real submissions have a few thousand)
    max_cells: int = 2_000_000  # rows x columns
    max_inflated_bytes: int = 100_000_000  # an xlsx's zip members once uncompressed
    max_problems: int = 1_000  # problems kept; a last line says how many more there were

    def __post_init__(self):
        for name in ("max_bytes", "max_rows", "max_cells", "max_inflated_bytes", "max_problems"):
            if getattr(self, name) < 1:
                raise ValueError(f"ReadLimits.{name} must be at least 1")


DEFAULT_LIMITS = ReadLimits()


def megabytes(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB" if n >= 100_000 else f"{n:,} bytes"
