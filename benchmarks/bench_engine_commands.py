"""Benchmark: `justicelab employment timelines|reoffending` and `justicelab local report` on DuckDB and on Spark
local mode.

    justicelab synth --people 200000 --seed 1 --db n200k.duckdb && justicelab export --db n200k.duckdb --out p200k
    python benchmarks/bench_engine_commands.py --db n200k.duckdb --parquet p200k [--driver-memory 3g]

Each command runs through the CLI's own entry point in this process (`--engine spark` reuses the session
started first, whose start-up is timed separately). Prints wall and CPU seconds per command (CPU counts this
process and Spark's Java process, as bench_engines.py) and whether both engines wrote the same results.json.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench_engines import Clock  # the same clock as the bulletin and linkage benchmark

from justicelab.cli import main

COMMANDS = {
    "employment timelines": ["employment", "timelines"],
    "employment reoffending (database)": ["employment", "reoffending"],
    "local report (Southwark, demand)": ["local", "report", "--by", "probation_region,local_authority", "--area",
                                         "local_authority=Southwark", "--from", "2019-01-01", "--to", "2019-12-31",
                                         "--baseline-from", "2017-01-01", "--baseline-to", "2017-12-31", "--no-pdf"],
}


def _figures(folder: Path) -> str:
    """results.json without the input's name and hash, numbers to 9 significant digits."""
    results = json.loads((folder / "results.json").read_text())
    for key in ("inputs", "database_sha256"):
        results["provenance"].pop(key, None)
    return json.dumps(_rounded(results), sort_keys=True)


def _rounded(x):
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    return float(f"{x:.9g}") if isinstance(x, float) else x


def main_() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", type=Path, required=True, help="the DuckDB database")
    ap.add_argument("--parquet", type=Path, required=True, help="its 'justicelab export'")
    ap.add_argument("--driver-memory", default=None)
    args = ap.parse_args()
    from justicelab.engine.spark_engine import start_session

    t = time.perf_counter()
    session = start_session(driver_memory=args.driver_memory)
    java_pid = session.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    print(f"  {'Spark session start-up':<44} {time.perf_counter() - t:8.1f} s wall", flush=True)
    duck, spark = Clock(), Clock(java_pid)
    with tempfile.TemporaryDirectory() as tmp:
        for name, command in COMMANDS.items():
            out = {engine: Path(tmp) / f"{'-'.join(command[:2])}-{engine}" for engine in ("duckdb", "spark")}
            duck.time(f"{name}, DuckDB", lambda: main(command + ["--db", str(args.db), "--out", str(out["duckdb"])]))
            spark.time(f"{name}, Spark", lambda: main(command + ["--db", str(args.parquet), "--out",
                                                                  str(out["spark"]), "--engine", "spark"]))
            print(f"  same results.json: {_figures(out['duckdb']) == _figures(out['spark'])}", flush=True)
    session.stop()


if __name__ == "__main__":
    main_()
