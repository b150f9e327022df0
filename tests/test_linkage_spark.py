"""The same linkage on Spark (Splink's Spark backend over a Parquet export) as on DuckDB."""
import pandas as pd
import pytest

from justicelab.data.load import export_folder
from justicelab.data.synth.submission import write_submission
from justicelab.linkage.link import link_submission
from justicelab.linkage.quality import linkage_quality
from justicelab.linkage.treatment import build_treatment_group
from justicelab.submission.validate import validate
from tests.fixtures import synthetic_db


@pytest.mark.spark
def test_spark_linkage_agrees_with_duckdb(spark_session, tmp_path_factory, tmp_path):
    db = synthetic_db(tmp_path_factory, 60_000, 31)
    export_folder(db, tmp_path / "parquet", "parquet")
    paths = write_submission(db, "through-the-gate", tmp_path / "sub.csv", seed=4)
    v = validate(paths["submission"])
    ok = v.rows[v.rows["status"] == "ok"]
    spark = link_submission(ok, tmp_path / "parquet", engine="spark", spark=spark_session)
    duck = link_submission(ok, db)
    truth = pd.read_csv(paths["truth"])
    q = linkage_quality(spark.links, truth)
    assert q["precision"] >= 0.99 and q["recall"] >= 0.95, q
    both = spark.links.merge(duck.links, on="row", suffixes=("_spark", "_duck"))
    agree = (both["person_id_spark"].fillna(-1) == both["person_id_duck"].fillna(-1)).mean()
    assert agree >= 0.97
    group_parquet = build_treatment_group(tmp_path / "parquet", v.rows, spark.links)
    group_duck = build_treatment_group(db, v.rows, spark.links)
    assert group_parquet.attrition.equals(group_duck.attrition)
