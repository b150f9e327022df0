"""Benchmark: DuckDB against Spark local mode, for the bulletin and for linkage, on one database.

    justicelab synth --people 1000000 --seed 1 --db n1m.duckdb && justicelab export --db n1m.duckdb --out p1m
    python benchmarks/bench_engines.py --db n1m.duckdb --parquet p1m [--size 1000] [--driver-memory 6g]

Prints wall and CPU seconds per step (CPU counts this process and, for Spark, its Java process). Spark's
session start-up is timed separately. Both engines' results are compared, so a fast wrong answer shows.
"""
from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from justicelab.data.synth.submission import write_submission
from justicelab.engine import DuckDBEngine
from justicelab.linkage.link import link_submission
from justicelab.measures.bulletin import national_statistics
from justicelab.submission.validate import validate


def _cpu_seconds(java_pid: int | None) -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    if java_pid:
        fields = Path(f"/proc/{java_pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class Clock:
    def __init__(self, java_pid: int | None = None):
        self.java_pid = java_pid

    def time(self, label: str, fn):
        wall, cpu = time.perf_counter(), _cpu_seconds(self.java_pid)
        result = fn()
        print(f"  {label:<34} {time.perf_counter() - wall:8.1f} s wall {_cpu_seconds(self.java_pid) - cpu:8.1f} s CPU",
              flush=True)
        return result


def _spark_engine(parquet: Path, driver_memory: str | None):
    from justicelab.engine.spark_engine import SparkEngine

    engine = SparkEngine(driver_memory=driver_memory)
    for path in sorted(parquet.glob("*.parquet")):
        engine.register_parquet(path.stem, str(path))
    return engine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", type=Path, required=True, help="the DuckDB database")
    ap.add_argument("--parquet", type=Path, required=True, help="its 'justicelab export'")
    ap.add_argument("--size", type=int, default=1000, help="rows in the submission to link")
    ap.add_argument("--driver-memory", default=None)
    ap.add_argument("--skip-bulletin", action="store_true")
    ap.add_argument("--skip-linkage", action="store_true")
    args = ap.parse_args()
    people = DuckDBEngine(args.db, read_only=True).query("SELECT count(*) AS n FROM person")["n"].iloc[0]
    print(f"{people:,} people; {os.cpu_count()} cores")

    duck_clock = Clock()
    if not args.skip_bulletin:
        print("DuckDB")
        with DuckDBEngine(args.db, read_only=True) as duck:
            duck_table, start, end = duck_clock.time("bulletin by region",
                                                     lambda: national_statistics(duck, by="region"))

    print("Spark (local mode)")
    t = time.perf_counter()
    spark = _spark_engine(args.parquet, args.driver_memory)
    java_pid = spark.spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    print(f"  {'session start-up':<34} {time.perf_counter() - t:8.1f} s wall")
    spark_clock = Clock(java_pid)
    if not args.skip_bulletin:
        spark_table, s2, e2 = spark_clock.time("bulletin by region",
                                               lambda: national_statistics(spark, by="region"))
        same = (start, end) == (s2, e2) and duck_table.reset_index(drop=True).astype(str).equals(
            spark_table.reset_index(drop=True).astype(str))
        print(f"  bulletins identical: {same}")

    if args.skip_linkage:
        spark.spark.stop()
        return
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_submission(args.db, "through-the-gate", Path(tmp) / "sub.csv", seed=1, size=args.size)
        v = validate(paths["submission"])
        ok = v.rows[v.rows["status"] == "ok"]
        print(f"Linkage of {len(ok)} submission rows")
        duck_links = duck_clock.time("linkage, DuckDB", lambda: link_submission(ok, args.db)).links
        spark_links = spark_clock.time("linkage, Spark", lambda: link_submission(
            ok, args.parquet, engine="spark", spark=spark.spark)).links
    both = duck_links.merge(spark_links, on="row", suffixes=("_duck", "_spark"))
    agree = (both["person_id_duck"].fillna(-1) == both["person_id_spark"].fillna(-1)).mean()
    print(f"  linkage decisions agreeing: {agree:.4f}")
    spark.spark.stop()


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    main()
