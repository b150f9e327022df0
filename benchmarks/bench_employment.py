"""Time the employment and benefit work on a generated database: the Tables 8-10 outcome steps for a
bulletin year's cohort, the benefit timelines, and the landmark analysis of prison leavers.

    python benchmarks/bench_employment.py --people 1000000 [--db national.duckdb]

Prints wall and CPU seconds per step (the machine may be shared: compare CPU seconds).
"""
from __future__ import annotations

import argparse
import resource
import time
from datetime import date
from pathlib import Path


def timed(label: str, fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    print(f"{label:<58} wall {time.perf_counter() - wall:7.1f} s   CPU {time.process_time() - cpu:7.1f} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", type=Path, default=None, help="an existing database (else one is generated)")
    args = ap.parse_args()

    from justicelab.data.db import ANALYSIS_TABLES, attach_tables, write_database
    from justicelab.data.synth.generator import SynthConfig, generate
    from justicelab.employment.landmark import employment_and_reoffending
    from justicelab.employment.leavers import prison_leavers
    from justicelab.employment.timelines import benefit_timelines
    from justicelab.engine import DuckDBEngine, run_steps
    from justicelab.measures.cohort import index_events_step, measures_steps, period_cohort_step
    from justicelab.measures.labour import labour_steps

    db = args.db or Path(f"/tmp/bench_employment_{args.people}_{args.seed}.duckdb")
    if not db.exists():
        timed(f"generate {args.people:,} people", lambda: write_database(
            db, generate(SynthConfig(people=args.people, seed=args.seed))))
    with DuckDBEngine() as engine:
        attach_tables(engine.con, db, ANALYSIS_TABLES + ("claimant_benefit_spell",))
        run_steps(engine, [index_events_step(), period_cohort_step(date(2017, 1, 1), date(2017, 12, 31))])
        n = engine.query("SELECT count(*) AS n FROM cohort")["n"].iloc[0]
        timed(f"Tables 8-10 outcome steps, 2017 cohort ({n:,} people)", lambda: run_steps(engine, labour_steps()))
        timed("all measures incl. Tables 8-10, 2017 cohort", lambda: run_steps(engine, measures_steps()))
        out = timed("benefit timelines 2008-17 (both groups)",
                    lambda: benefit_timelines(engine, date(2008, 1, 1), date(2017, 12, 31)))
        print("   ", out["share"].to_string(index=False).replace("\n", "\n    "))
    with DuckDBEngine() as engine:
        attach_tables(engine.con, db)
        leavers = timed("prison leavers 2015-19 from the database (SQL)",
                        lambda: prison_leavers(engine, date(2015, 1, 1), date(2019, 12, 31)))
    timed(f"naive and landmark designs, {len(leavers):,} leavers", lambda: employment_and_reoffending(leavers))
    print(f"peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB")


if __name__ == "__main__":
    main()
