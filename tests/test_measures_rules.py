"""Every counting rule of the proven reoffending measure, on people built by hand.

Each person exercises one rule; the expected values are worked out here from the dates, not read
back from the code. The same fixture runs on DuckDB and (marked spark) on Spark.
"""
from datetime import date

import math
import pandas as pd
import pytest

from justicelab.engine import DuckDBEngine
from justicelab.measures.cohort import build_period_cohort
from tests.fixtures import Fixture, d, plus

PERIOD = (d("2018-01-01"), d("2018-12-31"))
IDX = d("2018-03-01")  # index date used by most people


def build_fixture() -> Fixture:
    f = Fixture()
    # 1: offence on day 365 counts; 2: day 366 does not
    f.person(1); f.disposal(1, IDX); f.disposal(1, plus(IDX, 400), "fine_discharge", offences=[(plus(IDX, 365), "summary")])
    f.person(2); f.disposal(2, IDX); f.disposal(2, plus(IDX, 400), "fine_discharge", offences=[(plus(IDX, 366), "summary")])
    # 3: proven on the last day of the waiting period (day 548) counts; 4: the day after does not
    f.person(3); f.disposal(3, IDX); f.disposal(3, plus(IDX, 548), "fine_discharge", offences=[(plus(IDX, 100), "summary")])
    f.person(4); f.disposal(4, IDX); f.disposal(4, plus(IDX, 549), "fine_discharge", offences=[(plus(IDX, 100), "summary")])
    # 5: an offence on the index date itself is not a reoffence
    f.person(5); f.disposal(5, IDX); f.disposal(5, plus(IDX, 60), "fine_discharge", offences=[(IDX, "summary")])
    # 6: committed before the index date, proven after: not a reoffence
    f.person(6); f.disposal(6, IDX); f.disposal(6, plus(IDX, 50), "fine_discharge", offences=[(plus(IDX, -10), "summary")])
    # 7: a breach is never a reoffence
    f.person(7); f.disposal(7, IDX); f.disposal(7, plus(IDX, 50), "fine_discharge", offences=[(plus(IDX, 40), "summary")], breach=True)
    # 8: custody: the index date is the release; an offence inside is not counted, one after release is
    f.person(8)
    f.disposal(8, d("2017-11-01"), "custody", months=6, release=d("2018-02-01"))
    f.disposal(8, d("2018-04-01"), "custody", months=3, release=d("2018-05-15"),
               offences=[(d("2018-01-12"), "summary"), (d("2018-02-11"), "either_way")])
    # 9: two events in the period: the first (caution) is the index event
    f.person(9)
    f.disposal(9, d("2018-02-10"), "caution", offences=[(d("2018-02-01"), "summary")])
    f.disposal(9, d("2018-05-01"), "fine_discharge", offences=[(d("2018-04-01"), "summary")])
    # 10: aged 17 on the index date (day before 18th birthday): not in the adult cohort; 11: 18 that day
    f.person(10, dob="2000-06-15"); f.disposal(10, d("2018-06-14"))
    f.person(11, dob="2000-06-15"); f.disposal(11, d("2018-06-15"))
    # 12: custody not yet released: no index event in the period
    f.person(12); f.disposal(12, d("2018-10-01"), "custody", months=24, release=None)
    # 13: several offences and occasions: frequency, classes, custodial sentences
    f.person(13); f.disposal(13, IDX)
    f.disposal(13, plus(IDX, 80), "community_order",
               offences=[(plus(IDX, 30), "either_way"), (plus(IDX, 31), "summary"), (plus(IDX, 32), "summary")])
    f.disposal(13, plus(IDX, 260), "custody", months=8, release=plus(IDX, 380), offences=[(plus(IDX, 200), "indictable_only")])
    # 14: two first-day offences: the one proven earlier is the first reoffence
    f.person(14); f.disposal(14, IDX)
    f.disposal(14, plus(IDX, 90), "custody", months=2, release=plus(IDX, 120), offences=[(plus(IDX, 40), "summary")])
    f.disposal(14, plus(IDX, 60), "fine_discharge", offences=[(plus(IDX, 40), "either_way")])
    # 15: characteristics as of the index date
    f.person(15, dob="1985-01-20", gender="F")
    f.disposal(15, d("2010-01-01"), "custody", months=6, release=d("2010-04-01"),
               offences=[(d("2009-12-01"), "either_way"), (d("2009-12-02"), "either_way")])
    f.disposal(15, d("2014-01-01"), "fine_discharge", offences=[(d("2013-12-01"), "summary")])
    f.disposal(15, d("2018-01-10"), "community_order", offences=[(d("2017-12-01"), "either_way")])
    f.assessment(15, d("2016-06-01"), ogrs=0.9)  # too early: outside the look-back
    f.assessment(15, d("2017-12-20"), ogrs=0.6, need_drugs=True, need_ete=True)
    f.assessment(15, d("2018-02-01"), ogrs=0.1)  # after the index date
    f.benefit(15, d("2016-01-01"), d("2016-12-31"))
    f.job(15, d("2017-06-01"), None)
    return f


def _measures(engine) -> pd.DataFrame:
    build_fixture().register(engine)
    build_period_cohort(engine, *PERIOD)
    return engine.query("SELECT * FROM cohort_measures ORDER BY person_id").set_index("person_id")


def check_rules(m: pd.DataFrame) -> None:
    assert 10 not in m.index and 12 not in m.index, "under-18 and unreleased people are not in the cohort"
    assert 11 in m.index
    reoffences = {1: 1, 2: 0, 3: 1, 4: 0, 5: 0, 6: 0, 7: 0, 8: 1, 9: 1, 11: 0, 13: 4, 14: 2, 15: 0}
    assert m["reoffences"].astype(int).to_dict() == reoffences
    assert m["reoffended"].astype(int).to_dict() == {k: int(v > 0) for k, v in reoffences.items()}
    # index dates
    assert pd.Timestamp(m.loc[8, "index_date"]).date() == d("2018-02-01")
    assert pd.Timestamp(m.loc[9, "index_date"]).date() == d("2018-02-10")
    # time to first reoffence, in days after the index date
    assert m.loc[1, "days_to_first_reoffence"] == 365
    assert m.loc[8, "days_to_first_reoffence"] == (d("2018-02-11") - d("2018-02-01")).days
    assert m.loc[9, "days_to_first_reoffence"] == (d("2018-04-01") - d("2018-02-10")).days
    assert m.loc[13, "days_to_first_reoffence"] == 30
    assert pd.isna(m.loc[2, "days_to_first_reoffence"])
    # person 13: classes and custody
    r13 = m.loc[13]
    assert (r13.reoffences_either_way, r13.reoffences_summary, r13.reoffences_indictable) == (1, 2, 1)
    assert r13.first_reoffence_class == "either_way" and r13.first_reoffence_custody == 0
    assert r13.custodial_sentences == 1
    # person 8: first reoffence led to custody
    assert m.loc[8, "first_reoffence_custody"] == 1 and m.loc[8, "custodial_sentences"] == 1
    # person 14: tie on offence date goes to the earlier proven date (the fine, either-way)
    assert m.loc[14, "first_reoffence_class"] == "either_way" and m.loc[14, "first_reoffence_custody"] == 0
    assert m.loc[14, "custodial_sentences"] == 1


def check_characteristics(m: pd.DataFrame) -> None:
    r = m.loc[15]
    idx, first = d("2018-01-10"), d("2010-01-01")
    assert r.age == 32  # born 20 Jan 1985: not yet 33 on 10 Jan 2018
    assert m.loc[11, "age"] == 18 and m.loc[8, "age"] == 37
    assert r.gender == "F" and r.sentence_group == "Court order"
    assert r.previous_offences == 3 and r.previous_sanctions == 2 and r.previous_custodial_sentences == 1
    years = (idx - first).days / 365.25
    assert r.years_since_first_sanction == pytest.approx(years)
    assert r.copas_rate == pytest.approx(math.log(3 / (years + 10)))
    assert r.has_assessment == 1 and r.ogrs_score == pytest.approx(0.6)
    assert bool(r.need_drugs) and bool(r.need_ete) and not bool(r.need_alcohol)
    window_start = date.fromordinal(idx.toordinal() - 730)
    assert r.days_on_benefit_2y == (d("2016-12-31") - window_start).days
    assert r.on_benefit_at_index == 0
    assert r.days_employed_2y == (idx - d("2017-06-01")).days and r.employed_at_index == 1
    assert m.loc[1, "has_assessment"] == 0 and m.loc[1, "previous_offences"] == 0
    # sentence bands
    assert m.loc[8, "sentence_group"] == "Custody under 12 months"
    assert m.loc[9, "sentence_group"] == "Caution"


def test_counting_rules_duckdb():
    m = _measures(DuckDBEngine())
    check_rules(m)
    check_characteristics(m)


@pytest.mark.spark
def test_same_cohort_on_spark_and_duckdb(spark_session):
    from justicelab.engine.spark_engine import SparkEngine

    spark = _measures(SparkEngine(spark=spark_session))
    duck = _measures(DuckDBEngine())
    check_rules(spark)
    check_characteristics(spark)
    cols = sorted(duck.columns)
    pd.testing.assert_frame_equal(_normalise(duck[cols]), _normalise(spark[cols]), check_dtype=False)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Engines return different dtypes for the same values (int vs float, Timestamp vs date)."""
    out = {}
    for col in frame.columns:
        values = frame[col]
        if values.dropna().map(lambda v: isinstance(v, (bool, int, float)) or hasattr(v, "__float__")).all():
            out[col] = pd.to_numeric(values.astype(object), errors="raise").astype(float)
        else:
            out[col] = values.map(lambda v: None if pd.isna(v) else str(pd.Timestamp(v).date())
                                  if hasattr(v, "year") else str(v))
    return pd.DataFrame(out).sort_index()
