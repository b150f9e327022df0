"""The probabilistic linkage model (Splink, Fellegi-Sunter), held as settings data.

m-probabilities (how often a true match agrees at each level) describe how caseworkers type names,
dates and PNC ids on a list: swapped names, nicknames, married names, a date one day or one year out
or with two digits swapped, a slipped key. They are fixed here, not re-estimated from each small list.
u-probabilities (how often two different people agree by chance) belong to the database: they are
estimated once per database by random sampling of its people and stored beside it
(`model_path`), so a row's score depends on the row and the database only, never on the rest of the
list. Exact name agreement is adjusted by the name's frequency on the database (Smith agreeing is
weaker evidence than a rare surname).
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator
from splink.blocking_rule_library import CustomRule

MODEL_VERSION = "7"  # bump when the comparisons change: stored models of older versions are re-estimated
U_SAMPLE_PAIRS = 5_000_000
U_SEED = 1
U_FLOOR = 1e-7
ON_DATABASE = 0.85  # prior share of a list's people who are on the database  # a level never seen among sampled non-matches (e.g. swapped names) gets this u

# both names swapped (a joint condition: a name that is both a forename and a surname, Lee or Thomas, is common)
SWAP = '(forename_l = surname_r AND surname_l = forename_r)'
_CANON = [f'canon{i}_l = canon{j}_r' for i in (1, 2, 3) for j in (1, 2, 3)]
SHARED_FORMAL_NAME = "(" + " OR ".join(_CANON) + ")"
SURNAME_WORD = ('(surname_l IN (surname_first_r, surname_last_r) OR surname_r IN '
                '(surname_first_l, surname_last_l) OR surname_first_l = surname_first_r '
                'OR surname_last_l = surname_last_r)')


def _level(level, m: float):
    return level.configure(m_probability=m, fix_m_probability=True)


def _name(column: str, middle: list, m: tuple[float, ...], last: list = ()) -> cl.CustomComparison:
    """Null, exact (frequency-adjusted), [middle levels], Jaro-Winkler 0.92 and 0.80, [last levels], else."""
    levels = [cll.ExactMatchLevel(column, term_frequency_adjustments=True), *middle,
              cll.JaroWinklerLevel(column, 0.92), cll.JaroWinklerLevel(column, 0.80), *last, cll.ElseLevel()]
    return cl.CustomComparison([cll.NullLevel(column), *(_level(lv, p) for lv, p in zip(levels, m))],
                               output_column_name=column)


def comparisons(n_people: int) -> list:
    forename = _name("forename", [cll.CustomLevel(SHARED_FORMAL_NAME, "nickname or formal name"),
                                  cll.CustomLevel(SWAP, "forename and surname swapped")],
                     m=(0.82, 0.08, 0.015, 0.05, 0.02, 0.015))
    surname = _name("surname", [cll.CustomLevel(SURNAME_WORD, "one word of a double-barrelled name"),
                                cll.CustomLevel(SWAP, "forename and surname swapped")],
                    m=(0.82, 0.03, 0.015, 0.05, 0.02, 0.03, 0.035),
                    # women's surnames change with marriage: a different surname between two women's
                    # records is weaker evidence against a match than between two men's
                    last=[cll.CustomLevel("""sex_l = 'F' AND sex_r = 'F'""", "another surname, both women")])
    dob = cl.CustomComparison([
        cll.NullLevel("dob"),
        _level(cll.ExactMatchLevel("dob"), 0.80),
        _level(cll.CustomLevel('dob_swapped_l = dob_r OR dob_l = dob_swapped_r', "day and month swapped"), 0.03),
        _level(cll.CustomLevel('abs(dob_days_l - dob_days_r) = 1', "one day out"), 0.04),
        _level(cll.CustomLevel('dob_md_l = dob_md_r AND abs(birth_year_l - birth_year_r) = 1',
                               "one year out"), 0.04),
        _level(cll.CustomLevel('dob_md_l = dob_md_r AND birth_year_l <> birth_year_r AND '
                               'birth_year_swapped_l = birth_year_r', "year digits swapped"), 0.02),
        _level(cll.DamerauLevenshteinLevel("dob_text", 1), 0.04),
        _level(cll.ElseLevel(), 0.03),
    ], output_column_name="dob")
    sex = cl.CustomComparison([cll.NullLevel("sex"), _level(cll.ExactMatchLevel("sex"), 0.97),
                               _level(cll.ElseLevel(), 0.03)], output_column_name="sex")
    chance = 1.0 / max(n_people, 1)  # PNC ids are unique: another person has the same one by chance 1 / people
    pnc = cl.CustomComparison([
        cll.NullLevel("pnc_serial"),
        cll.CustomLevel('pnc_id_l = pnc_id_r', "PNC id").configure(
            m_probability=0.93, fix_m_probability=True, u_probability=chance, fix_u_probability=True),
        cll.ExactMatchLevel("pnc_serial").configure(  # the check letter wrong or missing, the number agrees
            m_probability=0.04, fix_m_probability=True, u_probability=chance, fix_u_probability=True),
        cll.ElseLevel().configure(m_probability=0.03, fix_m_probability=True, u_probability=1 - 2 * chance,
                                  fix_u_probability=True),
    ], output_column_name="pnc")
    return [forename, surname, dob, sex, pnc]


BLOCKING_RULES = [
    "l.dob = r.dob",
    "l.surname = r.surname AND l.birth_year = r.birth_year",
    "l.surname = r.surname AND l.dob_md = r.dob_md",
    "l.surname = r.surname AND l.forename = r.forename",
    "l.pnc_serial = r.pnc_serial",
    "l.forename = r.surname AND l.surname = r.forename",
    "l.dob_swapped = r.dob",
    "l.dob = r.dob_swapped",
]


def settings(n_people: int, link_type: str = "link_only") -> SettingsCreator:
    return SettingsCreator(
        link_type=link_type, comparisons=comparisons(n_people),
        blocking_rules_to_generate_predictions=[CustomRule(r) for r in BLOCKING_RULES],
        # the chance that a listed person is a given person on the database: most listed people have a
        # criminal record (ON_DATABASE), and each of the database's people is equally likely a priori
        probability_two_random_records_match=ON_DATABASE / (1 - ON_DATABASE) / max(n_people, 1),
        retain_matching_columns=True, additional_columns_to_retain=["person_id", "row"],
    )


def model_path(db_path: Path) -> Path:
    """Where the database's model is stored: beside a DuckDB file, inside a Parquet folder."""
    return db_path / "linkage_model.json" if db_path.is_dir() else db_path.with_name(db_path.name + ".linkage.json")


def estimate_model(db_api, people_table: str, fingerprint: dict, path: Path | None) -> dict:
    """u-probabilities by random sampling of pairs of people on the database; stored at `path`."""
    from splink import Linker

    n_people = int(fingerprint["people"])
    linker = Linker(db_api.register(people_table), settings(n_people, "dedupe_only"), log_level=logging.WARNING)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=U_SEED)
    model = linker.misc.save_model_to_json()
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and not level.get("u_probability"):
                level["u_probability"] = U_FLOOR
    model = {"justicelab_linkage_model": {**fingerprint, "model_version": MODEL_VERSION}, **model}
    if path is not None:
        try:
            path.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:  # a read-only database folder: use the model without storing it
            logging.getLogger(__name__).warning("cannot store the linkage model at %s: %s", path, exc)
    return model


def stored_model(path: Path, fingerprint: dict) -> dict | None:
    """The stored model, if it was estimated for this database and this model version."""
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return model if model.get("justicelab_linkage_model") == {**fingerprint, "model_version": MODEL_VERSION} else None


def for_linking(model: dict) -> dict:
    settings_dict = {k: v for k, v in model.items() if k != "justicelab_linkage_model"}
    return {**settings_dict, "link_type": "link_only"}


def model_hash(model: dict) -> str:
    return hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()[:16]
