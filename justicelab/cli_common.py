"""What every command group's CLI shares: opening the engine a command runs on (DuckDB or Spark) and its
options. Kept apart from cli.py so the group modules (cli_local, cli_employment) can import it at load time."""
from __future__ import annotations

from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Optional

import typer

from .errors import JusticeLabError

ENGINE_OPTION = typer.Option("duckdb", "--engine", help="duckdb, or spark (--db is then a folder of Parquet "
                             "files from 'justicelab export').")
SPARK_MASTER_OPTION = typer.Option(None, "--spark-master", help="With --engine spark: local[*] (default), "
                                   "spark://host:7077, yarn, k8s://... or a Spark Connect sc://host:15002 URL.")
DRIVER_MEMORY_OPTION = typer.Option(None, "--driver-memory", help="With --engine spark: driver memory, e.g. 8g "
                                    "(default a quarter of this machine; env JUSTICELAB_SPARK_DRIVER_MEMORY).")


@contextmanager
def open_engine(db: Path, engine_name: str, spark_master: Optional[str] = None, driver_memory: Optional[str] = None):
    from .data.db import check_database_file, require_database
    from .engine import DuckDBEngine

    require_database(db)
    if engine_name == "duckdb":
        if db.is_dir():
            raise JusticeLabError(f"{db} is a folder: use --engine spark, or 'justicelab load' it into DuckDB")
        check_database_file(db)
        engine = DuckDBEngine(db, read_only=True)
    elif engine_name == "spark":
        if not db.is_dir():
            raise JusticeLabError("with --engine spark, --db is a folder of Parquet files ('justicelab export')")
        from .engine.spark_engine import SparkEngine

        engine = SparkEngine(master=spark_master, driver_memory=driver_memory)
        for path in sorted(db.glob("*.parquet")):
            engine.register_parquet(path.stem, str(path))
    else:
        raise JusticeLabError("--engine must be duckdb or spark")
    try:
        with spark_errors_for(engine_name):
            yield engine
    finally:
        engine.close()


def spark_errors_for(engine_name: str):
    """Spark's Java errors as one line (out of memory names --driver-memory); a no-op for DuckDB."""
    if engine_name != "spark":
        return nullcontext()
    from .engine.spark_engine import spark_errors

    return spark_errors()
