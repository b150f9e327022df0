"""Nearest-neighbour matching on the Mahalanobis distance within propensity-score calipers (`mahvars`).

As MatchIt does with `mahvars`: the propensity score decides who may be matched (discard, caliper) and
the Mahalanobis distance of the chosen covariates decides who is matched. Covariates are standardised
and scaled by the pooled within-group covariance of the units kept (Rubin 1980, MatchIt's choice), so
the Mahalanobis distance between rows x and y is |(x - y) A| for the matrix A from `mahalanobis_scale`.
Differences are taken on the original scale first and A is applied the same way to every row, so pairs
equally far apart (an age gap of +2 or -2) get exactly equal distances and ties break by row. Greedy, in the
matching order; rounds 1..ratio over all focal units without replacement (MatchIt's rule); equally
close controls: the earliest row.
"""
from __future__ import annotations

import numpy as np

from ..errors import JusticeLabError
from .nearest import _treated_order


def mahalanobis_scale(X: np.ndarray, treat: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """A with (x - y)' S^-1 (x - y) = |(x - y) A|^2, S the pooled within-group covariance of the
    standardised covariates of the units kept (divided by their SDs)."""
    kept = X[eligible]
    sd = kept.std(axis=0, ddof=1)
    if np.any(sd == 0):
        raise JusticeLabError("a Mahalanobis variable is constant among the units kept: remove it from mahvars")
    Zk, tk = kept / sd, treat[eligible]
    centred = Zk.copy()
    for g in (True, False):
        centred[tk == g] -= Zk[tk == g].mean(axis=0)
    cov = centred.T @ centred / (len(Zk) - 2)
    inv = np.linalg.pinv(cov)
    root = np.linalg.cholesky(inv + 1e-12 * np.eye(len(inv)))  # inv = L L'
    return root / sd[:, None]


def _squared_gaps(X: np.ndarray, A: np.ndarray, rows: np.ndarray, to: int) -> np.ndarray:
    diff = X[rows] - X[to]
    out = np.zeros((len(rows), A.shape[1]))
    for k in range(A.shape[0]):  # the same arithmetic for every row
        out += diff[:, k:k + 1] * A[k]
    return np.sum(out * out, axis=1)


def mahalanobis_neighbours(X: np.ndarray, A: np.ndarray, distance: np.ndarray, focal: np.ndarray, eligible: np.ndarray,
                           strata: np.ndarray | None, ratio: int = 1, replace: bool = False,
                           caliper: float | None = None, order: str = "largest") -> dict[int, list[int]]:
    """Focal row -> matched rows, closest in X among the available others within the caliper on `distance`."""
    strata = np.zeros(len(distance), np.int64) if strata is None else strata
    available = eligible & ~focal
    limit = np.inf if caliper is None else caliper
    matches: dict[int, list[int]] = {}
    t_rows = _treated_order(distance, np.flatnonzero(eligible & focal), order)
    c_all = np.flatnonzero(available)
    for r in range(1 if replace else ratio):
        take = ratio if replace else 1
        for t in t_rows:
            if r > 0 and t not in matches:
                continue
            cand = c_all[(strata[c_all] == strata[t]) & available[c_all]
                         & (np.abs(distance[c_all] - distance[t]) <= limit)]
            if len(cand) == 0:
                continue
            gap = _squared_gaps(X, A, cand, t)
            best = cand[np.lexsort((cand, gap))[:take]]
            matches.setdefault(int(t), []).extend(int(c) for c in best)
            if not replace:
                available[best] = False
    return matches
