"""Disclosure control for everything published: one place for the rules, reused by every output.

Symbols follow the Government Statistical Service's shorthand: [c] confidential (too few people to
show), [low] too few for a reliable estimate, [x] not available. Counts of 1 to SUPPRESS_BELOW - 1
are suppressed (zero is shown: it identifies no one); published counts are rounded to ROUND_TO;
percentages are whole numbers.
"""
from __future__ import annotations

CONFIDENTIAL, LOW_RELIABILITY, NOT_AVAILABLE = "[c]", "[low]", "[x]"
SUPPRESS_BELOW = 11  # "each court outcome is only shown if the number ... is greater than 10" (seed 000)
ROUND_TO = 5


def is_disclosive(n: int | float, threshold: int = SUPPRESS_BELOW) -> bool:
    """A count of people too small to publish (1 to threshold - 1)."""
    return 0 < n < threshold


def suppress(n: int | float, threshold: int = SUPPRESS_BELOW) -> int | float | str:
    """The count, or [c] when it is disclosive."""
    return CONFIDENTIAL if is_disclosive(n, threshold) else n


def round_count(n: int | float, base: int = ROUND_TO) -> int:
    """A published count rounded to the nearest multiple of base (halves away from zero)."""
    q = abs(n) / base
    r = int(q) + (1 if q - int(q) >= 0.5 else 0)
    return int(base * r * (1 if n >= 0 else -1))


def published_count(n: int) -> int | str:
    """A count of people as every output publishes it: [c] for 1 to 10, else rounded to 5."""
    return CONFIDENTIAL if is_disclosive(n) else round_count(n)


def whole_percent(share: float) -> int:
    """A share (0-1) as a whole percentage, halves up (not Python's round-half-even)."""
    return int(100 * share + 0.5) if share >= 0 else -int(-100 * share + 0.5)


def withheld_symbol(reason: str | None) -> str:
    """[c] when a figure is withheld to protect people, [low] when it is withheld as unreliable."""
    if not reason:
        return ""
    return CONFIDENTIAL if "10 or fewer" in reason or "confidential" in reason else LOW_RELIABILITY
