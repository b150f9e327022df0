"""The sequential (risk-set) design for employment and reoffending, and the national database's planted jobs.

Independent references: rows worked out by hand, a hazard model fitted to waiting times drawn with known
coefficients, truths by hand from a made-up truth table, and the generator's coupled worlds (slow test).
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from justicelab.employment.sequential import hiring_score, sequential_sample
from justicelab.employment.simulate import LONG, SHORT
from justicelab.employment.truth import planted_truth

nan = np.nan


def test_sequential_rows_by_hand():
    leavers = pd.DataFrame({
        "person_id": [1, 2, 3, 4, 5, 6, 7],
        # 1 job day 30; 2 nothing; 3 reoffends day 50 then a job on day 200; 4 back in custody day 80;
        # 5 job on day 1; 6 job and reoffence both on day 10; 7 job on day 301 (after the last trial)
        "days_to_employment": [30, nan, 200, nan, 1, 10, 301],
        "days_to_first_reoffence": [nan, nan, 50, nan, nan, 10, nan],
        "days_to_custody": [nan, nan, nan, 80, nan, nan, nan],
    })
    s = sequential_sample(leavers, last_day=300)
    treated = s[s["treated"] == 1].set_index("person_id")
    comparison = s[s["treated"] == 0].set_index("person_id")
    assert treated["delay"].to_dict() == {1: 30, 5: 1, 6: 10}
    # a comparison for the trials of days 1..survival: until the day before a job, or the day of a reoffence
    # or custody (free of both until then), whichever comes first
    assert comparison["survival"].to_dict() == {1: 29, 2: np.inf, 3: 50, 4: 80, 6: 9, 7: 300}
    assert s.groupby("person_id")["reoffended"].first().to_dict() == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0, 6: 1, 7: 0}
    # days free of reoffending over the whole year (the groups are alike up to the trial's day)
    assert s.groupby("person_id")["days_free"].first().to_dict() == {1: 365, 2: 365, 3: 49, 4: 365, 5: 365,
                                                                     6: 9, 7: 365}


def test_hiring_score_recovers_a_known_hazard():
    rng = np.random.default_rng(5)
    n = 40_000
    x1 = (rng.random(n) < 0.4).astype(float)
    x2 = rng.standard_normal(n)
    rate = np.exp(-6.0 + 0.9 * x1 - 0.5 * x2)  # per day
    wait = np.ceil(rng.exponential(1 / rate))
    reoffence = np.ceil(rng.exponential(250, n))
    leavers = pd.DataFrame({"person_id": np.arange(n), "x1": x1, "x2": x2,
                            "days_to_employment": np.where(wait <= 365, wait, nan),
                            "days_to_first_reoffence": np.where(reoffence <= 365, reoffence, nan),
                            "days_to_custody": nan})
    s = sequential_sample(leavers)
    score = hiring_score(s, ["x1", "x2"])
    # the score is b1*x1 + b2*x2 for every row: recover b by least squares on the rows
    b, *_ = np.linalg.lstsq(np.column_stack([s["x1"], s["x2"]]), score, rcond=None)
    assert abs(b[0] - 0.9) < 0.1 and abs(b[1] + 0.5) < 0.06


def test_planted_truth_by_hand():
    """Unplanted employment adds zero; each design takes its own counterfactual world."""
    leavers = pd.DataFrame({
        "person_id": [1, 2, 3],
        "index_date": pd.to_datetime(["2016-01-10", "2016-02-01", "2016-03-01"]),
        "sentence_group": SHORT,
        "days_to_employment": [20, 40, nan], "days_to_first_reoffence": [200, nan, 30],
        "days_to_custody": nan,
    })
    truth = pd.DataFrame({
        "person_id": [1, 3], "release_date": pd.to_datetime(["2016-01-10", "2016-03-01"]),
        "sentence_group": SHORT, "hazard_ratio": 0.7,
        "job_start": pd.to_datetime(["2016-01-30", None]),
        "first_reoffence_day": [200, 30],
        "first_reoffence_day_without_job": [120, 30],
        "first_reoffence_day_job_ended_at_landmark": [150, 30],
        "first_reoffence_day_not_hired_that_day": [nan, 30],
    })
    t = planted_truth(truth, leavers, landmark=91)[SHORT]
    # naive: persons 1 (planted: reoffends in both worlds: 0) and 2 (not planted: 0)
    assert t["naive"] == 0.0 and t["naive_planted_share"] == 0.5
    # days free over the year: person 1 gains 200 - 120 = 80 days, person 2 nothing
    assert t["naive_days_free"] == 40.0
    # landmark (day 91): both at risk and employed by then; person 1 reoffends after day 91 either way
    assert t["landmark"] == 0.0 and t["landmark_days_free"] == (200 - 150) / 2
    # sequential: person 1 would not have reoffended in the year had the job not begun on day 20
    assert t["sequential"] == pytest.approx((1 - 0) / 2)
    assert t["sequential_days_free"] == pytest.approx((199 - 365) / 2)
    assert planted_truth(None, leavers) is None


@pytest.mark.slow
def test_national_database_planted_jobs_recovered(tmp_path_factory):
    """On the synthetic national database, whose careers carry the planted jobs' effect (data/synth/jobs.py),
    the sequential design's intervals cover the truth from the coupled worlds; the naive ones do not."""
    from justicelab.employment.run import reoffending_on_database
    from tests.fixtures import synthetic_db

    db = synthetic_db(tmp_path_factory, 400_000, 3)
    result = reoffending_on_database(db, date(2015, 1, 1), date(2019, 12, 31))
    rows = {(r["sentence_group"], r["design"]): r for r in result["rows"]}
    for group in (SHORT, LONG):
        seq = rows[(group, "sequential")]
        assert seq["truth_rate"] < 0  # a planted benefit, not a null
        assert seq["covers_truth"], seq
        assert seq["days_free"]["ci_low"] <= seq["truth_days_free"] <= seq["days_free"]["ci_high"]
        assert not rows[(group, "naive")]["covers_truth"]


def test_background_employment_cut_and_history_by_hand():
    """The generator's planted-job bookkeeping (data/synth/jobs.py), worked by hand: spells are cut from the
    sentence date to a year after release, and 'employed before' is the cohort's days_employed_2y > 0."""
    from justicelab.data.synth.jobs import cut_background, employed_before

    # person 0: a spell running across the sentence date (100) and one starting in the gap;
    # person 1: not released in the window, untouched; person 2: a spell starting after the year (500 > 465)
    who = np.array([0, 0, 1, 2])
    start = np.array([50, 200, 120, 500])
    end = np.array([150, 260, 400, 600])
    kept = cut_background((who, start, end), np.array([0, 2]), np.array([100, 90]), np.array([465, 460]))
    assert [list(a) for a in kept] == [[0, 1, 2], [50, 120, 500], [100, 400, 600]]
    # two years before an index date of 900: days 170..899; person 0's spell ended on day 100 (no),
    # person 1's runs 120..400 (yes), person 2's begins after the index date (no)
    assert list(employed_before(kept, np.array([0, 1, 2]), np.array([900, 900, 450]))) == [False, True, False]
    # a spell ending on the first day of the window holds no day of it (days_between = 0)
    assert not employed_before((np.array([0]), np.array([0]), np.array([170])), np.array([0]), np.array([900]))[0]


def test_p45_employment_in_the_year_after_is_near_the_published_example(tmp_path_factory):
    """The Data Lab's published example (2018): 39% and 31% in P45 employment in the year after release or
    sentence. The generator's calibration, counted here by an independent SQL query, is in that region."""
    import duckdb

    from tests.fixtures import synthetic_db

    con = duckdb.connect(str(synthetic_db(tmp_path_factory, 100_000, 8)), read_only=True)
    shares = dict(con.execute("""
        WITH idx AS (
          SELECT person_id, coalesce(release_date, disposal_date) AS d, release_date IS NOT NULL AS custody
          FROM disposal WHERE coalesce(release_date, disposal_date) BETWEEN DATE '2016-01-01' AND DATE '2016-12-31'
          QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY coalesce(release_date, disposal_date)) = 1)
        SELECT i.custody, avg(CASE WHEN EXISTS (
                 SELECT 1 FROM employment_spell s WHERE s.person_id = i.person_id AND s.start_date <= i.d + 365
                   AND coalesce(s.end_date, DATE '2100-01-01') >= i.d + 1) THEN 1.0 ELSE 0.0 END)
        FROM idx i GROUP BY 1""").fetchall())
    assert 0.25 <= shares[False] <= 0.42 and 0.25 <= shares[True] <= 0.45, shares
