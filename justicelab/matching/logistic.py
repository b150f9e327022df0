"""Logistic regression by Newton's method (IRLS) written for large, tall design matrices.

statsmodels' Logit forms the Hessian with a full weighted copy of the design matrix at every step;
here X'WX is accumulated in row blocks with a symmetric rank-k BLAS update, so the extra memory is one
block, and the fit can start from a good guess (a warm start). The maximum is the same; Newton steps
stop when the largest coefficient change is below 1e-10 (relative), which puts the coefficients
within 1e-8 of any other exact maximiser.

`linear_predictor` sums the columns one at a time, in the same order for every row, so that rows with
identical covariates get bit-identical scores (a BLAS matrix-vector product may sum rows in different
orders, leaving identical people with scores that differ in the last bit, which then breaks ties
differently from R).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCK_ROWS = 262_144


@dataclass
class LogitFit:
    params: np.ndarray
    bse: np.ndarray
    converged: bool
    iterations: int


def linear_predictor(X: np.ndarray, params: np.ndarray) -> np.ndarray:
    """X @ params, column by column: the same arithmetic for every row."""
    out = np.full(X.shape[0], float(params[0])) if np.all(X[:, 0] == 1.0) else X[:, 0] * params[0]
    for j in range(1, X.shape[1]):
        out += X[:, j] * params[j]
    return out


def _information(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """X' diag(w) X accumulated over row blocks (symmetric update of sqrt(w) X per block)."""
    p = X.shape[1]
    H = np.zeros((p, p))
    root = np.sqrt(w)
    for a in range(0, X.shape[0], BLOCK_ROWS):
        b = min(a + BLOCK_ROWS, X.shape[0])
        block = X[a:b] * root[a:b, None]
        H += block.T @ block
    return H


def _loglik(y: np.ndarray, eta: np.ndarray) -> float:
    return float(np.sum(y * eta) - np.sum(np.logaddexp(0.0, eta)))


def fit_logit(X: np.ndarray, y: np.ndarray, start: np.ndarray | None = None, max_iter: int = 100,
              tol: float = 1e-10) -> LogitFit:
    """Maximum-likelihood logistic regression of 0/1 `y` on `X` (first column the intercept)."""
    y = np.asarray(y, dtype=float)
    beta = np.zeros(X.shape[1]) if start is None else np.asarray(start, dtype=float).copy()
    if start is None:
        mean = min(max(y.mean(), 1e-6), 1 - 1e-6)
        beta[0] = np.log(mean / (1 - mean))
    eta = X @ beta
    ll = _loglik(y, eta)
    converged = False
    it = 0
    with np.errstate(over="ignore"):
        for it in range(1, max_iter + 1):
            mu = 1.0 / (1.0 + np.exp(-eta))
            H = _information(X, mu * (1.0 - mu))
            grad = X.T @ (y - mu)
            step = np.linalg.solve(H, grad)
            for _ in range(30):  # step halving guards against overshooting far from the maximum
                new_eta = X @ (beta + step)
                new_ll = _loglik(y, new_eta)
                if np.isfinite(new_ll) and new_ll >= ll - 1e-12 * abs(ll):
                    break
                step = step / 2
            beta, eta, ll = beta + step, new_eta, new_ll
            if np.max(np.abs(step) / np.maximum(1.0, np.abs(beta))) < tol:
                converged = True
                break
        mu = 1.0 / (1.0 + np.exp(-eta))
        cov = np.linalg.inv(_information(X, mu * (1.0 - mu)))
    return LogitFit(beta, np.sqrt(np.diag(cov)), converged and bool(np.all(np.isfinite(beta))), it)
