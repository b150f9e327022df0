"""Outcome comparisons after matching: the estimate is a separate, explicit step (as in MatchIt).

The difference is the coefficient of a weighted least-squares regression of the outcome on treatment
in the matched sample, which equals the weighted treated mean minus the weighted comparison mean: a
difference in proportions for a rate (percentage points when x100), in means for a frequency, and
in mean days for time to first reoffence (compute it on reoffenders only). Standard errors:

* "cluster": cluster-robust on the match id (pairs/sets), for matching without replacement;
* "two-way": clustered on match id and on the comparison unit, for matching with replacement, where one
  comparison person serves several treated people (fit on MatchResult.get_matches());
* "hc1": heteroskedasticity-robust, for radius and kernel weighting;
* "bootstrap": resampling match sets (a block bootstrap, Abadie and Spiess 2022).

Confidence intervals and p-values use the t distribution with statsmodels' degrees of freedom
(number of clusters - 1 for clustered errors). A measure is withheld (no numbers, a reason instead)
when either group is smaller than the minimum sizes given.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from ..errors import JusticeLabError

SE_METHODS = {
    "cluster": "cluster-robust (CR1) on match id",
    "two-way": "two-way cluster-robust on match id and comparison person",
    "hc1": "heteroskedasticity-robust (HC1)",
    "bootstrap": "block bootstrap over match sets",
}


@dataclass
class OutcomeEstimate:
    outcome: str
    n_treated: int
    n_comparison: int
    comparison_ess: float
    treated_value: float | None
    comparison_value: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    significant: bool | None
    se: float | None
    se_method: str
    confidence: float
    withheld: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _withheld(outcome, nt, nc, ess, method, confidence, reason) -> OutcomeEstimate:
    return OutcomeEstimate(outcome, nt, nc, ess, None, None, None, None, None, None, None, None,
                           SE_METHODS[method], confidence, reason)


def estimate(matched: pd.DataFrame, outcome: str, treatment: str = "treat", weights: str = "weights",
             se: str = "cluster", cluster: str = "subclass", unit: str = "unit", confidence: float = 0.95,
             min_treated: int = 1, min_comparison: int = 1, bootstrap_reps: int = 999,
             seed: int = 1) -> OutcomeEstimate:
    """Weighted difference in `outcome` between treated and comparison rows of a matched sample."""
    if se not in SE_METHODS:
        raise JusticeLabError(f"se must be one of {', '.join(SE_METHODS)}")
    for col in (outcome, treatment, weights):
        if col not in matched.columns:
            raise JusticeLabError(f"column {col!r} is not in the matched data")
    frame = matched.loc[matched[weights] > 0]
    y = frame[outcome].to_numpy(dtype=float)
    if np.isnan(y).any():
        raise JusticeLabError(f"outcome {outcome!r} has missing values in the matched sample")
    t = frame[treatment].to_numpy().astype(bool)
    w = frame[weights].to_numpy(dtype=float)
    ids = frame[unit].to_numpy() if unit in frame.columns else np.arange(len(frame))
    nt, nc = int(len(np.unique(ids[t]))), int(len(np.unique(ids[~t])))
    per_person = pd.Series(w[~t]).groupby(ids[~t]).sum().to_numpy()  # a person may serve several sets
    ess = float(per_person.sum() ** 2 / (per_person ** 2).sum()) if nc else 0.0
    if nt < min_treated or nc < min_comparison:
        return _withheld(outcome, nt, nc, ess, se, confidence,
                         f"fewer than {min_treated} in the treatment group or {min_comparison} in the comparison "
                         f"group ({nt} and {nc})")
    X = np.column_stack([np.ones(len(y)), t.astype(float)])
    model = sm.WLS(y, X, weights=w)
    if se == "cluster":
        groups = frame[cluster].to_numpy()
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(groups)[0]}, use_t=True)
    elif se == "two-way":
        groups = np.column_stack([pd.factorize(frame[cluster])[0], pd.factorize(ids)[0]])
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    else:
        fit = model.fit(cov_type="HC1", use_t=True)
    diff = float(fit.params[1])
    alpha = 1 - confidence
    if se == "bootstrap":
        se_value, low, high, p = _block_bootstrap(y, t, w, frame[cluster].to_numpy(), diff, alpha,
                                                  bootstrap_reps, seed)
    else:
        se_value = float(fit.bse[1])
        low, high = (float(v) for v in fit.conf_int(alpha)[1])
        p = float(fit.pvalues[1])
    treated_value = float(np.average(y[t], weights=w[t]))
    comparison_value = float(np.average(y[~t], weights=w[~t]))
    return OutcomeEstimate(outcome, nt, nc, ess, treated_value, comparison_value, diff, low, high, p,
                           bool(p <= alpha), se_value, SE_METHODS[se], confidence)


def _block_bootstrap(y, t, w, clusters, diff, alpha, reps, seed):
    """Resample match sets with replacement; each replicate reweights whole sets (vectorised)."""
    codes, uniq = pd.factorize(clusters)
    g = len(uniq)
    sums = np.zeros((g, 4))  # per set: sum w y (treated), sum w (treated), same for comparison
    np.add.at(sums[:, 0], codes[t], (w * y)[t])
    np.add.at(sums[:, 1], codes[t], w[t])
    np.add.at(sums[:, 2], codes[~t], (w * y)[~t])
    np.add.at(sums[:, 3], codes[~t], w[~t])
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(g, np.full(g, 1.0 / g), size=reps).astype(float)
    tot = counts @ sums
    with np.errstate(invalid="ignore", divide="ignore"):
        draws = tot[:, 0] / tot[:, 1] - tot[:, 2] / tot[:, 3]
    draws = draws[np.isfinite(draws)]
    se = float(np.std(draws, ddof=1))
    low, high = (float(v) for v in np.quantile(draws, [alpha / 2, 1 - alpha / 2]))
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else 1.0
    return se, low, high, p
