"""Employment and benefit outcomes in the follow-up year (measures/labour.py), on people built by hand.

Expected values are worked out here from the dates (and, for random spells, by listing every covered
day in Python), never read back from the SQL.
"""
from __future__ import annotations

import random
from datetime import date

import pandas as pd
import pytest

from justicelab.engine import DuckDBEngine
from justicelab.measures.cohort import build_period_cohort
from tests.fixtures import Fixture, d, plus

PERIOD = (d("2018-01-01"), d("2018-12-31"))
IDX = d("2018-03-01")  # window: 2 March 2018 to 1 March 2019 (365 days; 2018 is not a leap year)


def build_fixture() -> Fixture:
    f = Fixture()
    for pid in range(1, 11):
        f.person(pid)
        f.disposal(pid, IDX)
    # 1: no spells at all
    # 2: a job that ends on the index date: the index date is not in the window
    f.job(2, d("2018-01-01"), IDX)
    # 3: a job that ends on day 1: one day
    f.job(3, d("2018-01-01"), d("2018-03-02"))
    # 4: an open-ended job begun before the index date: the whole window
    f.job(4, d("2018-01-01"), None)
    # 5: an open job starting on day 365 counts one day; one starting on day 366 does not
    f.job(5, d("2019-03-01"), None)
    f.job(5, d("2019-03-02"), None)
    # 6: overlapping, nested and separate jobs: 1 April to 10 May (40 days) and 1 June (1 day)
    f.job(6, d("2018-04-01"), d("2018-04-30"))
    f.job(6, d("2018-04-15"), d("2018-05-10"))
    f.job(6, d("2018-04-05"), d("2018-04-10"))
    f.job(6, d("2018-06-01"), d("2018-06-01"))
    # 7: benefits across the start (2-10 March), an overlapping ESA claim (to 20 March) and open UC from
    #    1 February 2019 (29 days to 1 March): 19 + 29 days
    f.benefit(7, d("2017-12-01"), d("2018-03-10"), "JSA")
    f.benefit(7, d("2018-03-05"), d("2018-03-20"), "ESA")
    f.benefit(7, d("2019-02-01"), None, "UC")
    # 8: benefit and job wholly before the index date, and a job wholly after the window
    f.benefit(8, d("2016-01-01"), d("2017-12-31"))
    f.job(8, d("2017-01-01"), d("2017-06-30"))
    f.job(8, d("2019-06-01"), d("2019-07-01"))
    # 9: a job covering the whole window with a closed end after it
    f.job(9, d("2017-01-01"), d("2020-01-01"))
    # 10: one job identical twice (a duplicate record) counts its days once
    f.job(10, d("2018-03-02"), d("2018-03-11"))
    f.job(10, d("2018-03-02"), d("2018-03-11"))
    return f


EXPECTED = {  # person: (employed, days employed, days on benefit)
    1: (0, 0, 0), 2: (0, 0, 0), 3: (1, 1, 0), 4: (1, 365, 0), 5: (1, 1, 0), 6: (1, 41, 0),
    7: (0, 0, 19 + 29), 8: (0, 0, 0), 9: (1, 365, 0), 10: (1, 10, 0),
}


def _outcomes(engine, fixture: Fixture) -> pd.DataFrame:
    fixture.register(engine)
    build_period_cohort(engine, *PERIOD)
    return engine.query("SELECT * FROM cohort_measures ORDER BY person_id").set_index("person_id")


def check(m: pd.DataFrame) -> None:
    got = {int(p): (int(r.employed_after), int(r.days_employed_after), int(r.days_on_benefit_after))
           for p, r in m.iterrows()}
    assert got == EXPECTED


def test_labour_outcomes_hand_worked():
    check(_outcomes(DuckDBEngine(), build_fixture()))


@pytest.mark.spark
def test_labour_outcomes_on_spark(spark_session):
    from justicelab.engine.spark_engine import SparkEngine

    check(_outcomes(SparkEngine(spark=spark_session), build_fixture()))


def _covered(spells: list[tuple[date, date | None]], first: date, last: date) -> int:
    """Every day of the window, listed: the days some spell covers."""
    days = set()
    for start, end in spells:
        day = max(start, first)
        stop = min(end or last, last)
        while day <= stop:
            days.add(day)
            day = plus(day, 1)
    return len(days)


def test_labour_outcomes_match_listed_days_for_random_spells():
    rng = random.Random(15)
    f = Fixture()
    jobs, benefits = {}, {}
    for pid in range(1, 151):
        f.person(pid)
        idx = plus(d("2018-01-01"), rng.randrange(365))
        f.disposal(pid, idx)
        for store, add in ((jobs, f.job), (benefits, f.benefit)):
            store[pid] = (idx, [])
            for _ in range(rng.randrange(5)):
                start = plus(idx, rng.randrange(-500, 420))
                end = None if rng.random() < 0.2 else plus(start, rng.randrange(0, 300))
                store[pid][1].append((start, end))
                add(pid, start, end)
    m = _outcomes(DuckDBEngine(), f)
    for pid in range(1, 151):
        idx, spells = jobs[pid]
        first, last = plus(idx, 1), plus(idx, 365)
        employed = _covered(spells, first, last)
        assert m.loc[pid, "days_employed_after"] == employed, pid
        assert m.loc[pid, "employed_after"] == int(employed > 0), pid
        assert m.loc[pid, "days_on_benefit_after"] == _covered(benefits[pid][1], first, last), pid


def _matched(n_t: int, n_c: int, employed_c: int, seed: int = 2) -> pd.DataFrame:
    """A matched sample as matchit() returns it: treated flag, weights and every outcome column."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = n_t + n_c
    treated = np.r_[np.ones(n_t, int), np.zeros(n_c, int)]
    employed = np.r_[rng.random(n_t) < 0.4, np.arange(n_c) < employed_c].astype(int)
    frame = pd.DataFrame({
        "treated": treated, "weights": np.r_[np.ones(n_t), rng.uniform(0.2, 3, n_c)],
        "reoffended": (rng.random(n) < 0.5).astype(int), "first_reoffence_class": "summary",
        "first_reoffence_custody": 0, "custodial_sentences": 0, "reoffences_either_way": 0,
        "reoffences_summary": 1, "reoffences_indictable": 0,
        "employed_after": employed, "days_employed_after": employed * rng.integers(1, 366, n),
        "days_on_benefit_after": rng.integers(0, 366, n) * (rng.random(n) < 0.6)})
    frame["reoffences"] = frame["reoffended"]
    frame["days_to_first_reoffence"] = np.where(frame["reoffended"] == 1, 100.0, np.nan)
    return frame


def _hand_hc1(y, t, w):
    """Weighted means and the HC1 standard error of their difference, from the textbook formula:
    n/(n-2) * sum over each group of w^2 e^2 / (sum w)^2."""
    import numpy as np

    n = len(y)
    out = {}
    var = 0.0
    for g in (True, False):
        yy, ww = y[t == g], w[t == g]
        mean = np.sum(ww * yy) / np.sum(ww)
        out[g] = mean
        var += np.sum(ww ** 2 * (yy - mean) ** 2) / np.sum(ww) ** 2
    return out[True], out[False], np.sqrt(n / (n - 2) * var)


def test_labour_measures_estimated_with_weights_and_hc1():
    import numpy as np
    from scipy import stats

    from justicelab.analysis.config import AnalysisConfig
    from justicelab.analysis.measures import estimate_measures

    frame = _matched(120, 900, employed_c=300)
    rows = {r["measure"]: r for r in estimate_measures(frame, AnalysisConfig(), "hc1")}
    for key, column in (("employment_rate", "employed_after"), ("days_employed", "days_employed_after"),
                        ("days_on_benefit", "days_on_benefit_after")):
        r = rows[key]
        assert r["table"] in (8, 9, 10) and not r.get("withheld")
        t_mean, c_mean, se = _hand_hc1(frame[column].to_numpy(float), frame["treated"].to_numpy(),
                                       frame["weights"].to_numpy())
        assert r["treated_value"] == pytest.approx(t_mean) and r["comparison_value"] == pytest.approx(c_mean)
        half = stats.t.ppf(0.975, len(frame) - 2) * se
        assert r["ci_low"] == pytest.approx(t_mean - c_mean - half)
        assert r["ci_high"] == pytest.approx(t_mean - c_mean + half)


@pytest.mark.parametrize("employed_c, withheld", [(10, True), (11, False), (890, True), (889, False)])
def test_share_employed_withheld_when_few_have_or_lack_the_outcome(employed_c, withheld):
    from justicelab.analysis.config import AnalysisConfig
    from justicelab.analysis.measures import estimate_measures

    rows = {r["measure"]: r for r in estimate_measures(_matched(120, 900, employed_c), AnalysisConfig(), "hc1")}
    assert bool(rows["employment_rate"].get("withheld")) is withheld
    # days employed: only people with days count towards the rule (10 employed: withheld)
    assert bool(rows["days_employed"].get("withheld")) is (employed_c <= 10)
