"""The embedded database: one DuckDB file holding the schema's tables."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from ..errors import JusticeLabError
from .schema import TABLES, create_table_sql


def write_database(path: str | Path, tables: dict[str, pd.DataFrame], replace: bool = True) -> None:
    """Create the schema and insert the frames, in their row order (so the same frames give the same file)."""
    path = Path(path)
    if path.exists():
        if not replace:
            raise JusticeLabError(f"{path} exists; pass --replace to overwrite it")
        path.unlink()
        Path(str(path) + ".wal").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("SET preserve_insertion_order = true")
        for name, frame in tables.items():
            table = TABLES[name]
            con.execute(create_table_sql(table))
            con.register("__incoming", frame[table.column_names])
            con.execute(f"INSERT INTO {name} SELECT * FROM __incoming")
            con.unregister("__incoming")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def require_database(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise JusticeLabError(f"no database at {path}: create one with 'justicelab synth' or 'justicelab load'")
    return path
