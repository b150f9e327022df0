"""Subclassification on the propensity score (MatchIt's method = "subclass").

Units are cut into `k` groups at quantiles of the distance (R's default quantile type 7) in the focal
group: the treated for the ATT, the comparison group for the ATC, everyone for the ATE; a unit equal to
a cut point goes to the group above it (findInterval with all.inside). Weights, as MatchIt's:
  ATT: treated 1, comparison n_treated(s) / n_comparison(s);
  ATC: comparison 1, treated n_comparison(s) / n_treated(s);
  ATE: treated 1 + n_comparison(s) / n_treated(s), comparison 1 + n_treated(s) / n_comparison(s).
A subclass without both groups is left out (weights 0; MatchIt's min.n = 0 rule), since only then is
the within-subclass comparison defined.
"""
from __future__ import annotations

import numpy as np

from ..errors import JusticeLabError


def subclass_weights(distance: np.ndarray, treat: np.ndarray, eligible: np.ndarray, k: int,
                     estimand: str = "ATT") -> tuple[np.ndarray, np.ndarray]:
    """(weights, subclass id 0..k-1 or -1) for every row."""
    if k < 2:
        raise JusticeLabError("subclassification needs at least 2 subclasses")
    base = {"ATT": treat, "ATC": ~treat}.get(estimand, np.ones(len(treat), bool)) & eligible
    cuts = np.quantile(distance[base], np.linspace(0, 1, k + 1))
    sub = np.full(len(distance), -1, np.int64)
    sub[eligible] = np.clip(np.searchsorted(cuts, distance[eligible], side="right"), 1, k) - 1
    n_t = np.bincount(sub[eligible & treat], minlength=k).astype(float)
    n_c = np.bincount(sub[eligible & ~treat], minlength=k).astype(float)
    both = (n_t > 0) & (n_c > 0)
    sub = np.where((sub >= 0) & both[np.maximum(sub, 0)], sub, -1)
    if (sub >= 0).sum() == 0:
        raise JusticeLabError("no subclass holds both treated and comparison people")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_ct = np.where(both, n_c / n_t, 0.0)  # comparison per treated, by subclass
        ratio_tc = np.where(both, n_t / n_c, 0.0)
    w = np.zeros(len(distance))
    on = sub >= 0
    s = sub[on]
    t = treat[on]
    if estimand == "ATT":
        w[on] = np.where(t, 1.0, ratio_tc[s])
    elif estimand == "ATC":
        w[on] = np.where(t, ratio_ct[s], 1.0)
    else:
        w[on] = np.where(t, 1.0 + ratio_ct[s], 1.0 + ratio_tc[s])
    return w, sub
