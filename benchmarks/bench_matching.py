"""Benchmark: nearest 1:1 matching with a caliper, 20,000 treated against 2,000,000 comparison people,
and the logistic propensity fit on 2 million rows and 50 covariates.

    python benchmarks/bench_matching.py [--compare]

Prints wall-clock and CPU seconds (the machine is shared: wall time under load overstates the work).
--compare also fits statsmodels' Logit (Newton) to the same 2M x 50 data and prints the largest
coefficient difference. Memory: the peak resident size added by the fit, against the design matrix.
"""
import argparse
import resource
import time

import numpy as np
import pandas as pd

from justicelab.matching import PropensityModel, matchit


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def timed(label, fn, repeats: int = 5):
    """Median and fastest of `repeats` runs: single runs of a 0.3 s job vary by a third on a shared machine."""
    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    print(f"{label}: median {np.median(walls):.2f} s wall (fastest {min(walls):.2f}), median {np.median(cpus):.2f} s CPU"
          f" over {repeats} runs")
    return out


parser = argparse.ArgumentParser()
parser.add_argument("--compare", action="store_true")
args = parser.parse_args()


rng = np.random.default_rng(1)
n_t, n_c = 20_000, 2_000_000
n = n_t + n_c
treat = np.r_[np.ones(n_t, int), np.zeros(n_c, int)]
score = np.r_[rng.normal(0.3, 1, n_t), rng.normal(0, 1, n_c)]
df = pd.DataFrame({"treat": treat, "region": rng.choice(10, n)})
r = timed(f"nearest 1:1, caliper 0.2 SD, {n_t:,} treated vs {n_c:,} comparison",
          lambda: matchit(df, "treat", [], distance=score, caliper=0.2))
print(f"  ({int(r.counts().loc['matched', 'Treated']):,} treated matched)")
timed("  the same with exact matching on 10 regions",
      lambda: matchit(df, "treat", [], distance=score, caliper=0.2, exact=["region"]))
timed("  with replacement", lambda: matchit(df, "treat", [], distance=score, caliper=0.2, replace=True))
timed("  kernel weighting", lambda: matchit(df, "treat", [], distance=score, method="kernel", caliper=0.2))
del df, r

k = 50
X = rng.normal(size=(2_000_000, k)).astype(np.float64)
beta = rng.normal(0, 0.15, k)
y = (rng.random(2_000_000) < 1 / (1 + np.exp(-(-2 + X @ beta)))).astype(int)
cols = {f"x{i}": X[:, i] for i in range(k)}
big = pd.DataFrame(cols)
big["treat"] = y
del X
design_gb = 2_000_000 * (k + 1) * 8 / 1e9
before = peak_gb()
start, cpu = time.perf_counter(), time.process_time()
fit = PropensityModel([f"x{i}" for i in range(k)]).fit(big, "treat")
print(f"logistic fit, 2,000,000 rows x {k} covariates: {time.perf_counter() - start:.1f} s wall, "
      f"{time.process_time() - cpu:.1f} s CPU; design matrix {design_gb:.2f} GB, peak memory added by the fit "
      f"{max(peak_gb() - before, 0):.2f} GB (process peak {peak_gb():.1f} GB); max |coef - truth| "
      f"{np.max(np.abs(fit.params.to_numpy()[1:] - beta)):.3f}")
if args.compare:
    import statsmodels.api as sm

    X = np.column_stack([np.ones(len(big)), big[[f"x{i}" for i in range(k)]].to_numpy()])
    ref = timed("statsmodels Logit (Newton), same data",
                lambda: sm.Logit(big["treat"].to_numpy(float), X).fit(method="newton", tol=1e-12, disp=0), repeats=1)
    print(f"  max |coefficient difference| from statsmodels: {np.max(np.abs(ref.params - fit.params.to_numpy())):.2e}")
