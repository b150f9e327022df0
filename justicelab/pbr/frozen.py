"""Matched samples frozen when a cohort closes, stored, and reused by every later statement.

Once a cohort is closed its comparison group must not move: re-matching later would see a pool that has
lost the people who joined later cohorts and a refitted model, and restate a "final" payment. So the first
statement after a cohort closes stores its matched sample (ids, weights, match sets, the propensity model,
balance) in the sample folder, and every later statement reads it back instead of matching again.

`cohort_K/matched.csv` is exactly the bytes whose SHA-256 is the cohort's fingerprint: a third party can
check it with `sha256sum matched.csv` and recount the outcome from the ids and weights. A stored sample
whose bytes no longer match its recorded fingerprint is refused.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from ..errors import JusticeLabError
from ..measures.cohort import NEEDS_COLUMNS

FINGERPRINT_COLUMNS = ["person_id", "disposal_id", "treated", "weights"]
PAIR_COLUMNS = ["person_id", "disposal_id", "index_date", "treated", "unit", "subclass", "weights", "distance",
                "ogrs_score", "has_assessment"]  # risk, for results by risk band


def fingerprint_bytes(matched: pd.DataFrame) -> bytes:
    """The canonical matched sample: ids and weights, sorted, weights to 12 places, as CSV."""
    keys = matched[FINGERPRINT_COLUMNS].sort_values(["treated", "person_id", "disposal_id"])
    return keys.round(12).to_csv(index=False).encode()


def fingerprint(matched: pd.DataFrame) -> str:
    return hashlib.sha256(fingerprint_bytes(matched)).hexdigest()


class SampleStore:
    """A folder of frozen matched samples for one contract (keyed by the contract file's SHA-256)."""

    def __init__(self, folder: Path, contract_sha256: str):
        self.folder = Path(folder) / contract_sha256[:16]

    def _dir(self, cohort: int) -> Path:
        return self.folder / f"cohort_{cohort}"

    def load(self, cohort: int) -> dict | None:
        where = self._dir(cohort)
        if not (where / "sample.json").exists():
            return None
        meta = json.loads((where / "sample.json").read_text())
        raw = (where / "matched.csv").read_bytes()
        if hashlib.sha256(raw).hexdigest() != meta["fingerprint"]:
            raise JusticeLabError(f"{where / 'matched.csv'}: the frozen sample of cohort {cohort} does not match its "
                                  f"recorded fingerprint {meta['fingerprint'][:12]}; it has been altered")
        pairs = pd.read_csv(where / "pairs.csv", parse_dates=["index_date"])
        matched = pd.read_csv(where / "matched.csv")
        return {**meta, "pairs": pairs, "matched": matched, "frozen": True}

    def save(self, entry: dict) -> None:
        where = self._dir(entry["cohort"])
        where.mkdir(parents=True, exist_ok=True)
        (where / "matched.csv").write_bytes(fingerprint_bytes(entry["matched"]))
        needs = [n for n in NEEDS_COLUMNS if n in entry["pairs"].columns]  # for results by need
        entry["pairs"][PAIR_COLUMNS + needs].to_csv(where / "pairs.csv", index=False)
        meta = {k: v for k, v in entry.items() if k not in ("pairs", "matched", "frozen")}
        (where / "sample.json").write_text(json.dumps(meta, indent=1, default=str, sort_keys=True) + "\n")
        entry["frozen"] = True
