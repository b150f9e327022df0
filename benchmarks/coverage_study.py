"""Simulation study of the matching estimator: bias and 95% interval coverage for a rate and a count.

    python benchmarks/coverage_study.py [--replications 1000] [--n 4000]
"""
import argparse
import time

import pandas as pd

from justicelab.matching.validation import coverage_study, summarise

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--replications", type=int, default=1000)
parser.add_argument("--n", type=int, default=4000)
parser.add_argument("--seed", type=int, default=2024)
args = parser.parse_args()
start = time.perf_counter()
summary = summarise(coverage_study(args.replications, args.n, args.seed))
pd.set_option("display.width", 200)
print(summary.round(4).to_string())
print(f"{args.replications} replications of n={args.n} in {time.perf_counter() - start:.1f} s")
