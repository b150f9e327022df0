"""Police National Computer ids: shared by the generator, the loader and submission checks."""
from __future__ import annotations

import numpy as np

PNC_CHECK = "ZABCDEFGHJKLMNPQRTUVWXY"
PNC_PATTERN = r"[0-9]{2}/[0-9]{1,7}[A-Z]"


def pnc_check_letter(year2, serial):
    """Check character of a PNC-style id: (two-digit year, then the serial as 7 digits) mod 23."""
    letters = np.array(list(PNC_CHECK))
    return letters[(np.asarray(year2, dtype=np.int64) * 10_000_000 + np.asarray(serial, dtype=np.int64)) % 23]
