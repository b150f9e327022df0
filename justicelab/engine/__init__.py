"""The engine interface: the same SQL steps run on DuckDB (default) or Spark.

Like Splink's database APIs, an engine only registers tables, runs SQL and returns frames; the
dialect differences (date arithmetic) are confined to `Dialect`.
"""
from .base import Engine, Step, run_steps
from .duckdb_engine import DuckDBEngine

# Spark: justicelab.engine.spark_engine.SparkEngine, imported only where it is used (PySpark and Java are
# optional). A factory of the same name here was shadowed by that module once it was imported.

__all__ = ["Engine", "Step", "run_steps", "DuckDBEngine"]
