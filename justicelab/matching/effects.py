"""Regression-adjusted (doubly robust) effect estimates after matching: g-computation.

MatchIt's "Estimating effects" guidance: fit an outcome model with treatment, the covariates and their
interactions with treatment on the matched sample (with the matching weights), predict every person in
the target group both treated and untreated, and average the difference (marginaleffects'
avg_comparisons). The estimate stays consistent if either the matching or the outcome model is right.

Standard error by the delta method: the estimate is g'b, where g is the weighted mean over the target
group of x(treated) - x(untreated), so its variance is g' V g with V the sandwich covariance of the
weighted least-squares coefficients: CR1 clustered on the match set (`cluster`, as sandwich::vcovCL),
or, for kernel/radius weighting, HC1 by person. The averaging over the target group is held fixed, as
marginaleffects does. Computed directly from X'WX (no SVD of the n x p design), so large matched
samples with many covariates take well under a second.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import JusticeLabError
from .propensity import design_matrix


@dataclass
class AdjustedEstimate:
    outcome: str
    estimand: str
    difference: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    se_method: str
    covariates: list[str]

    def as_dict(self) -> dict:
        return asdict(self)


def g_computation(matched: pd.DataFrame, outcome: str, covariates: list[str], treatment: str = "treat",
                  weights: str = "weights", cluster: str | None = "subclass", estimand: str = "ATT",
                  confidence: float = 0.95) -> AdjustedEstimate:
    """Doubly robust estimate: outcome ~ treatment * covariates on the matched sample, averaged over the target."""
    frame = matched.loc[matched[weights] > 0].reset_index(drop=True)
    for col in (outcome, treatment, weights):
        if col not in frame.columns:
            raise JusticeLabError(f"column {col!r} is not in the matched data")
    y = frame[outcome].to_numpy(dtype=float)
    if np.isnan(y).any():
        raise JusticeLabError(f"outcome {outcome!r} has missing values in the matched sample")
    t = frame[treatment].to_numpy().astype(bool)
    w = frame[weights].to_numpy(dtype=float)
    varying = [c for c in covariates if frame[c].nunique() > 1]  # constant in the matched sample: nothing to adjust
    Z = design_matrix(frame, varying).frame.to_numpy(dtype=float) if varying else np.empty((len(y), 0))
    Z = Z[:, Z.std(axis=0) > 0]

    def design(tt: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones(len(y)), tt, Z, Z * tt[:, None]])

    X = design(t.astype(float))
    gram = (X * w[:, None]).T @ X
    cols = _identified_columns(gram)
    if 1 not in cols:
        raise JusticeLabError("treatment is collinear with the covariates in the matched sample")
    X, gram = X[:, cols], gram[np.ix_(cols, cols)]
    bread = np.linalg.inv(gram)
    beta = bread @ (X.T @ (w * y))
    scores = X * (w * (y - X @ beta))[:, None]  # each row's contribution to the estimating equation
    n, k = X.shape
    if cluster is not None and cluster in frame.columns and (frame[cluster] >= 0).all():
        codes, uniq = pd.factorize(frame[cluster])
        summed = np.zeros((len(uniq), k))
        np.add.at(summed, codes, scores)
        g_n = len(uniq)
        cov = bread @ (summed.T @ summed) @ bread * g_n / (g_n - 1) * (n - 1) / (n - k)  # CR1 (Stata, sandwich)
        dfree = g_n - 1
        se_method = "cluster-robust (CR1) on match id"
    else:
        cov = bread @ (scores.T @ scores) @ bread * n / (n - k)  # HC1
        dfree = n - k
        se_method = "heteroskedasticity-robust (HC1)"
    target = {"ATT": t, "ATC": ~t}.get(estimand, np.ones(len(t), bool))
    if not target.any():
        raise JusticeLabError(f"no one in the target group of the {estimand}")
    diff_rows = design(np.ones(len(y)))[:, cols] - design(np.zeros(len(y)))[:, cols]
    g = np.average(diff_rows[target], axis=0, weights=w[target])
    est = float(g @ beta)
    se = float(np.sqrt(g @ cov @ g))
    q = stats.t.ppf(0.5 + confidence / 2, dfree)
    p = float(2 * stats.t.sf(abs(est / se), dfree)) if se > 0 else 1.0
    return AdjustedEstimate(outcome, estimand, est, se, est - q * se, est + q * se, p, se_method, list(covariates))


def _identified_columns(gram: np.ndarray, tol: float = 1e-9) -> list[int]:
    """Columns in order, skipping any that the earlier kept ones already explain (collinear in the matched
    sample, e.g. an interaction with a level no treated person has), judged on the weighted Gram matrix."""
    keep: list[int] = []
    for j in range(len(gram)):
        if gram[j, j] <= 0:
            continue
        if keep:
            g_kk = gram[np.ix_(keep, keep)]
            g_kj = gram[keep, j]
            residual = gram[j, j] - g_kj @ np.linalg.solve(g_kk, g_kj)
            if residual <= tol * gram[j, j]:
                continue
        keep.append(j)
    return keep
