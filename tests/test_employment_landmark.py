"""Employment and reoffending: the landmark and sequential designs recover a planted effect; the naive comparison
does not.

The truth comes from the simulation's coupled worlds (employment/simulate.py), not from the estimators.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from justicelab.employment.landmark import employment_and_reoffending, landmark_sample, naive_sample
from justicelab.employment.simulate import LONG, SHORT, simulate_leavers


def test_landmark_and_naive_samples_by_hand():
    nan = np.nan
    leavers = pd.DataFrame({
        "person_id": [1, 2, 3, 4, 5, 6],
        # 1 job day 30, no reoffence; 2 job day 120 (after the landmark); 3 reoffends day 50, job day 200;
        # 4 back in custody day 80 with no proven reoffence in the year; 5 job day 91, reoffends day 91 (out:
        # reoffended by the landmark); 6 job day 10, reoffends day 300
        "days_to_employment": [30, 120, 200, nan, 91, 10],
        "days_to_first_reoffence": [nan, nan, 50, nan, 91, 300],
        "days_to_custody": [nan, nan, nan, 80, nan, nan],
    })
    lm = landmark_sample(leavers, 91).set_index("person_id")
    assert list(lm.index) == [1, 2, 6]
    assert lm["treated"].to_dict() == {1: 1, 2: 0, 6: 1}
    assert lm["reoffended"].to_dict() == {1: 0, 2: 0, 6: 1}
    assert lm["days_free"].to_dict() == {1: 365 - 91, 2: 365 - 91, 6: 300 - 1 - 91}
    nv = naive_sample(leavers).set_index("person_id")
    # the naive design counts person 3's job, begun 150 days after the reoffence, as exposure
    assert nv["treated"].to_dict() == {1: 1, 2: 1, 3: 1, 4: 0, 5: 1, 6: 1}
    assert nv["reoffended"].to_dict() == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1, 6: 1}


def _check(seed: int, n: int) -> dict:
    leavers, truth = simulate_leavers(n, seed)
    out = {}
    for row in employment_and_reoffending(leavers):
        t = truth[row["sentence_group"]]
        rate = row["rate"]
        out[(row["sentence_group"], row["design"])] = rate["ci_low"] <= t[row["design"]] <= rate["ci_high"]
        if row["design"] in ("landmark", "sequential"):
            days = row["days_free"]
            truth_days = t[f"{row['design']}_days_free"]
            out[(row["sentence_group"], f"{row['design']}_days")] = days["ci_low"] <= truth_days <= days["ci_high"]
    return out


def test_landmark_covers_the_planted_effect_and_naive_does_not():
    covered = _check(seed=1, n=20_000)
    for group in (SHORT, LONG):
        assert covered[(group, "landmark")] and covered[(group, "landmark_days")]
        assert covered[(group, "sequential")] and covered[(group, "sequential_days")]
        assert not covered[(group, "naive")]


def test_planted_truth_has_the_seed_shape():
    _, truth = simulate_leavers(20_000, 1)
    # seed 002: 9.4 points lower after short sentences, 5.6 after long ones: same order, same sign
    assert -0.14 < truth[SHORT]["landmark"] < -0.06 and -0.09 < truth[LONG]["landmark"] < -0.02
    assert truth[SHORT]["landmark"] < truth[LONG]["landmark"]


@pytest.mark.slow
def test_landmark_interval_coverage_over_many_simulations():
    """95% intervals should cover the truth about 95% of the time; the naive ones almost never."""
    runs = [_check(seed, 12_000) for seed in range(100, 140)]
    for key in [(g, d) for g in (SHORT, LONG) for d in ("landmark", "landmark_days", "sequential", "sequential_days")]:
        share = np.mean([r[key] for r in runs])
        assert share >= 0.85, (key, share)
    for key in ((SHORT, "naive"), (LONG, "naive")):
        assert np.mean([r[key] for r in runs]) <= 0.1


def test_prison_leavers_from_the_database_by_hand():
    from justicelab.employment.leavers import prison_leavers
    from justicelab.engine import DuckDBEngine
    from tests.fixtures import Fixture, d, plus

    rel = d("2016-03-01")
    f = Fixture()
    # 1: 6 months' custody; a job from day 20; a new custodial sentence on day 100 for an offence on day 50
    f.person(1); f.disposal(1, d("2015-09-01"), "custody", months=6, release=rel)
    f.job(1, plus(rel, 20), None)
    f.disposal(1, plus(rel, 100), "custody", months=3, release=plus(rel, 150), offences=[(plus(rel, 50), "summary")])
    # 2: 18 months' custody; a job begun before prison and still held at release counts from day 1
    f.person(2); f.disposal(2, d("2014-09-01"), "custody", months=18, release=rel)
    f.job(2, d("2014-01-01"), None)
    # 3: a job that ended before release, and one that starts on day 366 (outside the year); not a leaver: 4
    f.person(3); f.disposal(3, d("2015-12-01"), "custody", months=3, release=rel)
    f.job(3, d("2015-06-01"), d("2015-11-01"))
    f.job(3, plus(rel, 366), None)
    f.person(4); f.disposal(4, rel)
    f.person(5); f.disposal(5, d("2018-06-30"))  # the snapshot
    with DuckDBEngine() as engine:
        f.register(engine)
        out = prison_leavers(engine, d("2016-01-01"), d("2016-12-31")).set_index("person_id")
    assert list(out.index) == [1, 2, 3]
    assert out.loc[1, "days_to_employment"] == 20 and out.loc[1, "days_to_custody"] == 100
    assert out.loc[1, "days_to_first_reoffence"] == 50 and out.loc[1, "sentence_group"] == SHORT
    assert out.loc[2, "days_to_employment"] == 1 and out.loc[2, "employed_before"] == 1
    assert out.loc[2, "sentence_group"] == LONG and pd.isna(out.loc[2, "days_to_custody"])
    assert pd.isna(out.loc[3, "days_to_employment"]) and out.loc[3, "employed_before"] == 1


def test_published_rows_never_show_1_to_10_people():
    """A design withheld for too few employed people publishes no small count, in its message or its fields;
    shown counts are rounded to 5 (the estimates' own counts too)."""
    from justicelab.employment.landmark import matched_effects
    from justicelab.employment.run import _rows_json

    leavers, _ = simulate_leavers(3_000, 4)
    sample = naive_sample(leavers)
    few = pd.concat([sample[sample["treated"] == 1].head(7), sample[sample["treated"] == 0]])
    withheld = matched_effects(few)
    assert "withheld" in withheld and "7" not in withheld["withheld"]
    shown = matched_effects(sample)
    rows = _rows_json([{"sentence_group": SHORT, "design": "naive", "people": 3_003, **withheld},
                       {"sentence_group": SHORT, "design": "naive", "people": 3_003, **shown}])
    assert rows[0]["n_treated"] == "[c]" and rows[0]["people"] == 3_005
    for key in ("n_treated", "n_comparison"):
        assert rows[1][key] % 5 == 0 and rows[1]["rate"][key] % 5 == 0 and rows[1]["days_free"][key] % 5 == 0
