from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..errors import JusticeLabError
from .base import Dialect, Engine

MEMORY_ENV = "JUSTICELAB_SPARK_DRIVER_MEMORY"
MASTER_ENV = "JUSTICELAB_SPARK_MASTER"
MEMORY_HINT = f"raise --driver-memory (or {MEMORY_ENV}, e.g. 8g)"
# Small enough that a broadcast table fits many times over in a 1 GB driver; the planner's estimate for a
# Parquet file is its compressed size, several times smaller than the hash table built from it.
BROADCAST_LIMIT = "8MB"
# Spark's own logging prints Java stacks on stderr; the user gets one line from spark_errors() instead.
# JUSTICELAB_SPARK_LOG_LEVEL=warn (or info) brings the log back for debugging.
LOG_CONFIG = """rootLogger.level = ${env:JUSTICELAB_SPARK_LOG_LEVEL:-off}
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""


def _quiet_pandas_version_warning() -> None:
    """PySpark 4 warns that it does not fully support pandas 3 as soon as it converts any Python argument (its
    converter imports pyspark.testing.utils, which checks the pandas version). justicelab never uses PySpark's
    pandas conversions (to_spark/to_pandas go through Arrow), so that warning is about code we do not run."""
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)


def _splink_jar() -> str:
    """Splink's similarity UDFs (Jaro-Winkler and friends), shipped inside the splink package."""
    try:
        from splink.internals.spark.jar_location import similarity_jar_location
    except ImportError:  # pragma: no cover - splink is a dependency
        return ""
    return similarity_jar_location()


def physical_memory_bytes() -> int:
    """Memory this process may use: the machine's, or the container's limit when that is lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read().strip()
        if limit.isdigit():
            total = min(total, int(limit))
    except OSError:
        pass
    return total


def default_driver_memory(total_bytes: int | None = None) -> str:
    """A quarter of the machine (at least 1 GB, at most 64 GB): the driver is also the executor in local mode,
    and the rest is left to Python, the OS page cache and other users. JUSTICELAB_SPARK_DRIVER_MEMORY overrides."""
    if os.environ.get(MEMORY_ENV):
        return os.environ[MEMORY_ENV]
    total = physical_memory_bytes() if total_bytes is None else total_bytes
    gb = min(64, max(1, total // 4 // 2**30))
    return f"{gb}g"


def _log_config_file() -> str:
    path = Path(tempfile.gettempdir()) / "justicelab-spark-log4j2.properties"
    if not path.exists() or path.read_text() != LOG_CONFIG:
        path.write_text(LOG_CONFIG)
    return str(path)


def session_config(driver_memory: str | None = None, cores: int | None = None) -> dict[str, str]:
    """The settings a justicelab Spark session starts with (local mode or a cluster).

    Adaptive execution re-plans joins from measured sizes, so a table is broadcast only when it really is small
    (the static estimate is kept low); cached tables and shuffles spill to disk instead of failing.
    """
    memory = driver_memory or default_driver_memory()
    cores = cores or os.cpu_count() or 2
    return {
        "spark.driver.memory": memory,
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{_log_config_file()}",
        "spark.driver.maxResultSize": "0",  # results are bounded by driver memory, which the OOM message names
        "spark.jars": _splink_jar(),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.adaptive.skewJoin.enabled": "true",
        "spark.sql.autoBroadcastJoinThreshold": BROADCAST_LIMIT,
        "spark.sql.adaptive.autoBroadcastJoinThreshold": BROADCAST_LIMIT,
        "spark.sql.shuffle.partitions": str(max(8, 8 * cores)),  # AQE coalesces the small ones
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }


def _reachable(url: str, seconds: float = 10.0) -> None:
    """A Spark Connect client retries a dead server for minutes: check the port answers first."""
    import socket
    from urllib.parse import urlparse

    where = urlparse(url.split(";", 1)[0])
    host, port = where.hostname or "localhost", where.port or 15002
    try:
        socket.create_connection((host, port), timeout=seconds).close()
    except OSError as exc:
        raise JusticeLabError(f"cannot reach the Spark Connect server at {host}:{port} ({exc.strerror or exc}): "
                              "is it running? (docs/spark.md)") from exc


def start_session(master: str | None = None, driver_memory: str | None = None, app_name: str = "justicelab"):
    """A Spark session: local[*] by default, a cluster for spark://, yarn, k8s://..., Spark Connect for sc://.

    Every kind goes through this one function, so local runs test the cluster code path.
    """
    if not shutil.which("java") and not os.environ.get("JAVA_HOME") and not (master or "").startswith("sc://"):
        raise JusticeLabError("Spark needs Java: run scripts/install-java (or install a JRE 17+)")
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on install
        raise JusticeLabError("Spark engine needs PySpark: pip install 'justicelab[spark]'") from exc
    _quiet_pandas_version_warning()
    logging.getLogger("py4j").setLevel(logging.CRITICAL)  # a dead JVM is reported once, by spark_errors()
    # Spark Connect's client logs every failed query with the server's Java stack: reported once, by spark_errors()
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    submitted = not master and "PYSPARK_GATEWAY_PORT" in os.environ  # launched by spark-submit
    master = master or os.environ.get(MASTER_ENV) or "local[*]"
    builder = SparkSession.builder.appName(app_name)
    sql_only = {k: v for k, v in session_config(driver_memory).items() if k.startswith("spark.sql.")}
    if submitted:  # spark-submit already chose master, memory and jars
        config = sql_only
    elif master.startswith("sc://"):
        try:
            import grpc  # noqa: F401 - Spark Connect's client transport
        except ImportError as exc:
            raise JusticeLabError("a Spark Connect (sc://) master needs: pip install 'pyspark[connect]'") from exc
        _reachable(master)
        builder = builder.remote(master)  # the server owns memory and jars; only SQL settings travel
        config = sql_only
    else:
        builder = builder.master(master)
        config = session_config(driver_memory)
    for key, value in config.items():
        builder = builder.config(key, value)
    with spark_errors():
        session = builder.getOrCreate()
        if not master.startswith("sc://"):  # PySpark resets the level to WARN once the context starts
            session.sparkContext.setLogLevel(os.environ.get("JUSTICELAB_SPARK_LOG_LEVEL", "OFF").upper())
    return session


OUT_OF_MEMORY = ("OutOfMemoryError", "Java heap space", "Not enough memory to build and broadcast",
                 "GC overhead limit exceeded", "must be at least", "Unable to acquire")
# A local JVM that dies mid-query (an out-of-memory error in a task stops it) leaves only a broken connection.
JAVA_GONE = ("Answer from Java side is empty", "SparkContext was shut down", "Error while receiving",
             "Py4JNetworkError", "Cannot call methods on a stopped SparkContext", "ConnectionRefusedError",
             "ConnectionResetError")


def _from_spark(exc: BaseException) -> bool:
    """Raised by PySpark or py4j (a dead JVM shows as a plain ConnectionRefusedError from py4j's socket)."""
    if (type(exc).__module__ or "").startswith(("py4j", "pyspark")):
        return True
    tb = exc.__traceback__
    while tb is not None:
        if any(part in tb.tb_frame.f_code.co_filename for part in ("/py4j/", "/pyspark/")):
            return True
        tb = tb.tb_next
    return False


@contextmanager
def spark_errors():
    """Turn Spark's Java errors into one line: out of memory names the setting to change."""
    try:
        yield
    except JusticeLabError:
        raise
    except Exception as exc:
        if not _from_spark(exc):
            raise
        text = f"{type(exc).__name__}: {exc}"
        if any(m in text for m in OUT_OF_MEMORY):
            raise JusticeLabError(f"Spark ran out of memory: {MEMORY_HINT}, or run on a cluster "
                                  f"(--spark-master)") from None
        if any(m in text for m in JAVA_GONE):
            raise JusticeLabError(f"Spark's Java process stopped, most often because it ran out of memory: "
                                  f"{MEMORY_HINT}") from None
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        # py4j's first line only names the call ("An error occurred while calling o83.parquet."); the Java
        # exception, which says what went wrong and with which file, follows on a line beginning ": "
        first = next((line[1:].strip() for line in lines if line.startswith(": ")), lines[0] if lines else
                     type(exc).__name__)
        raise JusticeLabError(f"Spark failed: {first[:300]}") from None


class SparkDialect(Dialect):
    name = "spark"

    def add_days(self, date_expr: str, days: str | int) -> str:
        return f"date_add({date_expr}, CAST({days} AS INT))"

    def days_between(self, start: str, end: str) -> str:
        return f"datediff({end}, {start})"

    def type_name(self, sql_type: str) -> str:
        return "STRING" if sql_type == "VARCHAR" else sql_type

    def replace_all(self, expr: str, pattern: str, replacement: str) -> str:
        return f"regexp_replace({expr}, '{pattern}', '{replacement}')"  # Spark replaces every match

    def yyyymmdd(self, date_expr: str) -> str:
        return f"date_format({date_expr}, 'yyyyMMdd')"

    jaro_winkler = "jaro_winkler"  # Splink's similarity UDF, registered by its SparkAPI


def to_spark(spark, frame: pd.DataFrame):
    """A pandas frame as a Spark DataFrame, through Arrow (PySpark's pandas paths warn under pandas 3)."""
    import pyarrow as pa

    if frame.empty:  # Spark cannot infer types from no rows: text columns, cast by register_typed
        from pyspark.sql.types import StringType, StructField, StructType

        return spark.createDataFrame([], StructType([StructField(str(c), StringType()) for c in frame.columns]))
    return spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False))


def to_pandas(frame) -> pd.DataFrame:
    """A Spark DataFrame as pandas, through Arrow; dates stay datetime.date as with toPandas()."""
    with spark_errors():
        return frame.toArrow().to_pandas()


class SparkEngine(Engine):
    """PySpark, for data that outgrows one machine. Local mode unless a master (or sc:// URL) is given."""

    def __init__(self, master: str | None = None, app_name: str = "justicelab", spark=None,
                 driver_memory: str | None = None):
        _quiet_pandas_version_warning()
        self.spark = spark if spark is not None else start_session(master, driver_memory, app_name)
        self.dialect = SparkDialect()
        self._cached: dict = {}

    def register(self, name: str, frame: pd.DataFrame) -> None:
        with spark_errors():
            to_spark(self.spark, frame).createOrReplaceTempView(name)

    def register_parquet(self, name: str, path: str) -> None:
        with spark_errors():
            self.spark.read.parquet(path).createOrReplaceTempView(name)

    def create_table(self, name: str, sql: str, materialise: bool = True) -> None:
        with spark_errors():
            frame = self.spark.sql(sql)
            if materialise:
                frame = frame.cache()
            frame.createOrReplaceTempView(name)
            old = self._cached.pop(name, None)
            if old is not None:  # a replaced step's cache would otherwise hold memory until the session ends
                old.unpersist()
            if materialise:
                self._cached[name] = frame

    def query(self, sql: str) -> pd.DataFrame:
        with spark_errors():
            return to_pandas(self.spark.sql(sql))

    def has_table(self, name: str) -> bool:
        return self.spark.catalog.tableExists(name)

    def close(self) -> None:
        pass  # the session is shared; stopping it is the caller's choice
