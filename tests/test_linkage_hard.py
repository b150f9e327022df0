"""Linkage on hard lists from an independent generator (tests/linkage_lists.py), PNC and name
normalisation by hand, and a row's score not depending on the rest of its list."""
import shutil

import pandas as pd
import pytest

from justicelab.identifiers import normalise_pnc, pnc_check_letter
from justicelab.linkage.link import link_submission
from justicelab.linkage.model import model_path
from justicelab.linkage.names import fold, nickname_groups
from justicelab.submission.validate import validate
from tests.fixtures import synthetic_db
from tests.linkage_lists import hard_list, plant_people, scores


def test_pnc_formats_agree_and_a_wrong_check_letter_keeps_the_number():
    letter = pnc_check_letter(11, 141281)
    assert normalise_pnc(f"11/0141281{letter}") == (f"11/141281{letter}", None)
    assert normalise_pnc(f"2011/0141281{letter.lower()}") == (f"11/141281{letter}", None)
    assert normalise_pnc(f" 11 / 141281 {letter} ") == (f"11/141281{letter}", None)
    wrong = "X" if letter != "X" else "Y"
    short, problem = normalise_pnc(f"11/141281{wrong}")
    assert short == "11/141281" and "check letter" in problem
    assert normalise_pnc("11/141281")[0] == "11/141281"
    assert normalise_pnc("not a pnc")[0] is None and normalise_pnc("11/0000000A")[0] is None


def test_transliteration_and_many_to_many_nicknames():
    assert fold("Wiśniewski") == "wisniewski" and fold("Łukasz Dąbrowski") == "lukasz dabrowski"
    assert fold("Müller Straße") == "muller strasse"
    groups = nickname_groups()
    assert {"catherine", "katherine"} <= set(groups["kate"]) and {"stephen", "steven"} <= set(groups["steve"])
    for short, formal in (("jay", "jason"), ("sally", "sarah"), ("baz", "barry"), ("harry", "henry"),
                          ("piotr", "peter")):
        assert formal in groups[short], short


@pytest.fixture(scope="module")
def planted_db(tmp_path_factory):
    db = synthetic_db(tmp_path_factory, 40_000, 5)
    plant_people(db, seed=3, copies=8)
    return db


def _link_list(db, tmp_path, rows, seed):
    sub, truth = hard_list(db, rows=rows, seed=seed)
    path = tmp_path / f"hard{seed}.csv"
    sub.to_csv(path, index=False)
    v = validate(path)
    assert (v.rows["status"] == "ok").sum() >= rows - 3  # the list's errors are ones validation lets through
    result = link_submission(v.rows[v.rows["status"] == "ok"], db)
    return result, v, truth


def test_hard_list_recall_precision_and_namesakes(planted_db, tmp_path):
    result, v, truth = _link_list(planted_db, tmp_path, 340, seed=11)
    overall, per_kind = scores(result.links, v.rows["row"].to_numpy(), truth)
    assert overall["precision"] >= 0.99, overall
    assert overall["recall"] >= 0.95, (overall, per_kind)
    assert overall["namesakes_linked"] <= 0.01 * overall["namesakes"], overall
    # formats of one PNC id agree; a wrong check letter with the right number still links
    pnc_kinds = per_kind.loc[per_kind.index.str.startswith("pnc")]
    assert (pnc_kinds["found"] == pnc_kinds["rows"]).all(), pnc_kinds
    assert model_path(planted_db).exists()  # u-probabilities stored with the database


def test_a_rows_score_does_not_depend_on_its_neighbours(planted_db, tmp_path):
    result, v, _ = _link_list(planted_db, tmp_path, 120, seed=12)
    ok = v.rows[v.rows["status"] == "ok"]
    alone = link_submission(ok.iloc[[5, 40, 77]], planted_db).links.set_index("row")
    together = result.links.set_index("row").loc[alone.index]
    pd.testing.assert_series_equal(alone["match_probability"], together["match_probability"])
    assert (alone["status"] == together["status"]).all()


@pytest.mark.slow
@pytest.mark.parametrize("people", [300_000, 1_000_000])
def test_hard_lists_at_scale(tmp_path_factory, tmp_path, people):
    db = synthetic_db(tmp_path_factory, people, 9)
    plant_people(db, seed=4)
    result, v, truth = _link_list(db, tmp_path, 600, seed=21)
    overall, per_kind = scores(result.links, v.rows["row"].to_numpy(), truth)
    assert overall["precision"] >= 0.99 and overall["recall"] >= 0.95, (overall, per_kind)
    assert overall["namesakes_linked"] <= 0.01 * overall["namesakes"] + 1, overall
