"""Spark's settings and failures: sized from the machine, one-line errors naming the setting to change."""
import os
import subprocess
import sys

import pytest

from justicelab.engine.spark_engine import BROADCAST_LIMIT, MEMORY_ENV, default_driver_memory, session_config
from justicelab.errors import JusticeLabError

pytestmark = pytest.mark.spark  # the default suite stays as it was


def test_driver_memory_is_a_quarter_of_the_machine(monkeypatch):
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    assert default_driver_memory(24 * 2**30) == "6g"  # this project's 2-core, 24 GB machine
    assert default_driver_memory(2 * 2**30) == "1g"  # never below Spark's working minimum
    assert default_driver_memory(1024 * 2**30) == "64g"
    monkeypatch.setenv(MEMORY_ENV, "3g")
    assert default_driver_memory(24 * 2**30) == "3g"
    assert session_config()["spark.driver.memory"] == "3g"
    assert session_config("12g")["spark.driver.memory"] == "12g"


def test_broadcast_only_for_small_tables():
    config = session_config("2g", cores=2)
    assert config["spark.sql.adaptive.enabled"] == "true"
    for key in ("spark.sql.autoBroadcastJoinThreshold", "spark.sql.adaptive.autoBroadcastJoinThreshold"):
        assert config[key] == BROADCAST_LIMIT
    assert int(BROADCAST_LIMIT.removesuffix("MB")) <= 10  # Spark's own default, never raised


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)


def test_cli_names_the_memory_setting_when_it_is_too_small(tmp_path):
    """A driver too small to start gives one line naming --driver-memory, never a Java stack."""
    from justicelab.data.db import write_database
    from justicelab.data.load import export_folder
    from justicelab.data.synth.generator import SynthConfig, generate

    db = tmp_path / "db.duckdb"
    write_database(db, generate(SynthConfig(people=1_000, seed=2)))
    export_folder(db, tmp_path / "parquet", "parquet")
    done = subprocess.run([sys.executable, "-m", "justicelab.cli", "stats", "--engine", "spark", "--spark-master",
                           "local[1]", "--db", str(tmp_path / "parquet"), "--driver-memory", "100m"],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "300"})
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "--driver-memory" in last and MEMORY_ENV in last, done.stderr
    for noise in ("Traceback", "Py4JJavaError", "\tat org.apache", "unexpected"):
        assert noise not in done.stderr, done.stderr


def test_heap_exhausted_is_one_line():
    """Collecting far more than a 512 MB driver holds runs Java out of heap: the error says what to raise."""
    done = _run("""
from justicelab.engine.spark_engine import SparkEngine
from justicelab.errors import JusticeLabError
engine = SparkEngine(master="local[1]", driver_memory="512m")
try:
    engine.query("SELECT id, repeat('x', 400) AS pad FROM range(6000000)")
except JusticeLabError as exc:
    print("ERROR:", exc)
else:
    print("NO ERROR")
""")
    assert "ERROR: Spark" in done.stdout and "out of memory" in done.stdout, (done.stdout, done.stderr[-2000:])
    assert "--driver-memory" in done.stdout and MEMORY_ENV in done.stdout
    assert "Traceback" not in done.stderr and "Py4J" not in done.stderr, done.stderr[-2000:]


def _py4j_error(name: str) -> type:
    """An exception class that looks like py4j's (same name and module) without needing a JVM."""
    return type(name, (Exception,), {"__module__": "py4j.protocol"})


@pytest.mark.parametrize("name, text, expected", [
    ("Py4JJavaError", "An error occurred\njava.lang.OutOfMemoryError: Java heap space\n\tat org.apache",
     "^Spark ran out of memory: raise --driver-memory"),
    ("Py4JJavaError", "An error occurred\n\tat org.apache.spark.Thing", "^Spark failed: An error occurred$"),
    ("Py4JJavaError", "An error occurred while calling o83.parquet.\n: org.apache.spark.SparkException: "
     "[FAILED_READ_FILE.CANNOT_READ_FILE_FOOTER] Encountered error while reading file file:/x/offence.parquet.\n"
     "\tat org.apache.spark.Thing", r"^Spark failed: org\.apache\.spark\.SparkException: \[FAILED_READ_FILE.*/x/offence"),
    ("Py4JNetworkError", "Answer from Java side is empty", "Java process stopped.*--driver-memory"),
])
def test_java_errors_become_one_line(name, text, expected):
    from justicelab.engine.spark_engine import spark_errors

    with pytest.raises(JusticeLabError, match=expected):
        with spark_errors():
            raise _py4j_error(name)(text)


def test_our_own_errors_are_not_disguised_as_sparks():
    from justicelab.engine.spark_engine import spark_errors

    with pytest.raises(KeyError):
        with spark_errors():
            raise KeyError("x")


def test_frames_cross_through_arrow_not_pysparks_pandas_paths(spark_session, monkeypatch):
    """PySpark's pandas conversions are the ones it warns about under pandas 3: the engine must not reach them."""
    import datetime

    import pandas as pd
    import pyspark.sql.pandas.utils as utils

    from justicelab.engine.spark_engine import SparkEngine

    def refuse():
        raise AssertionError("PySpark's pandas conversion was used")

    monkeypatch.setattr(utils, "require_minimum_pandas_version", refuse)
    engine = SparkEngine(spark=spark_session)
    frame = pd.DataFrame({"person_id": [3, 1, 2], "name": ["Ann", None, "Bo"],
                          "born": [datetime.date(1980, 2, 29), datetime.date(1999, 12, 31), None],
                          "score": [0.5, float("nan"), 2.25]})
    engine.register_typed("people", frame, {"person_id": "BIGINT", "name": "VARCHAR", "born": "DATE",
                                            "score": "DOUBLE"})
    back = engine.query("SELECT * FROM people ORDER BY person_id")
    assert back["person_id"].tolist() == [1, 2, 3]
    assert back["name"].tolist()[1:] == ["Bo", "Ann"] and pd.isna(back["name"].iloc[0])
    assert back["born"].tolist()[0] == datetime.date(1999, 12, 31) and pd.isna(back["born"].iloc[1])
    assert back["score"].iloc[1:].tolist() == [2.25, 0.5] and pd.isna(back["score"].iloc[0])
    engine.register("nobody", frame.iloc[:0])
    assert engine.query("SELECT count(*) AS n FROM nobody")["n"].iloc[0] == 0
