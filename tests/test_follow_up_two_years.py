"""The two-year follow-up option with its own waiting period: counting worked out by hand, and a report
that says "two-year" wherever the standard one says "one-year"."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest

from justicelab.analysis.config import AnalysisConfig, load_config
from justicelab.engine import DuckDBEngine
from justicelab.errors import JusticeLabError
from justicelab.measures.cohort import build_period_cohort
from justicelab.measures.rules import Rules
from tests.fixtures import Fixture, d, plus

IDX = d("2016-03-01")
PERIOD = (d("2016-01-01"), d("2016-12-31"))


def build_fixture() -> Fixture:
    f = Fixture()

    def reoffence(pid, committed: int, proven: int):
        f.person(pid)
        f.disposal(pid, IDX)
        f.disposal(pid, plus(IDX, proven), "fine_discharge", offences=[(plus(IDX, committed), "summary")])
    reoffence(1, 700, 800)  # two-year only
    reoffence(2, 730, 913)  # last day of two years, proven on the last day of a 183-day wait
    reoffence(3, 731, 760)  # day 731: outside two years
    reoffence(4, 100, 914)  # proven one day too late for either
    reoffence(5, 700, 822)  # proven on day 730 + 92
    f.person(6)
    f.disposal(6, IDX)
    f.job(6, plus(IDX, 400), plus(IDX, 500))  # 101 days, all in the second year
    f.person(7)
    f.disposal(7, d("2020-06-30"))  # the snapshot
    return f


def _measures(rules: Rules) -> pd.DataFrame:
    with DuckDBEngine() as engine:
        build_fixture().register(engine)
        build_period_cohort(engine, *PERIOD, rules)
        return engine.query("SELECT * FROM cohort_measures ORDER BY person_id").set_index("person_id")


@pytest.mark.parametrize("years, waiting, expected", [
    (1, 183, {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0}),
    (2, 183, {1: 1, 2: 1, 3: 0, 4: 0, 5: 1, 6: 0}),
    (2, 92, {1: 1, 2: 0, 3: 0, 4: 0, 5: 1, 6: 0}),  # its own, shorter waiting period: day 822 is the last
])
def test_two_year_follow_up_counts_by_hand(years, waiting, expected):
    rules = AnalysisConfig(follow_up_years=years, waiting_days=waiting).rules()
    assert rules.follow_up_days == 365 * years and rules.last_proven_day == 365 * years + waiting
    m = _measures(rules)
    assert m["reoffended"].astype(int).to_dict() == expected
    assert m.loc[6, "days_employed_after"] == (101 if years == 2 else 0)
    if years == 2:
        assert m.loc[1, "days_to_first_reoffence"] == 700


def test_follow_up_years_outside_one_or_two_is_refused(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"follow_up_years": 3}))
    with pytest.raises(JusticeLabError, match="follow_up_years"):
        load_config(path)


def test_two_year_report_says_two_year_throughout(tmp_path):
    from openpyxl import load_workbook

    from justicelab.report.build import write_report

    results = json.loads((Path(__file__).parent / "data" / "report" / "demo_results.json").read_text())
    two = copy.deepcopy(results)
    two["provenance"]["configuration"].update(follow_up_years=2, waiting_days=183)
    paths = write_report(two, tmp_path / "two", pdf=False)
    html = paths["html"].read_text(encoding="utf-8").lower()
    assert "one-year" not in html and "one year" not in html
    assert "two-year proven reoffending rate" in html and "within two years of the index" in html
    cells = [c.value for ws in load_workbook(paths["annex"]) for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)]
    assert not any("one-year" in c.lower() for c in cells) and any("two-year" in c for c in cells)
    # the standard report is unchanged
    one = write_report(results, tmp_path / "one", pdf=False)["html"].read_text(encoding="utf-8")
    assert "one-year" in one and "two-year" not in one


@pytest.mark.slow
def test_two_year_analysis_end_to_end(tmp_path_factory):
    """A whole analysis with follow_up_years=2: every measure over two years, its own waiting period."""
    from justicelab.analysis.run import analyse
    from justicelab.data.synth.submission import write_submission
    from tests.fixtures import synthetic_db

    db = synthetic_db(tmp_path_factory, 200_000, 41)
    folder = tmp_path_factory.mktemp("two")
    paths = write_submission(db, "link-worker", folder / "submission.csv", seed=3)
    config = AnalysisConfig(follow_up_years=2, waiting_days=183, min_treated_for_region=10_000)
    one = analyse(paths["submission"], db, AnalysisConfig(min_treated_for_region=10_000))["analyses"][0]
    two = analyse(paths["submission"], db, config)
    assert two["provenance"]["configuration"]["follow_up_years"] == 2
    national = two["analyses"][0]
    rate = {m["measure"]: m for m in national["measures"]}
    assert rate["rate"]["title"].startswith("Two-year")
    # two years of follow-up: more people reoffend and more days are counted than in one year
    first = {m["measure"]: m for m in one["measures"]}
    assert rate["rate"]["comparison_value"] > first["rate"]["comparison_value"]
    assert rate["days_on_benefit"]["comparison_value"] > first["days_on_benefit"]["comparison_value"]
    assert rate["time_to_first"]["comparison_value"] > first["time_to_first"]["comparison_value"]
    # the planted two-year truth (coupled worlds, data/synth/programmes.py) lies inside the intervals
    import duckdb

    truth = dict(duckdb.connect(str(db), read_only=True).execute(
        "SELECT measure, true_effect FROM truth_effect WHERE programme = 'link-worker'").fetchall())
    assert rate["rate"]["ci_low"] <= truth["reoffending_rate_2y_analysable"] <= rate["rate"]["ci_high"]
    assert rate["frequency"]["ci_low"] <= truth["reoffending_frequency_2y_analysable"] <= rate["frequency"]["ci_high"]
