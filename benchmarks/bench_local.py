"""Benchmark: `justicelab local` on an existing database, and the null-scheme demonstration.

    python benchmarks/bench_local.py --db national.duckdb [--year 2019]

Prints wall and CPU seconds for each step (area cohort, area tables, quarterly trends, the rate and
frequency models, the tracking pool), the peak memory, and what each view says about a scheme with no
effect that selects people after a burst of offending (and about the same scheme with a planted 35%/40%
fall). Not a test: it prints figures.
"""
from __future__ import annotations

import argparse
import resource
import time
from contextlib import contextmanager
from datetime import date

import numpy as np

from justicelab.engine import DuckDBEngine
from justicelab.local.predict import FEATURE_COLUMNS, auc, fit_frequency_model, fit_model, predicted_vs_actual
from justicelab.local.stats import area_statistics, build_area_cohort, quarterly_trends
from justicelab.local.tracking import build_tracking, track
from justicelab.measures.bulletin import snapshot_date


@contextmanager
def timed(step: str):
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    print(f"{step:<42} {time.perf_counter() - wall:7.1f} s wall {time.process_time() - cpu:7.1f} s CPU")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--year", type=int, default=2019)
    args = ap.parse_args()
    start, end = date(args.year, 1, 1), date(args.year, 12, 31)
    rng = np.random.default_rng(1)
    with DuckDBEngine(args.db, read_only=True) as e:
        with timed("area cohort (national, one year)"):
            build_area_cohort(e, start, end)
        with timed("area table by local authority"):
            la = area_statistics(e, ["local_authority"])
        with timed("area table by probation region x LA"):
            area_statistics(e, ["probation_region", "local_authority"])
        with timed("national frame for the models"):
            national = e.query(f"SELECT person_id, reoffended, reoffences, {', '.join(FEATURE_COLUMNS)} "
                               "FROM area_measures ORDER BY person_id")
        with timed("rate model (logistic) fit"):
            model = fit_model(national)
        with timed("frequency model (log-linear) fit"):
            freq = fit_frequency_model(national)
        with timed("quarterly trends (8 quarters, all LAs)"):
            quarterly_trends(e, "local_authority", date(args.year - 1, 1, 1), end)
        with timed("tracking pool (3 years of sentences)"):
            pool = build_tracking(e, date(args.year - 4, 1, 1), date(args.year - 2, 12, 31), snapshot_date(e))
    rates = la["rate"].iloc[:-1]
    print(f"cohort {int(la['offenders'].iloc[-1]):,} people, rate {la['rate'].iloc[-1]:.3f}; local authority rates "
          f"{rates.min():.3f} to {rates.max():.3f}; AUC {auc(national['reoffended'], model.predict(national)):.3f}")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")

    print("\nnull local cohort (600 random people) and the same with 35% of people kept from reoffending:")
    local = rng.random(len(national)) < 600 / len(national)
    kept = rng.random(int(local.sum())) >= 0.35  # the planted scheme prevents all reoffending of 35% of people
    planted = national[local].assign(reoffended=national[local]["reoffended"].to_numpy() * kept,
                                     reoffences=national[local]["reoffences"].to_numpy() * kept)
    for label, frame in (("null", national[local]), ("planted", planted)):
        r = predicted_vs_actual(model, frame)
        f = predicted_vs_actual(freq, frame, "reoffences")
        print(f"  {label:<8} rate {r['actual']:.3f} vs {r['predicted']:.3f} ({r['difference_low']:+.3f} to "
              f"{r['difference_high']:+.3f}): {r['verdict']}; frequency {f['actual']:.2f} vs {f['predicted']:.2f}")
    print("\nscheme with no effect, half of those with 3+ offences in the 3 months before a sentence:")
    chosen = (pool[[-3, -2, -1]].sum(axis=1) >= 3) & (rng.random(len(pool)) < 0.5)
    for label, frame in (("null", pool), ("planted", pool.copy())):
        if label == "planted":
            after = list(range(0, 24))
            frame.loc[chosen, after] = rng.binomial(frame.loc[chosen, after].to_numpy(), 0.6).astype(np.int32)
        t = track(frame, chosen)
        print(f"  {label:<8} {t['scheme_people']:,} people: naive {t['naive_change']:+.3f} ({t['naive_low']:+.3f} to "
              f"{t['naive_high']:+.3f}); matched {t['effect']:+.3f} ({t['effect_low']:+.3f} to {t['effect_high']:+.3f}) "
              "offences per person per month")


if __name__ == "__main__":
    main()
