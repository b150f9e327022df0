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


MAKE_ONE = "create one with 'justicelab synth' or 'justicelab load FOLDER'"


def require_database(path: str | Path) -> Path:
    """A --db that exists and, if it is a file, is a DuckDB file (a folder is Parquet for Spark)."""
    path = Path(path)
    if not path.exists():
        raise JusticeLabError(f"no database at {path}: {MAKE_ONE}")
    if path.is_file():
        with open(path, "rb") as f:
            head = f.read(12)
        if not head:
            raise JusticeLabError(f"{path} is an empty file, not a database: {MAKE_ONE}")
        if head[8:12] != b"DUCK":  # every DuckDB file carries this mark after its checksum
            kind = "a CSV file, not a database" if path.suffix.lower() in (".csv", ".txt") else "not a DuckDB database"
            raise JusticeLabError(f"{path} is {kind}: {MAKE_ONE}")
    return path


def check_database_file(path: str | Path) -> Path:
    """A DuckDB --db with the schema's tables; otherwise one line saying what is missing."""
    from .schema import CORE_TABLES

    path = require_database(path)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise JusticeLabError(f"{path} cannot be opened as a DuckDB database ({str(exc).splitlines()[0]})") from None
    try:
        have = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    missing = [t.name for t in CORE_TABLES if t.name not in have]
    if missing:
        raise JusticeLabError(f"{path} is a DuckDB database without the table(s) {', '.join(missing)}: {MAKE_ONE}")
    return path


ANALYSIS_TABLES = ("person", "disposal", "offence", "assessment", "benefit_spell", "employment_spell")


def attach_tables(con: duckdb.DuckDBPyConnection, db_path: str | Path,
                  tables: tuple[str, ...] = ANALYSIS_TABLES) -> None:
    """Make a database's tables visible by name on a DuckDB connection, read-only: schema `jdl` holds
    them (a DuckDB file, or a folder of Parquet files as `justicelab export` writes) and plain views
    point at it, so the measures' SQL runs unchanged."""
    path = Path(db_path)
    if path.is_dir():
        con.execute("CREATE SCHEMA jdl")
        for table in tables:
            # a view cannot hold a parameter: the path is a SQL string literal, its quotes doubled
            literal = str(path / f"{table}.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW jdl.{table} AS SELECT * FROM read_parquet('{literal}')")
    else:
        con.execute("ATTACH ? AS jdl (READ_ONLY)", [str(path)])
    for table in tables:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM jdl.{table}")


def restrict_to_snapshot(con: duckdb.DuckDBPyConnection, as_of: str) -> None:
    """Replace the views of `attach_tables` with what the database knew on `as_of` (an ISO date): records
    made later disappear, releases not yet happened are empty, open spells stay open. Statements computed
    "as of" a date then see exactly the data a commissioner would have had that day."""
    day = f"DATE '{as_of}'"
    views = {
        "person": "SELECT * FROM jdl.person",
        "disposal": f"""SELECT * REPLACE (CASE WHEN release_date <= {day} THEN release_date END AS release_date)
                        FROM jdl.disposal WHERE disposal_date <= {day}""",
        "offence": f"SELECT * FROM jdl.offence WHERE proven_date <= {day}",
        "assessment": f"SELECT * FROM jdl.assessment WHERE assessment_date <= {day}",
    }
    for spell in ("benefit_spell", "employment_spell"):
        views[spell] = f"""SELECT * REPLACE (CASE WHEN end_date <= {day} THEN end_date END AS end_date)
                           FROM jdl.{spell} WHERE start_date <= {day}"""
    for name, sql in views.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")


def snapshot_date(con: duckdb.DuckDBPyConnection) -> str:
    """The date the database runs to: its latest recorded proven date (ISO)."""
    return str(con.execute("SELECT max(proven_date) FROM jdl.offence").fetchall()[0][0])
