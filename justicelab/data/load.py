"""`justicelab load`: real (or exported) data into the database, checked against the schema first.

Every file is read as text into DuckDB and checked there, so the messages can name the file, the row
(1 = first data row), the column and the problem. Nothing is written unless every table passes.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from ..errors import DataError, JusticeLabError
from .schema import CORE_TABLES, OPTIONAL_TABLES, TABLES, Column, Table, create_table_sql

MAX_PROBLEMS_PER_CHECK = 5
TYPE_HINT = {"DATE": "a date (YYYY-MM-DD)", "BIGINT": "a whole number", "INTEGER": "a whole number",
             "DOUBLE": "a number", "BOOLEAN": "true or false"}


def _find_file(folder: Path, table: str) -> Path | None:
    for ext in (".parquet", ".csv"):
        if (folder / f"{table}{ext}").exists():
            return folder / f"{table}{ext}"
    return None


def _stage(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> None:
    """Read a file as text, with its row number, into staging table stage_<name>."""
    if path.suffix == ".csv":
        source = "read_csv(?, header=true, all_varchar=true, auto_detect=true)"
    else:
        source = "read_parquet(?)"
    try:  # the path is a parameter, never spliced into SQL (a folder may be called D09_men's-prisons)
        con.execute(f"CREATE OR REPLACE TEMP TABLE raw_{table.name} AS SELECT * FROM {source}", [str(path)])
    except duckdb.Error as exc:
        raise DataError([f"cannot be read ({str(exc).splitlines()[0]})"], str(path)) from None
    have = [r[0] for r in con.execute(f"DESCRIBE raw_{table.name}").fetchall()]
    missing = [c for c in table.column_names if c not in have]
    if missing:
        raise DataError([f"missing column(s) {', '.join(missing)}"], str(path))
    cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in table.column_names)
    con.execute(f"CREATE OR REPLACE TEMP TABLE stage_{table.name} AS "
                f"SELECT row_number() OVER () AS __row, {cols} FROM raw_{table.name}")


def _column_checks(table: Table, c: Column) -> list[tuple[str, str]]:
    """(SQL condition that marks a bad row, problem text) for one column."""
    v, checks = f'"{c.name}"', []
    blank = f"({v} IS NULL OR trim({v}) = '')"
    if c.required:
        checks.append((blank, "is empty but required"))
    if c.type != "VARCHAR":
        checks.append((f"NOT {blank} AND TRY_CAST({v} AS {c.type}) IS NULL", f"is not {TYPE_HINT[c.type]}"))
    if c.allowed:
        allowed = ", ".join("'" + a.replace("'", "''") + "'" for a in c.allowed)
        checks.append((f"NOT {blank} AND {v} NOT IN ({allowed})", f"is not one of {', '.join(c.allowed)}"))
    if c.minimum is not None:
        checks.append((f"TRY_CAST({v} AS DOUBLE) < {c.minimum}", f"is below the minimum {c.minimum:g}"))
    if c.maximum is not None:
        checks.append((f"TRY_CAST({v} AS DOUBLE) > {c.maximum}", f"is above the maximum {c.maximum:g}"))
    if c.pattern:
        checks.append((f"NOT {blank} AND NOT regexp_full_match({v}, '{c.pattern}')", "is not in the expected format"))
    return checks


def _problems(con: duckdb.DuckDBPyConnection, table: Table, path: Path, loaded: set[str]) -> list[str]:
    out = []
    for c in table.columns:
        for condition, text in _column_checks(table, c):
            rows = con.execute(f'SELECT __row, "{c.name}" FROM stage_{table.name} WHERE {condition} '
                               f"ORDER BY __row LIMIT {MAX_PROBLEMS_PER_CHECK}").fetchall()
            out += [f"{path.name} row {r}, column {c.name}: {val!r} {text}" for r, val in rows]
    if table.primary_key:
        key = ", ".join(f'"{k}"' for k in table.primary_key)
        rows = con.execute(f"SELECT min(__row), max(__row), {key} FROM stage_{table.name} GROUP BY {key} "
                           f"HAVING count(*) > 1 ORDER BY 1 LIMIT {MAX_PROBLEMS_PER_CHECK}").fetchall()
        out += [f"{path.name} row {b}, column {', '.join(table.primary_key)}: duplicate of row {a}" for a, b, *_ in rows]
    for col, ref in table.foreign_keys.items():
        ref_table, ref_col = ref.split(".")
        if ref_table not in loaded:
            continue
        rows = con.execute(f'SELECT s.__row, s."{col}" FROM stage_{table.name} s ANTI JOIN stage_{ref_table} r '
                           f'ON s."{col}" = r."{ref_col}" ORDER BY 1 LIMIT {MAX_PROBLEMS_PER_CHECK}').fetchall()
        out += [f"{path.name} row {r}, column {col}: {v!r} has no match in {ref}" for r, v in rows]
    return out


def load_folder(folder: str | Path, db_path: str | Path, replace: bool = False) -> dict[str, int]:
    """Validate every table's file in `folder`, then write them all to `db_path`. Returns row counts."""
    folder, db_path = Path(folder), Path(db_path)
    if not folder.is_dir():
        raise JusticeLabError(f"{folder} is not a folder of table files")
    files = {t.name: _find_file(folder, t.name) for t in CORE_TABLES}
    absent = [n for n, f in files.items() if f is None]
    if absent:
        raise JusticeLabError(f"{folder}: no file for table(s) {', '.join(absent)} (expected NAME.parquet or NAME.csv)")
    files.update({t.name: f for t in OPTIONAL_TABLES if (f := _find_file(folder, t.name)) is not None})
    if db_path.exists() and not replace:
        raise JusticeLabError(f"{db_path} exists; pass --replace to overwrite it")
    con = duckdb.connect()
    problems: list[str] = []
    for name, path in files.items():
        _stage(con, TABLES[name], path)
    for name, path in files.items():
        problems += _problems(con, TABLES[name], path, set(files))
    if problems:
        raise DataError(problems, str(folder))
    if db_path.exists():
        db_path.unlink()
    con.execute("ATTACH ? AS target", [str(db_path)])
    counts = {}
    for name in files:
        table = TABLES[name]
        con.execute(create_table_sql(table).replace(f"CREATE TABLE {name}", f"CREATE TABLE target.{name}", 1))
        cols = ", ".join(f'CAST(NULLIF(trim("{c.name}"), \'\') AS {c.type})' for c in table.columns)
        con.execute(f"INSERT INTO target.{name} SELECT {cols} FROM stage_{name} ORDER BY __row")
        counts[name] = con.execute(f"SELECT count(*) FROM target.{name}").fetchall()[0][0]
    con.execute("DETACH target")
    con.close()
    return counts


def export_folder(db_path: str | Path, folder: str | Path, fmt: str = "parquet") -> list[Path]:
    """Write each table of a database to NAME.parquet or NAME.csv (the input of `load` and of Spark)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path), read_only=True)
    names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall()]
    out = []
    for name in names:
        path = folder / f"{name}.{fmt}"
        option = "(FORMAT parquet)" if fmt == "parquet" else "(HEADER, DELIMITER ',')"
        con.execute(f"COPY {name} TO ? {option}", [str(path)])
        out.append(path)
    con.close()
    return out
