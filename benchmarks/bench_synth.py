"""Benchmark: synthetic database generation and the national statistics on it.

    python benchmarks/bench_synth.py --people 1000000 [--people 3600000]

Prints the time of each stage, the table sizes and the peak memory. Not a test: it prints figures.
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from justicelab.data.db import write_database
from justicelab.data.synth.generator import SynthConfig, generate
from justicelab.engine import DuckDBEngine
from justicelab.measures.bulletin import national_statistics


def run(people: int, seed: int, folder: Path) -> None:
    stages: dict[str, float] = {}
    last = [time.perf_counter(), None]

    def mark(step: str) -> None:  # called as each step starts: close the previous one
        now = time.perf_counter()
        if last[1]:
            stages[last[1]] = now - last[0]
        last[0], last[1] = now, step

    t0 = time.perf_counter()
    tables = generate(SynthConfig(people=people, seed=seed), progress=mark)
    t_generate = time.perf_counter() - t0
    stages[last[1]] = time.perf_counter() - last[0]
    t1 = time.perf_counter()
    db = folder / f"bench_{people}.duckdb"
    write_database(db, tables)
    t_write = time.perf_counter() - t1
    sizes = {k: len(v) for k, v in tables.items() if not k.startswith("truth")}
    del tables
    t2 = time.perf_counter()
    with DuckDBEngine(db, read_only=True) as engine:
        table, start, end = national_statistics(engine)
    t_stats = time.perf_counter() - t2
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"\n== {people:,} people (seed {seed})")
    print(f"generate {t_generate:.1f} s + write DuckDB {t_write:.1f} s = {t_generate + t_write:.1f} s "
          f"(file {db.stat().st_size / 1e9:.2f} GB, peak memory {peak_gb:.1f} GB)")
    print("  stage times: " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()))
    print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    row = table.iloc[0]
    print(f"national statistics {start}..{end}: {t_stats:.1f} s; cohort {row.offenders:,}, "
          f"rate {row.proportion_reoffending_pct}%, {row.reoffences_per_reoffender} reoffences per reoffender")
    db.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, action="append", help="population size (repeatable)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        for n in args.people or [1_000_000]:
            run(n, args.seed, folder)


if __name__ == "__main__":
    main()
