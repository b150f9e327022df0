"""Simulation study of the matching estimator: bias and 95% interval coverage for a rate and a count.

    python benchmarks/coverage_study.py [--replications 1000] [--n 4000]              # 1:1 nearest, cluster SEs
    python benchmarks/coverage_study.py --method kernel --caliper 0.1 --se hc1 --n 1000  # the reports' method

About 10% of each simulated population is treated, so --n 600 / 1000 / 1500 give regional-size
treatment groups of about 60 / 100 / 150 people.
"""
import argparse
import time

import pandas as pd

from justicelab.matching.validation import coverage_study, summarise

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--replications", type=int, default=1000)
parser.add_argument("--n", type=int, nargs="+", default=[4000])
parser.add_argument("--seed", type=int, default=2024)
parser.add_argument("--method", default="nearest", choices=["nearest", "kernel", "radius"])
parser.add_argument("--caliper", type=float, default=0.2)
parser.add_argument("--se", default="cluster", choices=["cluster", "hc1", "bootstrap"])
args = parser.parse_args()
pd.set_option("display.width", 200)
for n in args.n:
    start, cpu = time.perf_counter(), time.process_time()
    results = coverage_study(args.replications, n, args.seed, method=args.method, caliper=args.caliper, se=args.se)
    summary = summarise(results)
    summary["bias_over_se"] = summary["bias"] / summary["empirical_se"]
    print(f"{args.method}, caliper {args.caliper} SD, {args.se} SEs, n={n} "
          f"(mean treated {results['n_treated'].mean():.0f}, range {results['n_treated'].min()}-"
          f"{results['n_treated'].max()})")
    print(summary.round(4).to_string())
    print(f"{args.replications} replications in {time.perf_counter() - start:.1f} s "
          f"(CPU {time.process_time() - cpu:.1f} s)\n")
