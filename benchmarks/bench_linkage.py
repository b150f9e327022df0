"""Benchmark: link hard lists (tests/linkage_lists.py: an independent generator of caseworkers' errors,
people not on the database, near-namesakes) to a synthetic database; precision, recall per error kind, time.

    python benchmarks/bench_linkage.py --people 300000 --size 600 [--db existing.duckdb] [--seeds 2] [--namesakes 0.1]

With --db the database is copied beside itself (planted_NAME) once, and people with accented and
prefixed surnames are planted in the copy; its linkage model (u-probabilities) is estimated on the
first run and stored beside it (the first run's time includes that).
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from justicelab.data.db import write_database  # noqa: E402
from justicelab.data.synth.generator import SynthConfig, generate  # noqa: E402
from justicelab.linkage.link import link_submission  # noqa: E402
from justicelab.submission.validate import validate  # noqa: E402
from tests.linkage_lists import hard_list, plant_people, scores  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--people", type=int, default=300_000)
    ap.add_argument("--size", type=int, default=600)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--seeds", type=int, default=2, help="number of lists to draw")
    ap.add_argument("--namesakes", type=float, default=0.10,
                    help="share of each list that is near-namesakes (raise it to estimate a rate near 1%%)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.db is None:
            args.db = Path(tmp) / "national.duckdb"
            t = time.perf_counter()
            write_database(args.db, generate(SynthConfig(people=args.people, seed=1)))
            print(f"database of {args.people:,} people built in {time.perf_counter() - t:.0f} s")
        db = args.db.with_name("planted_" + args.db.name)
        if not db.exists():
            shutil.copy(args.db, db)
            plant_people(db, seed=1)
        per_kind = []
        for seed in range(1, args.seeds + 1):
            sub, truth = hard_list(db, rows=args.size, seed=seed, namesakes=args.namesakes)
            path = Path(tmp) / f"hard{seed}.csv"
            sub.to_csv(path, index=False)
            v = validate(path)
            t, cpu = time.perf_counter(), time.process_time()
            result = link_submission(v.rows[v.rows["status"] == "ok"], db)
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu
            overall, kinds = scores(result.links, v.rows["row"].to_numpy(), truth)
            per_kind.append(kinds)
            print(f"list {seed}: {len(v.rows)} rows against {db.name}: link {wall:.1f} s wall, {cpu:.1f} s CPU; "
                  f"{overall}; {result.diagnostics}")
        total = pd.concat(per_kind).groupby(level=0).sum()
        total["recall"] = (total["found"] / total["rows"]).round(3)
        print("per error kind, all lists (found = linked to the right person; namesakes and people not on the "
              "database should not be):")
        print(total.to_string())
        print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB")


if __name__ == "__main__":
    main()
