"""Linkage quality against known identities (synthetic submissions carry a truth file)."""
from __future__ import annotations

import pandas as pd


def linkage_quality(links: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """Precision: linked rows that are the right person. Recall: listed people who are on the database
    and were found (a duplicate row found through its first listing counts as found).

    `truth` has `row` (data row, 1 = first) and `person_id` (empty for people not on the database).
    """
    truth = truth.assign(row=truth["row"] + 1)  # data row -> sheet row (the header is row 1)
    m = links.merge(truth, on="row", how="left", suffixes=("", "_true"))
    linked = m[m["status"] == "linked"]
    on_db = m[m["person_id_true"].notna()]
    right = on_db["person_id"] == on_db["person_id_true"]
    found = on_db[on_db["status"].isin(["linked", "duplicate"]) & right.fillna(False).astype(bool)]
    correct = int((linked["person_id"] == linked["person_id_true"]).fillna(False).sum())
    return {"linked": int(len(linked)), "correct": correct,
            "precision": correct / max(len(linked), 1), "on_database": int(len(on_db)),
            "recall": len(found) / max(len(on_db), 1)}
