"""Every Spark step at national scale (a million people, exported to Parquet) gives DuckDB's results exactly.

Spark runs with the settings the CLI uses (the `spark_session` fixture calls `start_session`); the small
fixtures of the other Spark tests cannot show memory or broadcast problems, a million people can.
"""
import pandas as pd
import pytest

from justicelab.data.synth.submission import write_submission
from justicelab.engine import DuckDBEngine
from justicelab.linkage.link import link_submission
from justicelab.linkage.quality import linkage_quality
from justicelab.measures.bulletin import bulletin, national_statistics
from justicelab.pbr.events import count_reconviction_events
from justicelab.submission.validate import validate
from tests.fixtures import exported_db, spark_on_parquet

pytestmark = [pytest.mark.slow, pytest.mark.spark]


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    return exported_db(tmp_path_factory, 1_000_000, 5)


@pytest.fixture(scope="module")
def spark(spark_session, national):
    return spark_on_parquet(spark_session, national[1])


def _same(duck: pd.DataFrame, spark: pd.DataFrame, keys: list[str]) -> None:
    """Equal row for row and value for value; dates compared as dates (DuckDB gives datetime64, Spark date)."""
    def tidy(frame):
        frame = frame.copy()
        for col in frame.columns:
            if frame[col].dtype == object and frame[col].map(type).astype(str).str.contains("date").any():
                frame[col] = pd.to_datetime(frame[col])
            elif pd.api.types.is_datetime64_any_dtype(frame[col]):
                frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
        frame = frame.sort_values(keys).reset_index(drop=True).astype(object)
        return frame.where(frame.notna(), None)  # one spelling of missing (DuckDB gives pd.NA, Spark None)

    assert len(duck) == len(spark)
    pd.testing.assert_frame_equal(tidy(duck), tidy(spark)[list(duck.columns)], check_dtype=False)


def test_cohort_measures_and_bulletin(national, spark):
    db, _ = national
    with DuckDBEngine(db, read_only=True) as duck:
        expected, start, end = national_statistics(duck)
        duck_measures = duck.query("SELECT * FROM cohort_measures")
        duck_tables = {by: bulletin(duck, by) for by in ("region", "sentence", "quarter", "sex")}
    got, s2, e2 = national_statistics(spark)
    assert (start, end) == (s2, e2)
    assert expected["offenders"].iloc[0] > 80_000  # a national-size cohort, not an empty one
    _same(duck_measures, spark.query("SELECT * FROM cohort_measures"), ["disposal_id"])
    _same(expected, got, ["group"])
    for by, table in duck_tables.items():
        _same(table, bulletin(spark, by), ["group"])


def test_pbr_reconviction_events(national, spark):
    db, _ = national
    with DuckDBEngine(db, read_only=True) as duck:
        releases = duck.query("""SELECT person_id, release_date FROM disposal
                                 WHERE release_date BETWEEN DATE '2021-01-01' AND DATE '2021-12-31'""")
        assert len(releases) > 10_000  # about 17,000 releases in 2021 at a million people
        expected = count_reconviction_events(duck, releases)
    got = count_reconviction_events(spark, releases)
    assert expected["events"].sum() > 0
    _same(expected, got, ["person_id", "release_date"])


def test_linkage(national, spark, tmp_path):
    db, parquet = national
    paths = write_submission(db, "through-the-gate", tmp_path / "sub.csv", seed=3, size=1000)
    v = validate(paths["submission"])
    ok = v.rows[v.rows["status"] == "ok"]
    on_spark = link_submission(ok, parquet, engine="spark", spark=spark.spark)
    on_duck = link_submission(ok, db)
    q = linkage_quality(on_spark.links, pd.read_csv(paths["truth"]))
    assert q["precision"] >= 0.99 and q["recall"] >= 0.95, q
    both = on_duck.links.merge(on_spark.links, on="row", suffixes=("_duck", "_spark"))
    assert len(both) == len(on_duck.links) == len(on_spark.links)
    agree = (both["person_id_duck"].fillna(-1) == both["person_id_spark"].fillna(-1)).mean()
    assert agree >= 0.98, agree  # each engine draws its own sample to estimate u: 0.9903 in the 1M benchmark
