"""Police National Computer ids: shared by the generator, the loader and submission checks."""
from __future__ import annotations

import re

import numpy as np

PNC_CHECK = "ZABCDEFGHJKLMNPQRTUVWXY"
PNC_PATTERN = r"[0-9]{2}/[0-9]{1,7}[A-Z]"


def pnc_check_letter(year2, serial):
    """Check character of a PNC-style id: (two-digit year, then the serial as 7 digits) mod 23."""
    letters = np.array(list(PNC_CHECK))
    return letters[(np.asarray(year2, dtype=np.int64) * 10_000_000 + np.asarray(serial, dtype=np.int64)) % 23]


_PNC_ANY = re.compile(r"^(?:19|20)?([0-9]{2})/0*([0-9]{1,7})([A-Z]?)$")


def normalise_pnc(value) -> tuple[str | None, str | None]:
    """(canonical id, problem) for a PNC id as people write it.

    Long form (2001/0012345A), zero-padded serial (11/0141281H), spaces and lower case all give the
    short form YY/serialL that the database holds, so ids differing only in format agree. A missing or
    wrong check letter still returns the year and serial (YY/serial, no letter): linkage treats an
    agreeing serial as strong evidence. The problem text says what was wrong, or is None.
    """
    text = re.sub(r"\s+", "", str(value or "")).upper()
    m = _PNC_ANY.match(text)
    if not m or int(m.group(2)) == 0:
        return None, "not a PNC id (expected YY/NNNNNNNL, e.g. 98/123456X)"
    yy, serial, letter = m.group(1), int(m.group(2)), m.group(3)
    short = f"{yy}/{serial}"
    if not letter:
        return short, "PNC id has no check letter: matched on its number only"
    if pnc_check_letter(int(yy), serial) != letter:
        return short, "PNC check letter does not match the number: matched on its number only"
    return f"{short}{letter}", None
