"""Time the employment and benefit work on a generated database: the Tables 8-10 outcome steps for a
bulletin year's cohort, the benefit timelines, and the three designs of employment and reoffending for prison leavers.

    python benchmarks/bench_employment.py --people 1000000 [--db national.duckdb] [--scale 3.6]

--scale S copies the generated database S times over (new ids for each copy; a fraction copies the first
people only) to time the SQL on a national-size database without the generator's memory for it.

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


IDS = {"person": ["person_id"], "alias": ["person_id"], "disposal": ["disposal_id", "person_id"],
       "offence": ["offence_id", "person_id", "disposal_id"], "assessment": ["assessment_id", "person_id"],
       "benefit_spell": ["person_id"], "employment_spell": ["person_id"], "claimant_benefit_spell": ["claimant_id"]}


def replicate(src: Path, dst: Path, scale: float) -> None:
    """dst holds ceil(scale) copies of src's tables with ids shifted per copy (the last copy partial)."""
    import math

    import duckdb

    con = duckdb.connect(str(dst))
    con.execute(f"ATTACH '{src}' AS src (READ_ONLY)")
    people = con.execute("SELECT max(person_id) FROM src.person").fetchone()[0]
    for table, ids in IDS.items():
        maxima = {c: con.execute(f"SELECT coalesce(max({c}), 0) FROM src.{table}").fetchone()[0] for c in ids}
        parts = []
        for k in range(math.ceil(scale)):
            share = min(scale - k, 1.0)
            key = "claimant_id" if table == "claimant_benefit_spell" else "person_id"
            limit = con.execute(f"SELECT max({key}) FROM src.{table}").fetchone()[0] if share < 1 else None
            where = f"WHERE {key} <= {int(share * limit)}" if limit else ""
            shifted = ", ".join(f"{c} + {k} * {maxima[c] if c != 'person_id' else people} AS {c}" for c in ids)
            parts.append(f"SELECT * REPLACE ({shifted}) FROM src.{table} {where}")
        con.execute(f"CREATE TABLE {table} AS " + " UNION ALL ".join(parts))
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", type=Path, default=None, help="an existing database (else one is generated)")
    ap.add_argument("--scale", type=float, default=None, help="copy the database this many times over")
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
    if args.scale:
        big = db.with_name(f"{db.stem}_x{args.scale:g}.duckdb")
        if not big.exists():
            timed(f"copy the database {args.scale:g} times", lambda: replicate(db, big, args.scale))
        db = big
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
    timed(f"naive, landmark and sequential designs, {len(leavers):,} leavers",
          lambda: employment_and_reoffending(leavers))
    print(f"peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB")


if __name__ == "__main__":
    main()
