"""Regression-adjusted (doubly robust) effect estimates after matching: g-computation.

MatchIt's "Estimating effects" guidance: fit an outcome model with treatment, the covariates and their
interactions with treatment on the matched sample (with the matching weights), predict every person in
the target group both treated and untreated, and average the difference (marginaleffects'
avg_comparisons). The estimate stays consistent if either the matching or the outcome model is right.

Standard error by the delta method: the estimate is g'b, where g is the weighted mean over the target
group of x(treated) - x(untreated), so its variance is g' V g with V the cluster-robust (CR1) covariance
of the coefficients, clustered on the match set (`cluster`) or, for kernel/radius weighting, on the
person (HC1). The averaging over the target group is held fixed, as marginaleffects does.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
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
    Z = design_matrix(frame, covariates).frame.to_numpy(dtype=float) if covariates else np.empty((len(y), 0))
    keep = Z.std(axis=0) > 0  # a covariate constant in the matched sample adds nothing
    Z = Z[:, keep]

    def design(tt: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones(len(y)), tt, Z, Z * tt[:, None]])

    X = design(t.astype(float))
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:  # drop interactions the matched sample cannot identify, last first
        cols = [0, 1]
        for j in range(2, X.shape[1]):
            if np.linalg.matrix_rank(X[:, cols + [j]]) == len(cols) + 1:
                cols.append(j)
    else:
        cols = list(range(X.shape[1]))
    model = sm.WLS(y, X[:, cols], weights=w)
    if cluster is not None and cluster in frame.columns and (frame[cluster] >= 0).all():
        groups = pd.factorize(frame[cluster])[0]
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        se_method = "cluster-robust (CR1) on match id"
    else:
        fit = model.fit(cov_type="HC1", use_t=True)
        se_method = "heteroskedasticity-robust (HC1)"
    target = {"ATT": t, "ATC": ~t}.get(estimand, np.ones(len(t), bool))
    if not target.any():
        raise JusticeLabError(f"no one in the target group of the {estimand}")
    diff_rows = design(np.ones(len(y)))[:, cols] - design(np.zeros(len(y)))[:, cols]
    g = np.average(diff_rows[target], axis=0, weights=w[target])
    est = float(g @ fit.params)
    se = float(np.sqrt(g @ fit.cov_params() @ g))
    dfree = float(fit.df_resid_inference) if getattr(fit, "df_resid_inference", None) else float(fit.df_resid)
    q = stats.t.ppf(0.5 + confidence / 2, dfree)
    p = float(2 * stats.t.sf(abs(est / se), dfree)) if se > 0 else 1.0
    return AdjustedEstimate(outcome, estimand, est, se, est - q * se, est + q * se, p, se_method, list(covariates))
