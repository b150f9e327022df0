import shutil

import pytest


@pytest.fixture(scope="session")
def spark_session():
    if not shutil.which("java"):
        pytest.fail("Java is needed for the Spark suite: run scripts/install-java")
    pytest.importorskip("pyspark")
    from justicelab.engine.spark_engine import start_session

    spark = start_session("local[2]", app_name="justicelab-tests")  # the CLI's own settings and code path
    yield spark
    spark.stop()
