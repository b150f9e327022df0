import shutil

import pytest


@pytest.fixture(scope="session")
def spark_session():
    if not shutil.which("java"):
        pytest.fail("Java is needed for the Spark suite: run scripts/install-java")
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    from justicelab.engine.spark_engine import _splink_jar

    spark = (SparkSession.builder.master("local[2]").appName("justicelab-tests").config("spark.jars", _splink_jar())
             .config("spark.sql.shuffle.partitions", "2").config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    yield spark
    spark.stop()
