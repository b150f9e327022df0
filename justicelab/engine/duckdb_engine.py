from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from .base import Dialect, Engine


class DuckDBEngine(Engine):
    """The embedded default: one DuckDB file (or memory)."""

    def __init__(self, path: str | Path | None = None, read_only: bool = False, threads: int | None = None):
        self.path = str(path) if path else ":memory:"
        self.con = duckdb.connect(self.path, read_only=read_only)
        self.con.execute(f"SET threads={threads or os.cpu_count() or 2}")
        self.con.execute("SET preserve_insertion_order=true")
        self.dialect = Dialect()

    def register(self, name: str, frame) -> None:
        self.con.register(f"__frame_{name}", frame)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM __frame_{name}")
        self.con.unregister(f"__frame_{name}")

    def create_table(self, name: str, sql: str, materialise: bool = True) -> None:
        kind = "TEMP TABLE" if materialise else "TEMP VIEW"
        self.con.execute(f"CREATE OR REPLACE {kind} {name} AS {sql}")

    def query(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def has_table(self, name: str) -> bool:
        return bool(self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? UNION ALL "
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [name, name]).df().iloc[:, 0].sum())

    def close(self) -> None:
        self.con.close()
