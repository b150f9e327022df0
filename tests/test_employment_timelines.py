"""Benefit timelines (employment/timelines.py): a hand-built database worked out day by day, and the
generator's calibration to seed 002 (about 10% of both groups still on JSA at 52 weeks; 57% vs 42% of
three years on out-of-work benefits)."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from justicelab.data.db import ANALYSIS_TABLES, attach_tables
from justicelab.employment.timelines import YEARS_DAYS, benefit_timelines
from justicelab.engine import DuckDBEngine
from tests.fixtures import Fixture, d, plus

PERIOD = (d("2010-01-01"), d("2012-12-31"))


def _claimant(f: Fixture, cid: int, kind: str, start: date, end: date | None):
    f.rows["claimant_benefit_spell"].append({"claimant_id": cid, "benefit_type": kind, "start_date": start,
                                             "end_date": end})


def build_fixture() -> tuple[Fixture, dict, dict]:
    """Returns the fixture and, per group, each member's (initial claim start, end, other spells)."""
    f = Fixture()
    leavers, claimants = {}, {}
    # 1: released 1 March 2010, JSA from 15 March for 90 days, later ESA from 1 Jan 2011 for 200 days
    f.person(1); f.disposal(1, d("2009-12-01"), "custody", months=6, release=d("2010-03-01"))
    f.benefit(1, d("2010-03-15"), plus(d("2010-03-15"), 89), "JSA")
    f.benefit(1, d("2011-01-01"), plus(d("2011-01-01"), 199), "ESA")
    leavers[1] = [(d("2010-03-15"), plus(d("2010-03-15"), 89)), (d("2011-01-01"), plus(d("2011-01-01"), 199))]
    # 2: released, JSA 100 days later: beyond the 90-day rule, so not a prison leaver claiming JSA
    f.person(2); f.disposal(2, d("2010-01-01"), "custody", months=4, release=d("2010-03-01"))
    f.benefit(2, plus(d("2010-03-01"), 100), None, "JSA")
    # 3: released, JSA the same day, still open at the snapshot (on it for all three years), and an
    #    overlapping IS spell counted once
    f.person(3); f.disposal(3, d("2011-01-01"), "custody", months=4, release=d("2011-05-01"))
    f.benefit(3, d("2011-05-01"), None, "JSA")
    f.benefit(3, d("2011-06-01"), d("2011-08-01"), "IS")
    leavers[3] = [(d("2011-05-01"), None), (d("2011-06-01"), d("2011-08-01"))]
    # 4: a community order, not custody: not a prison leaver
    f.person(4); f.disposal(4, d("2010-05-01"))
    f.benefit(4, d("2010-05-02"), d("2010-06-01"), "JSA")
    # 5: released in 2012 with a JSA claim whose three years end after the snapshot: left out
    f.person(5); f.disposal(5, d("2012-01-01"), "custody", months=4, release=d("2012-05-01"))
    f.benefit(5, d("2012-05-02"), d("2012-09-01"), "JSA")
    # the snapshot: the last proven date, 31 December 2014
    f.person(6); f.disposal(6, d("2014-12-31"))
    # claimants: 1 on JSA for 365 days (on it at week 52: day 364), then nothing;
    #            2 on JSA for 364 days then UC from day 400 for 60 days; 3 starts JSA in 2013 (incomplete)
    _claimant(f, 1, "JSA", d("2010-02-01"), plus(d("2010-02-01"), 364))
    claimants[1] = [(d("2010-02-01"), plus(d("2010-02-01"), 364))]
    _claimant(f, 2, "JSA", d("2011-02-01"), plus(d("2011-02-01"), 363))
    _claimant(f, 2, "UC", plus(d("2011-02-01"), 400), plus(d("2011-02-01"), 459))
    claimants[2] = [(d("2011-02-01"), plus(d("2011-02-01"), 363)), (plus(d("2011-02-01"), 400),
                                                                     plus(d("2011-02-01"), 459))]
    _claimant(f, 3, "JSA", d("2012-06-01"), None)
    return f, leavers, claimants


def _days_on(spells, start: date) -> int:
    last = plus(start, YEARS_DAYS - 1)
    days = set()
    for s, e in spells:
        day = max(s, start)
        while day <= min(e or last, last):
            days.add(day)
            day = plus(day, 1)
    return len(days)


def test_timelines_hand_worked():
    with DuckDBEngine() as engine:
        check_timelines(engine)


@pytest.mark.spark
def test_timelines_on_spark(spark_session):
    from justicelab.engine.spark_engine import SparkEngine

    check_timelines(SparkEngine(spark=spark_session))


def check_timelines(engine):
    f, leavers, claimants = build_fixture()
    f.register(engine)
    out = benefit_timelines(engine, *PERIOD)
    share = out["share"].set_index("grp")
    assert share.loc["Prison leavers", "people"] == 2 and share.loc["All JSA claimants", "people"] == 2
    for group, people in (("Prison leavers", leavers), ("All JSA claimants", claimants)):
        expected = sum(_days_on(spells, spells[0][0]) for spells in people.values()) / len(people) / YEARS_DAYS
        assert share.loc[group, "share_on_benefit"] == pytest.approx(expected)
        surv = out["survival"][out["survival"]["grp"] == group].set_index("week")["still_on"]
        for week in (0, 12, 13, 51, 52, 53, 156):
            on = [s[0][1] is None or (s[0][1] - s[0][0]).days >= 7 * week for s in people.values()]
            assert surv[week] == pytest.approx(sum(on) / len(on)), (group, week)
    # the hand-worked values themselves: leaver 1's 90 + 200 days, leaver 3 all 1095 days
    assert share.loc["Prison leavers", "share_on_benefit"] == pytest.approx((290 + 1095) / 2 / 1095)
    monthly = out["monthly"]
    first = monthly[(monthly["grp"] == "Prison leavers") & (monthly["month"] == 0)]
    assert first.set_index("benefit_type")["share"].to_dict() == {"JSA": 1.0}
    def month(k):
        rows = monthly[(monthly["grp"] == "Prison leavers") & (monthly["month"] == k)]
        return rows.set_index("benefit_type")["share"].to_dict()
    # month 2 (day 61): leaver 3 is on JSA and IS at once; the JSA claim began first, so IS is not counted
    assert month(2) == {"JSA": 1.0}
    # month 3 (day 91): leaver 1's 90-day claim (days 0-89) has ended
    assert month(3) == {"JSA": 0.5}


@pytest.mark.parametrize("longer_first", [True, False])
def test_two_claims_starting_the_same_day_count_as_the_longer_in_any_row_order(longer_first):
    """A leaver and a claimant each with two JSA spells from the same day (30 days; open or 500 days): the
    initial claim is the longer one, whichever row comes first, so at week 52 both are still on it."""
    f = Fixture()
    f.person(1); f.disposal(1, d("2009-12-01"), "custody", months=6, release=d("2010-03-01"))
    f.person(6); f.disposal(6, d("2014-12-31"))  # the snapshot
    leaver = [(d("2010-03-15"), plus(d("2010-03-15"), 29)), (d("2010-03-15"), None)]
    claimant = [(d("2010-02-01"), plus(d("2010-02-01"), 29)), (d("2010-02-01"), plus(d("2010-02-01"), 499))]
    order = slice(None, None, -1 if longer_first else 1)
    for start, end in leaver[order]:
        f.benefit(1, start, end, "JSA")
    for start, end in claimant[order]:
        _claimant(f, 1, "JSA", start, end)
    with DuckDBEngine(threads=1) as engine:
        f.register(engine)
        out = benefit_timelines(engine, *PERIOD)
    still_on = out["survival"].set_index(["grp", "week"])["still_on"]
    assert still_on[("Prison leavers", 52)] == 1.0 and still_on[("All JSA claimants", 52)] == 1.0
    assert still_on[("All JSA claimants", 72)] == 0.0  # day 504: the 500-day claim (days 0-499) has ended


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from tests.fixtures import synthetic_db

    return synthetic_db(tmp_path_factory, 40_000, 5)


def test_generator_reproduces_seed_002_in_shape(generated):
    with DuckDBEngine() as engine:
        attach_tables(engine.con, generated, ANALYSIS_TABLES + ("claimant_benefit_spell",))
        out = benefit_timelines(engine, date(2008, 1, 1), date(2017, 12, 31))
    share = out["share"].set_index("grp")
    assert share.loc["Prison leavers", "people"] > 500
    assert 0.52 <= share.loc["Prison leavers", "share_on_benefit"] <= 0.62  # seed: 57%
    assert 0.39 <= share.loc["All JSA claimants", "share_on_benefit"] <= 0.45  # seed: 42%
    surv = out["survival"].set_index(["grp", "week"])["still_on"]
    for group in ("Prison leavers", "All JSA claimants"):
        assert 0.07 <= surv[(group, 52)] <= 0.13  # seed: about 10% of both at 52 weeks
        assert (surv.loc[group].diff().dropna() <= 0).all()  # survival never rises


def test_employment_commands_write_reports_with_provenance(generated, tmp_path):
    import json

    from openpyxl import load_workbook

    from justicelab.cli import main

    assert main(["employment", "timelines", "--db", str(generated), "--out", str(tmp_path / "tl")]) == 0
    assert main(["employment", "reoffending", "--db", str(generated), "--out", str(tmp_path / "db")]) == 0
    assert main(["employment", "reoffending", "--simulate", "--people", "8000", "--out", str(tmp_path / "sim")]) == 0
    for name, sheets in (("tl", {"Survival", "Monthly_1", "Monthly_2", "Time_on_benefit"}), ("db", {"Designs"}),
                         ("sim", {"Designs"})):
        folder = tmp_path / name
        results = json.loads((folder / "results.json").read_text())
        prov = results["provenance"]
        assert prov["code_version"].startswith("justicelab") and prov["configuration"]
        if name != "sim":
            assert len(prov["inputs"]["database"]["sha256"]) == 64
        html = (folder / "report.html").read_text()
        assert html.count("<img") == html.count('alt="') >= 1
        assert sheets <= set(load_workbook(folder / "annex.xlsx").sheetnames)
    sim = json.loads((tmp_path / "sim" / "results.json").read_text())
    assert {r["design"] for r in sim["rows"]} == {"naive", "landmark", "sequential"}
    assert all("truth_rate" in r for r in sim["rows"])
    # group sizes are rounded to 5 and no person id reaches the output
    assert all(r["people"] % 5 == 0 for r in sim["rows"])
    assert "person_id" not in (tmp_path / "db" / "results.json").read_text()


def test_employment_bad_input_is_one_line(generated, tmp_path, capsys):
    from justicelab.cli import main

    assert main(["employment", "timelines", "--db", str(generated), "--out", str(tmp_path), "--from", "2008-13-01"]) == 2
    assert "--from '2008-13-01' is not a date" in capsys.readouterr().err
    # a database without the claimant sample: a clear refusal
    import duckdb

    bare = tmp_path / "bare.duckdb"
    con = duckdb.connect(str(bare))
    con.execute(f"ATTACH '{generated}' AS src (READ_ONLY)")
    for t in ("person", "alias", "disposal", "offence", "assessment", "benefit_spell", "employment_spell"):
        con.execute(f"CREATE TABLE {t} AS SELECT * FROM src.{t} LIMIT 0")
    con.close()
    assert main(["employment", "timelines", "--db", str(bare), "--out", str(tmp_path / "x")]) == 2
    assert "no claimant_benefit_spell table" in capsys.readouterr().err
    assert main(["employment", "reoffending", "--out", str(tmp_path / "y")]) == 2
    assert main(["employment", "timelines", "--db", str(generated), "--out", str(tmp_path), "--claim-within", "-1"]) == 2
    assert main(["employment", "reoffending", "--simulate", "--out", str(tmp_path), "--landmark", "400"]) == 2
    capsys.readouterr()
    assert main(["employment", "reoffending", "--simulate", "--engine", "spark", "--out", str(tmp_path)]) == 2
    assert "leave out --db and --engine" in capsys.readouterr().err


def test_claimant_table_is_optional_and_validated(tmp_path):
    from justicelab.data.db import write_database
    from justicelab.data.load import export_folder, load_folder
    from justicelab.errors import DataError

    f, _, _ = build_fixture()
    write_database(tmp_path / "small.duckdb", f.frames())
    folder = tmp_path / "csv"
    export_folder(tmp_path / "small.duckdb", folder, "csv")
    counts = load_folder(folder, tmp_path / "a.duckdb")
    assert counts["claimant_benefit_spell"] == 4
    path = folder / "claimant_benefit_spell.csv"
    frame = pd.read_csv(path, dtype=str)
    frame.loc[1, "benefit_type"] = "DLA"  # not an out-of-work benefit of the data share
    frame.to_csv(path, index=False)
    with pytest.raises(DataError) as exc:
        load_folder(folder, tmp_path / "b.duckdb")
    assert any("claimant_benefit_spell.csv row" in p and "benefit_type" in p for p in exc.value.problems)
    path.unlink()  # without the sample the database still loads; timelines then say what is missing
    assert "claimant_benefit_spell" not in load_folder(folder, tmp_path / "c.duckdb")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, YEARS_DAYS), min_size=2, max_size=300), st.randoms(use_true_random=False))
def test_share_on_benefit_is_the_textbook_mean_and_se_whatever_the_order(days, rng):
    """The share and its standard error (s / sqrt(n)) from statistics' own mean and stdev; the figures come
    from whole-number sums, so shuffling the people (a parallel engine's order) changes no bit."""
    import statistics

    from justicelab.employment.timelines import share_on_benefit

    def sums(values):
        return pd.DataFrame({"grp": ["g"], "people": [len(values)], "days": [sum(values)],
                             "days_sq": [sum(v * v for v in values)]})

    got = share_on_benefit(sums(days)).iloc[0]
    assert got["people"] == len(days)
    assert got["share_on_benefit"] == pytest.approx(statistics.fmean(days) / YEARS_DAYS, rel=1e-12)
    se = statistics.stdev(days) / YEARS_DAYS / len(days) ** 0.5
    assert got["se"] == pytest.approx(se, rel=1e-9, abs=1e-15)
    shuffled = list(days)
    rng.shuffle(shuffled)
    again = share_on_benefit(sums(shuffled)).iloc[0]
    assert (again["share_on_benefit"], again["se"]) == (got["share_on_benefit"], got["se"])
