"""An independent generator of hard submission lists for testing linkage (shares no code with
justicelab's synth-submission or with the linkage model: its own name variants, written by hand).

`plant_people` adds people whose names carry accents, apostrophes and Mc/Mac prefixes to a database (the
synthetic population has none); `hard_list` draws people from the database and writes each with one
error kind a caseworker makes, adds people not on the database and near-namesakes of people who are,
and returns the list with the truth (row, person_id or empty, kind).
"""
from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

# hand-written: the nickname a caseworker types for a formal name (deliberately not the linkage's list)
NICKNAMES = {"Jason": "Jay", "Sarah": "Sally", "Barry": "Baz", "Henry": "Harry", "Peter": "Piotr",
             "Catherine": "Kate", "Katherine": "Kate", "Stephen": "Steve", "Steven": "Steve", "William": "Bill",
             "Robert": "Bob", "Michael": "Mick", "Thomas": "Tom", "Daniel": "Danny", "Anthony": "Tony",
             "Christopher": "Chris", "Richard": "Rick", "Joseph": "Joe", "Matthew": "Matt", "Andrew": "Andy",
             "Samuel": "Sam", "James": "Jim", "David": "Dave", "Darren": "Daz", "Elizabeth": "Liz",
             "Rebecca": "Becky", "Jennifer": "Jenny", "Deborah": "Debbie", "Susan": "Sue", "Margaret": "Maggie"}
# planted people: (forename, sex, surname as the database holds it, as a caseworker may type it)
PLANTED = [
    ("Piotr", "M", "Wiśniewski", "Wisniewski"), ("Łukasz", "M", "Dąbrowski", "Dabrowski"),
    ("Zoë", "F", "Kowalczyk", "Kowalczyk"), ("José", "M", "Núñez", "Nunez"), ("Agnieszka", "F", "Wójcik", "Wojcik"),
    ("Siobhán", "F", "O'Brien", "OBrien"), ("Seán", "M", "O'Connor", "O Connor"), ("Ciarán", "M", "McDonald", "MacDonald"),
    ("Renée", "F", "Lefèvre", "Lefevre"), ("Jürgen", "M", "Müller", "Muller"), ("Ana", "F", "Gonçalves", "Goncalves"),
    ("Maciej", "M", "Kamiński", "Kaminski"), ("Ewa", "F", "Zieliński", "Zielinski"), ("Tomás", "M", "McAllister", "Mac Allister"),
    ("Aoife", "F", "O'Neill", "ONeill"), ("Dorota", "F", "Szymańska", "Szymanska"),
]
KINDS = ["clean", "names_swapped", "married_surname", "double_barrelled", "dob_one_day", "dob_one_year",
         "dob_year_digits_swapped", "wrong_sex", "surname_key_slip", "apostrophe_or_prefix", "accent_deleted",
         "accent_transliterated", "nickname", "pnc_long_form", "pnc_zero_padded", "pnc_wrong_check_letter",
         "pnc_spaces_no_letter"]
NAMESAKES = ["namesake_other_dob", "namesake_surname_birth_year", "namesake_twin"]
OTHER_SURNAMES = ["Ashdown", "Pellow", "Quarrie", "Trevithick", "Yeoman", "Boscawen", "Mellanby", "Tregear"]
OFF_FORENAMES = {"M": ["Rowan", "Idris", "Caspian", "Ewan", "Florian"], "F": ["Morwenna", "Isolde", "Tamsin", "Elowen"]}
OFF_SURNAMES = ["Penhaligon", "Quiller", "Vosper", "Tresillian", "Pengelly", "Kitto", "Rowse", "Jory"]
KEYS = "qwertyuiopasdfghjklzxcvbnm"


def plant_people(db_path, seed: int = 0, copies: int = 40) -> None:
    """Add `copies` people per PLANTED name (different birth dates) with valid PNC ids to the database."""
    rng = np.random.default_rng(seed)
    con = duckdb.connect(str(db_path))
    start = int(con.execute("SELECT max(person_id) FROM person").fetchall()[0][0]) + 1
    rows = []
    for i in range(copies * len(PLANTED)):
        fore, sex, sur, _ = PLANTED[i % len(PLANTED)]
        pid = start + i
        year2, serial = int(rng.integers(0, 20)), 9_000_000 + pid % 999_999
        letter = "ZABCDEFGHJKLMNPQRTUVWXY"[(year2 * 10_000_000 + serial) % 23]
        dob = date(1960, 1, 1) + timedelta(days=int(rng.integers(0, 40 * 365)))
        rows.append((pid, f"{year2:02d}/{serial}{letter}", fore, sur, dob, sex))
    frame = pd.DataFrame(rows, columns=["person_id", "pnc_id", "forename", "surname", "date_of_birth", "gender"])
    con.register("planted", frame)
    con.execute("""INSERT INTO person (person_id, pnc_id, forename, surname, date_of_birth, gender, ethnicity,
                   nationality, region, local_authority)
                   SELECT person_id, pnc_id, forename, surname, date_of_birth, gender, 'White', 'Non-UK', 'London',
                          'Lambeth' FROM planted""")
    con.close()


def _slip(name: str, rng) -> str:
    i = int(rng.integers(1, len(name)))
    return name[:i] + KEYS[int(rng.integers(0, 26))] + name[i + 1:] if rng.random() < 0.5 else (
        name[:i - 1] + name[i] + name[i - 1] + name[i + 1:] if i < len(name) else name[:-1])


def _year_digits_swapped(d: date) -> date | None:
    y = d.year
    swapped = y // 100 * 100 + (y % 10) * 10 + (y % 100) // 10
    if swapped == y or not 1930 <= swapped <= 2005:
        return None
    try:
        return d.replace(year=swapped)
    except ValueError:
        return None


def _apply(kind: str, p: dict, rng) -> dict | None:
    """The person's row written with one error of `kind` (None when it cannot apply to this person)."""
    r = dict(p)
    r["pnc_id"] = p["pnc_id"] if kind.startswith("pnc") or rng.random() < 0.3 else ""
    if kind == "names_swapped":
        r["forename"], r["surname"] = p["surname"], p["forename"]
    elif kind == "married_surname":
        if p["sex"] != "F":
            return None
        r["surname"] = OTHER_SURNAMES[int(rng.integers(0, len(OTHER_SURNAMES)))]
    elif kind == "double_barrelled":
        other = OTHER_SURNAMES[int(rng.integers(0, len(OTHER_SURNAMES)))]
        r["surname"] = f"{p['surname']}-{other}" if rng.random() < 0.5 else f"{other}-{p['surname']}"
    elif kind == "dob_one_day":
        r["dob"] = p["dob"] + timedelta(days=int(rng.choice([-1, 1])))
    elif kind == "dob_one_year":
        try:
            r["dob"] = p["dob"].replace(year=p["dob"].year + int(rng.choice([-1, 1])))
        except ValueError:
            return None
    elif kind == "dob_year_digits_swapped":
        r["dob"] = _year_digits_swapped(p["dob"])
        if r["dob"] is None:
            return None
    elif kind == "wrong_sex":
        r["sex"] = "F" if p["sex"] == "M" else "M"
    elif kind == "surname_key_slip":
        r["surname"] = _slip(p["surname"], rng)
    elif kind in ("apostrophe_or_prefix", "accent_deleted", "accent_transliterated"):
        planted = {(f, s): typed for f, _, s, typed in PLANTED}
        if (p["forename"], p["surname"]) not in planted:
            return None
        fore, typed = p["forename"], planted[(p["forename"], p["surname"])]
        accented = any(ord(c) > 127 for c in p["surname"] + fore)
        if kind == "apostrophe_or_prefix":
            if accented or typed == p["surname"]:
                return None
            r["surname"] = typed
        elif not accented:
            return None
        elif kind == "accent_deleted":
            r["forename"] = "".join(c for c in fore if ord(c) < 128)
            r["surname"] = "".join(c for c in p["surname"] if ord(c) < 128)
        else:
            r["forename"] = fore.encode("ascii", "ignore").decode() if fore.isascii() else _plain(fore)
            r["surname"] = typed
    elif kind == "nickname":
        if p["forename"] not in NICKNAMES:
            return None
        r["forename"] = NICKNAMES[p["forename"]]
    elif kind == "pnc_long_form":
        yy, rest = p["pnc_id"].split("/")
        r["pnc_id"] = f"{'19' if int(yy) > 30 else '20'}{yy}/{int(rest[:-1]):07d}{rest[-1]}"
    elif kind == "pnc_zero_padded":
        yy, rest = p["pnc_id"].split("/")
        r["pnc_id"] = f"{yy}/{int(rest[:-1]):07d}{rest[-1]}"
    elif kind == "pnc_wrong_check_letter":
        letter = p["pnc_id"][-1]
        r["pnc_id"] = p["pnc_id"][:-1] + ("X" if letter != "X" else "Y")
    elif kind == "pnc_spaces_no_letter":
        yy, rest = p["pnc_id"].split("/")
        r["pnc_id"] = f" {yy} / {rest[:-1]} "
    return r


def _plain(text: str) -> str:
    table = {"á": "a", "é": "e", "í": "i", "ó": "o", "ú": "u", "ë": "e", "è": "e", "ü": "u", "ç": "c", "ñ": "n",
             "ł": "l", "Ł": "L", "ą": "a", "ś": "s", "ń": "n", "ó": "o", "ż": "z", "ź": "z", "ć": "c", "ę": "e"}
    return "".join(table.get(c, c) for c in text)


def hard_list(db_path, rows: int = 400, seed: int = 0, off_database: float = 0.15,
              namesakes: float = 0.10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(submission rows as a caseworker's CSV, truth: row (data row, 0 = first), person_id, kind)."""
    rng = np.random.default_rng(seed)
    con = duckdb.connect(str(db_path), read_only=True)
    people = con.execute("""SELECT person_id, pnc_id, forename, surname, CAST(date_of_birth AS DATE) AS dob,
                                   gender AS sex FROM person WHERE year(date_of_birth) BETWEEN 1940 AND 2000""").df()
    known = set(zip(people["forename"].str.lower(), people["surname"].str.lower(), people["dob"].astype(str)))
    con.close()
    people["dob"] = pd.to_datetime(people["dob"]).dt.date
    names = {(f, s) for f, _, s, _ in PLANTED}
    planted = people[[(f, s) in names for f, s in zip(people["forename"], people["surname"])]]
    out, truth = [], []
    n_off, n_same = int(rows * off_database), int(rows * namesakes)
    while len(out) < rows - n_off - n_same:
        kind = KINDS[len(out) % len(KINDS)]
        pool = planted if kind.startswith("accent") or kind == "apostrophe_or_prefix" else people
        p = pool.iloc[int(rng.integers(0, len(pool)))].to_dict()
        r = _apply(kind, p, rng)
        if r is not None:
            out.append(r)
            truth.append((int(p["person_id"]), kind))
    while len(out) < rows - n_off:
        kind = NAMESAKES[len(out) % len(NAMESAKES)]
        p = people.iloc[int(rng.integers(0, len(people)))].to_dict()
        r = dict(p, pnc_id="")
        if kind == "namesake_other_dob":
            r["dob"] = p["dob"] + timedelta(days=int(rng.integers(3 * 365, 15 * 365)) * int(rng.choice([-1, 1])))
        elif kind == "namesake_surname_birth_year":
            r["forename"] = OFF_FORENAMES[p["sex"]][int(rng.integers(0, len(OFF_FORENAMES[p["sex"]])))]
            r["dob"] = date(p["dob"].year, 1, 1) + timedelta(days=int(rng.integers(0, 365)))
        else:  # a twin: same surname and date of birth, another forename
            r["forename"] = OFF_FORENAMES[p["sex"]][int(rng.integers(0, len(OFF_FORENAMES[p["sex"]])))]
        if (r["forename"].lower(), r["surname"].lower(), str(r["dob"])) in known:
            continue
        out.append(r)
        truth.append((None, kind))
    while len(out) < rows:
        sex = "M" if rng.random() < 0.8 else "F"
        r = {"forename": OFF_FORENAMES[sex][int(rng.integers(0, len(OFF_FORENAMES[sex])))],
             "surname": OFF_SURNAMES[int(rng.integers(0, len(OFF_SURNAMES)))], "sex": sex, "pnc_id": "",
             "dob": date(1950, 1, 1) + timedelta(days=int(rng.integers(0, 50 * 365)))}
        if (r["forename"].lower(), r["surname"].lower(), str(r["dob"])) in known:
            continue
        out.append(r)
        truth.append((None, "not_on_database"))
    order = rng.permutation(len(out))
    sub = pd.DataFrame([{"Forename": out[i]["forename"], "Surname": out[i]["surname"],
                         "Date of birth": out[i]["dob"].strftime("%d/%m/%Y"),
                         "Sex": {"M": "Male", "F": "Female"}[out[i]["sex"]], "PNC": out[i]["pnc_id"] or "",
                         "Intervention start": "01/06/2016"} for i in order])
    t = pd.DataFrame([truth[i] for i in order], columns=["person_id", "kind"])
    t.insert(0, "row", range(len(t)))
    t["person_id"] = t["person_id"].astype("Int64")
    return sub, t


def scores(links: pd.DataFrame, sheet_rows, truth: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """Precision, recall and namesakes linked overall, and recall per error kind.

    `sheet_rows`: the validated rows' sheet row numbers in list order (truth row i is sheet_rows[i]).
    A row counts as found when it is linked (or a duplicate of a row linked) to its true person.
    """
    t = truth.assign(row=np.asarray(sheet_rows)[truth["row"].to_numpy()])
    m = t.merge(links, on="row", how="left", suffixes=("_true", ""))
    linked = m["status"] == "linked"
    right = (m["person_id"] == m["person_id_true"]).fillna(False).astype(bool)
    found = m["status"].isin(["linked", "duplicate"]) & right
    on_db = m["person_id_true"].notna()
    namesake = m["kind"].str.startswith("namesake")
    overall = {"rows": len(m), "linked": int(linked.sum()), "correct": int((linked & right).sum()),
               "precision": float((linked & right).sum() / max(linked.sum(), 1)),
               "recall": float(found[on_db].mean()), "namesakes": int(namesake.sum()),
               "namesakes_linked": int((namesake & linked).sum()),
               "off_database_linked": int((~on_db & linked).sum())}
    per_kind = m.assign(found=found, linked=linked, review=m["status"] == "review").groupby("kind").agg(
        rows=("found", "size"), found=("found", "sum"), linked=("linked", "sum"), review=("review", "sum"))
    return overall, per_kind
