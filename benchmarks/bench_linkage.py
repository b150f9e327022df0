"""Benchmark: link a synthetic submission to a national-size database; precision, recall and time.

    python benchmarks/bench_linkage.py --people 3600000 --size 1000 [--db existing.duckdb]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from justicelab.data.db import write_database
from justicelab.data.synth.generator import SynthConfig, generate
from justicelab.data.synth.submission import write_submission
from justicelab.linkage.link import link_submission
from justicelab.linkage.quality import linkage_quality
from justicelab.linkage.treatment import build_treatment_group
from justicelab.submission.validate import validate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--people", type=int, default=3_600_000)
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--programme", default="link-worker")
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--seeds", type=int, default=3, help="number of submissions to draw")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "national.duckdb"
        if not db.exists():
            t = time.perf_counter()
            write_database(db, generate(SynthConfig(people=args.people, seed=1)))
            print(f"database of {args.people:,} people built in {time.perf_counter() - t:.0f} s")
        for seed in range(1, args.seeds + 1):
            paths = write_submission(db, args.programme, Path(tmp) / f"sub{seed}.csv", seed=seed, size=args.size)
            t = time.perf_counter()
            v = validate(paths["submission"])
            result = link_submission(v.rows[v.rows["status"] == "ok"], db)
            t_link = time.perf_counter() - t
            group = build_treatment_group(db, v.rows, result.links)
            t_all = time.perf_counter() - t
            q = linkage_quality(result.links, pd.read_csv(paths["truth"]))
            print(f"submission seed {seed}: {len(v.rows)} rows; link {t_link:.1f} s, with treatment group "
                  f"{t_all:.1f} s; precision {q['precision']:.4f} ({q['correct']}/{q['linked']}), recall "
                  f"{q['recall']:.4f} of {q['on_database']} on the database; {result.diagnostics}; "
                  f"treatment group {len(group.members)}")


if __name__ == "__main__":
    main()
