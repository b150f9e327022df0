"""The engine interface: the same SQL steps run on DuckDB (default) or Spark.

Like Splink's database APIs, an engine only registers tables, runs SQL and returns frames; the
dialect differences (date arithmetic) are confined to `Dialect`.
"""
from .base import Engine, Step, run_steps
from .duckdb_engine import DuckDBEngine


def spark_engine(**kwargs) -> Engine:
    from .spark_engine import SparkEngine

    return SparkEngine(**kwargs)


__all__ = ["Engine", "Step", "run_steps", "DuckDBEngine", "spark_engine"]
