"""Benchmark: nearest 1:1 matching with a caliper, 20,000 treated against 2,000,000 comparison people,
and the logistic propensity fit on 2 million rows and 50 covariates.

    python benchmarks/bench_matching.py
"""
import resource
import time

import numpy as np
import pandas as pd

from justicelab.matching import PropensityModel, matchit


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


rng = np.random.default_rng(1)
n_t, n_c = 20_000, 2_000_000
n = n_t + n_c
treat = np.r_[np.ones(n_t, int), np.zeros(n_c, int)]
score = np.r_[rng.normal(0.3, 1, n_t), rng.normal(0, 1, n_c)]
df = pd.DataFrame({"treat": treat, "region": rng.choice(10, n)})
start = time.perf_counter()
r = matchit(df, "treat", [], distance=score, caliper=0.2)
t_match = time.perf_counter() - start
counts = r.counts()
print(f"nearest 1:1, caliper 0.2 SD, {n_t:,} treated vs {n_c:,} comparison: {t_match:.2f} s "
      f"({counts.loc['matched', 'Treated']:,} treated matched)")
start = time.perf_counter()
r = matchit(df, "treat", [], distance=score, caliper=0.2, exact=["region"])
print(f"  the same with exact matching on 10 regions: {time.perf_counter() - start:.2f} s")
start = time.perf_counter()
r = matchit(df, "treat", [], distance=score, caliper=0.2, replace=True)
print(f"  with replacement: {time.perf_counter() - start:.2f} s")
start = time.perf_counter()
r = matchit(df, "treat", [], distance=score, method="kernel", caliper=0.2)
print(f"  kernel weighting: {time.perf_counter() - start:.2f} s")

k = 50
X = rng.normal(size=(2_000_000, k)).astype(np.float64)
beta = rng.normal(0, 0.15, k)
y = (rng.random(2_000_000) < 1 / (1 + np.exp(-(-2 + X @ beta)))).astype(int)
cols = {f"x{i}": X[:, i] for i in range(k)}
big = pd.DataFrame(cols)
big["treat"] = y
del X
input_gb = big.memory_usage().sum() / 1e9
start = time.perf_counter()
fit = PropensityModel([f"x{i}" for i in range(k)]).fit(big, "treat")
print(f"logistic fit, 2,000,000 rows x {k} covariates: {time.perf_counter() - start:.1f} s "
      f"(input {input_gb:.2f} GB, peak memory {peak_gb():.1f} GB; max |coef error| "
      f"{np.max(np.abs(fit.params.to_numpy()[1:] - beta)):.3f})")
