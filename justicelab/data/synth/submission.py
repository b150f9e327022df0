"""`justicelab synth-submission`: the participant list an organisation would send, errors and all.

Names and dates are written the way a caseworker types them: nicknames, typos, another name the
person has used, day and month swapped, a wrong or missing PNC id; some people are not on the
database at all and some are listed twice. The true identities go to a separate file for tests.
"""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ...errors import JusticeLabError
from .programmes import by_name
from .reference import nicknames, word_list

# how often each kind of error is made, per listed person
ERROR_RATES = {
    "nickname": 0.10, "forename_typo": 0.04, "surname_typo": 0.04, "alias_identity": 0.04,
    "day_month_swapped": 0.03, "year_typo": 0.015, "day_off_by_one": 0.015,
    "pnc_given": 0.6, "pnc_wrong": 0.05, "not_on_database": 0.03, "duplicate": 0.015, "case_changed": 0.08, "late_start": 0.04,
}


def _typo(word: str, r: np.random.Generator) -> str:
    if len(word) < 4:
        return word
    i = int(r.integers(1, len(word) - 1))
    kind = r.integers(0, 3)
    if kind == 0:  # swap two adjacent letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:  # drop a letter
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]  # double a letter


def _uk_date(d: pd.Timestamp) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def make_submission(db_path: str | Path, programme: str, seed: int = 1, size: int | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(submission rows, truth rows, programme metadata); `size` samples that many participants."""
    prog = by_name(programme)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        people = con.execute("""
            SELECT t.person_id, t.intervention_start, t.intervention_end, p.pnc_id, p.forename, p.surname,
                   p.date_of_birth, p.gender
            FROM truth_participant t JOIN person p USING (person_id)
            WHERE t.programme = ? ORDER BY t.person_id""", [programme]).df()
        aliases = con.execute("""SELECT a.* FROM alias a JOIN truth_participant t USING (person_id)
                                 WHERE t.programme = ? ORDER BY a.person_id""", [programme]).df()
    except duckdb.CatalogException as exc:
        raise JusticeLabError(f"{db_path} has no synthetic ground truth (was it made by 'justicelab synth'?)") from exc
    finally:
        con.close()
    if people.empty:
        raise JusticeLabError(f"programme {programme!r} has no participants in {db_path}")
    rng = np.random.default_rng(seed)
    if size is not None and size < len(people):
        people = people.iloc[np.sort(rng.choice(len(people), size, replace=False))].reset_index(drop=True)
    alias_of = {pid: g for pid, g in aliases.groupby("person_id")}
    nick = nicknames()
    rows, truth = [], []
    for rec in people.itertuples(index=False):
        r = rng.random(12)  # one draw per kind of error, in a fixed order
        fore, sur, dob = rec.forename, rec.surname, pd.Timestamp(rec.date_of_birth)
        if r[0] < ERROR_RATES["alias_identity"] and rec.person_id in alias_of:
            a = alias_of[rec.person_id].iloc[0]
            fore, sur, dob = a.forename, a.surname, pd.Timestamp(a.date_of_birth)
        if r[1] < ERROR_RATES["nickname"] and fore in nick:
            fore = nick[fore][int(rng.integers(0, len(nick[fore])))]
        elif r[1] > 1 - ERROR_RATES["forename_typo"]:
            fore = _typo(fore, rng)
        if r[2] < ERROR_RATES["surname_typo"]:
            sur = _typo(sur, rng)
        if r[3] < ERROR_RATES["case_changed"]:
            fore, sur = fore.upper(), sur.upper()
        dob_text = _uk_date(dob)
        if r[4] < ERROR_RATES["day_month_swapped"] and dob.day <= 12:
            dob_text = f"{dob.month:02d}/{dob.day:02d}/{dob.year}"
        elif r[4] > 1 - ERROR_RATES["year_typo"]:
            dob_text = _uk_date(dob.replace(year=dob.year + int(rng.choice([-10, -1, 1, 10]))))
        elif r[5] < ERROR_RATES["day_off_by_one"]:
            dob_text = _uk_date(dob + pd.Timedelta(days=1))
        pnc = ""
        if r[6] < ERROR_RATES["pnc_given"]:
            pnc = rec.pnc_id
            if r[7] < ERROR_RATES["pnc_wrong"]:
                digits = list(pnc)
                pos = [i for i, ch in enumerate(digits) if ch.isdigit()]
                k = pos[int(rng.integers(0, len(pos)))]
                digits[k] = str((int(digits[k]) + 1 + int(rng.integers(0, 8))) % 10)
                pnc = "".join(digits)
        start, end = pd.Timestamp(rec.intervention_start), pd.Timestamp(rec.intervention_end)
        if r[11] < ERROR_RATES["late_start"]:  # worked with long after the sentence: no matching index event
            shift = pd.Timedelta(days=int(rng.integers(220, 400)))
            start, end = start + shift, end + shift
        row = {"forename": fore, "surname": sur, "date_of_birth": dob_text,
               "sex": "Male" if rec.gender == "M" else "Female", "pnc_id": pnc,
               "intervention_start": _uk_date(start), "intervention_end": _uk_date(end),
               "attendance": "completed" if r[8] < 0.7 else "partial",
               "delivery_mode": "one-to-one" if r[9] < 0.6 else "group"}
        rows.append(row)
        truth.append(rec.person_id)
        if r[10] < ERROR_RATES["duplicate"]:
            rows.append(dict(row))
            truth.append(rec.person_id)
    n_ghosts = max(1, int(round(len(people) * ERROR_RATES["not_on_database"])))
    males, surnames = word_list("forenames_male"), word_list("surnames")
    for _ in range(n_ghosts):
        start = pd.Timestamp(people["intervention_start"].iloc[int(rng.integers(0, len(people)))])
        dob = pd.Timestamp("1960-01-01") + pd.Timedelta(days=int(rng.integers(0, 15000)))
        rows.append({"forename": males[int(rng.integers(0, len(males)))] + "a",
                     "surname": surnames[int(rng.integers(0, len(surnames)))] + "ington",
                     "date_of_birth": _uk_date(dob), "sex": "Male", "pnc_id": "",
                     "intervention_start": _uk_date(start), "intervention_end": _uk_date(start + pd.Timedelta(days=90)),
                     "attendance": "partial", "delivery_mode": "group"})
        truth.append(None)
    order = rng.permutation(len(rows))
    submission = pd.DataFrame(rows).iloc[order].reset_index(drop=True)
    truth_frame = pd.DataFrame({"row": np.arange(1, len(rows) + 1),
                                "person_id": pd.array([truth[i] for i in order], dtype="Int64")})
    meta = {"programme": prog.title, "organisation": prog.organisation, "description": prog.description}
    return submission, truth_frame, meta


def write_submission(db_path: str | Path, programme: str, out: str | Path, seed: int = 1,
                     size: int | None = None) -> dict[str, Path]:
    submission, truth, meta = make_submission(db_path, programme, seed, size)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = {"submission": out, "truth": out.with_suffix(".truth.csv"), "programme": out.with_suffix(".programme.json")}
    submission.to_csv(paths["submission"], index=False)
    truth.to_csv(paths["truth"], index=False)
    paths["programme"].write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return paths
