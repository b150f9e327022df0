"""The bulletin on Spark (from a Parquet export) equals the bulletin on DuckDB."""
import pandas as pd
import pytest

from justicelab.data.db import write_database
from justicelab.data.load import export_folder
from justicelab.data.synth.generator import SynthConfig, generate
from justicelab.engine import DuckDBEngine
from justicelab.measures.bulletin import national_statistics


@pytest.mark.spark
def test_bulletin_identical_on_spark(spark_session, tmp_path):
    from justicelab.engine.spark_engine import SparkEngine

    db = tmp_path / "db.duckdb"
    write_database(db, generate(SynthConfig(people=15_000, seed=9)))
    export_folder(db, tmp_path / "parquet", "parquet")
    spark = SparkEngine(spark=spark_session)
    for path in (tmp_path / "parquet").glob("*.parquet"):
        spark.register_parquet(path.stem, str(path))
    for by in (None, "region", "sentence", "quarter", "sex"):
        with DuckDBEngine(db, read_only=True) as duck:
            expected, start, end = national_statistics(duck, by=by)
        got, s2, e2 = national_statistics(spark, by=by)
        assert (start, end) == (s2, e2)
        pd.testing.assert_frame_equal(expected.reset_index(drop=True), got.reset_index(drop=True), check_dtype=False)
