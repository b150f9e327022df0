"""Linkage quality on synthetic submissions (ground truth known), and the treatment-group rules by hand."""
from datetime import date

import pandas as pd
import pytest

from justicelab.cli import main
from justicelab.data.db import write_database
from justicelab.data.synth.submission import write_submission
from justicelab.linkage.link import link_submission
from justicelab.linkage.quality import linkage_quality
from justicelab.linkage.treatment import build_treatment_group
from justicelab.submission.validate import validate
from tests.fixtures import Fixture, d, plus, synthetic_db


@pytest.fixture(scope="module")
def synth_db(tmp_path_factory):
    return synthetic_db(tmp_path_factory, 150_000, 21)


def test_precision_and_recall_on_synthetic_submissions(synth_db, tmp_path):
    totals = {"linked": 0, "correct": 0, "on_database": 0, "found": 0}
    for programme, seed in (("link-worker", 1), ("prison-mentoring", 2), ("through-the-gate", 3)):
        paths = write_submission(synth_db, programme, tmp_path / f"{programme}.csv", seed=seed)
        v = validate(paths["submission"])
        result = link_submission(v.rows[v.rows["status"] == "ok"], synth_db)
        q = linkage_quality(result.links, pd.read_csv(paths["truth"]))
        totals["linked"] += q["linked"]
        totals["correct"] += q["correct"]
        totals["on_database"] += q["on_database"]
        totals["found"] += round(q["recall"] * q["on_database"])
    assert totals["on_database"] > 250
    assert totals["correct"] / totals["linked"] >= 0.99, totals
    assert totals["found"] / totals["on_database"] >= 0.95, totals


def test_cli_link_writes_every_output(synth_db, tmp_path):
    paths = write_submission(synth_db, "through-the-gate", tmp_path / "sub.csv", seed=5)
    out = tmp_path / "out"
    assert main(["link", str(paths["submission"]), "--db", str(synth_db), "--out", str(out)]) == 0
    for name in ("treatment_group.csv", "exclusions.csv", "linkage.csv", "clerical_review.csv", "attrition.csv",
                 "attrition_flow.png", "linkage_diagnostics.json", "not_included_profile.csv"):
        assert (out / name).exists(), name
    attrition = pd.read_csv(out / "attrition.csv").set_index("step")["people"]
    assert attrition["submitted"] == attrition.drop(["submitted", "treatment_group"]).sum() + attrition["treatment_group"]
    members = pd.read_csv(out / "treatment_group.csv")
    assert "forename" not in members.columns and "surname" not in members.columns  # no names leave the database


def _fixture_db(tmp_path):
    f = Fixture()
    idx = d("2017-03-01")
    # 1: community order; intervention 30 days later -> that event
    f.person(1); f.disposal(1, d("2015-01-01"), "fine_discharge"); f.disposal(1, idx)
    # 2: custody sentence 2016-10-01, released 2017-02-01; intervention started in prison -> the release
    f.person(2); f.disposal(2, d("2016-10-01"), "custody", months=8, release=d("2017-02-01"))
    # 3: intervention 200 days after the only event -> no index event
    f.person(3); f.disposal(3, idx)
    # 4: index event too recent for the follow-up to be complete by the snapshot (2019-01-01)
    f.person(4); f.disposal(4, d("2018-10-01"))
    # 5: 17 at the index date AND reoffended before the start: counted once, at the earlier step
    f.person(5, dob="1999-06-01"); f.disposal(5, idx)
    f.disposal(5, plus(idx, 40), "fine_discharge", offences=[(plus(idx, 10), "summary")])
    # 6: a previous sexual offence
    f.person(6); f.disposal(6, d("2012-01-01"), sexual=True, group="Sexual offences"); f.disposal(6, idx)
    # 7: reoffended (day 10) before the intervention began (day 30)
    f.person(7); f.disposal(7, idx); f.disposal(7, plus(idx, 60), "fine_discharge", offences=[(plus(idx, 10), "summary")])
    # 8: two qualifying events; the later one (2017-04-01) is chosen for an intervention on 2017-04-20
    f.person(8); f.disposal(8, idx); f.disposal(8, d("2017-04-01"), "suspended_sentence")
    # the snapshot: something proven on 2019-01-01
    f.person(9); f.disposal(9, d("2019-01-01"), "fine_discharge")
    path = tmp_path / "fixture.duckdb"
    frames = f.frames()
    write_database(path, frames)
    return path


def test_index_event_rule_and_exclusion_order(tmp_path):
    db = _fixture_db(tmp_path)
    starts = {1: "2017-03-31", 2: "2016-12-01", 3: "2017-09-17", 4: "2018-10-20", 5: "2017-03-31", 6: "2017-03-31",
              7: "2017-03-31", 8: "2017-04-20"}
    records = pd.DataFrame({"row": [p + 1 for p in starts] + [20, 21, 22],
                            "status": ["ok"] * len(starts) + ["error", "ok", "ok"],
                            "intervention_start": [date.fromisoformat(s) for s in starts.values()] + [None] * 3})
    links = pd.DataFrame({"row": [p + 1 for p in starts] + [21, 22],
                          "person_id": pd.array(list(starts) + [None, 1], dtype="Int64"),
                          "status": ["linked"] * len(starts) + ["not_found", "duplicate"]})
    g = build_treatment_group(db, records, links)
    steps = g.exclusions.set_index("row")["step"].to_dict()
    assert steps == {4: "no_index_event", 5: "follow_up_incomplete", 6: "under_18_or_sexual",
                     7: "under_18_or_sexual", 8: "reoffended_before", 20: "invalid", 21: "not_found",
                     22: "duplicate"}
    members = g.members.set_index("person_id")
    assert sorted(members.index) == [1, 2, 8]
    assert pd.Timestamp(members.loc[2, "index_date"]).date() == d("2017-02-01")  # the release
    assert pd.Timestamp(members.loc[8, "index_date"]).date() == d("2017-04-01")  # the later event
    attrition = g.attrition.set_index("step")["people"]
    assert attrition["submitted"] == 11 and attrition["treatment_group"] == 3
    assert attrition.drop(["submitted", "treatment_group"]).sum() == 8
