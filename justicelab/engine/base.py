from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable

import pandas as pd


class Dialect:
    """SQL fragments that differ between engines. DuckDB spelling by default."""

    name = "duckdb"

    def add_days(self, date_expr: str, days: str | int) -> str:
        return f"CAST(({date_expr}) + CAST({days} AS INTEGER) AS DATE)"

    def days_between(self, start: str, end: str) -> str:
        """Whole days from start to end (end - start)."""
        return f"date_diff('day', {start}, {end})"

    def type_name(self, sql_type: str) -> str:
        return sql_type

    def replace_all(self, expr: str, pattern: str, replacement: str) -> str:
        """Replace every match of a regular expression."""
        return f"regexp_replace({expr}, '{pattern}', '{replacement}', 'g')"

    def yyyymmdd(self, date_expr: str) -> str:
        return f"strftime({date_expr}, '%Y%m%d')"

    jaro_winkler = "jaro_winkler_similarity"


@dataclass(frozen=True)
class Step:
    """One named SQL step; `sql` may be a function of the dialect so each engine gets its own spelling."""

    name: str
    sql: str | Callable[[Dialect], str]
    materialise: bool = True

    def render(self, dialect: Dialect) -> str:
        return self.sql(dialect) if callable(self.sql) else self.sql


class Engine(ABC):
    dialect: Dialect

    @abstractmethod
    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a pandas frame available to SQL as a table called `name`."""

    def register_typed(self, name: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
        """Register a frame with each column cast to its schema type (pandas has no DATE type)."""
        self.register(f"raw_{name}", frame)
        cols = ", ".join(f"CAST({c} AS {self.dialect.type_name(t)}) AS {c}" for c, t in types.items())
        self.create_table(name, f"SELECT {cols} FROM raw_{name}")

    @abstractmethod
    def create_table(self, name: str, sql: str, materialise: bool = True) -> None:
        """Create (or replace) table or view `name` from a SELECT."""

    @abstractmethod
    def query(self, sql: str) -> pd.DataFrame:
        """Run a SELECT and return the result as pandas."""

    @abstractmethod
    def has_table(self, name: str) -> bool: ...

    def close(self) -> None:  # pragma: no cover - trivial default
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_steps(engine: Engine, steps: list[Step]) -> None:
    """Run a pipeline; every step leaves a table you can inspect."""
    for step in steps:
        engine.create_table(step.name, step.render(engine.dialect), step.materialise)
