"""Subclassification on the propensity score (MatchIt's method = "subclass").

Units are cut into `k` groups at quantiles of the distance (R's default quantile type 7) in the focal
group: the treated for the ATT, the comparison group for the ATC, everyone for the ATE; a unit equal to
a cut point goes to the group above it (findInterval with all.inside). Weights, as MatchIt's:
  ATT: treated 1, comparison n_treated(s) / n_comparison(s);
  ATC: comparison 1, treated n_comparison(s) / n_treated(s);
  ATE: treated 1 + n_comparison(s) / n_treated(s), comparison 1 + n_treated(s) / n_comparison(s).
Every subclass must hold at least `min_n` units of each group (MatchIt's min.n, default 1): a subclass
short of a group takes the units of that group nearest to it in distance from the nearest subclass
that has some, on the side where that group's surplus lies (MatchIt's "scooting"). With min_n = 0 a
subclass without both groups is left out instead (weights 0).
"""
from __future__ import annotations

import numpy as np

from ..errors import JusticeLabError


def scoot(sub: np.ndarray, treat: np.ndarray, distance: np.ndarray, min_n: int) -> np.ndarray:
    """Subclass ids (0..k-1, all present) moved so that each subclass holds min_n units of each group."""
    sub = sub.copy()
    k = int(sub.max()) + 1
    for group in (True, False):
        members = np.flatnonzero(treat == group)
        if len(members) < k * min_n:
            raise JusticeLabError(f"not enough {'treated' if group else 'comparison'} people for {min_n} in "
                                  f"each of {k} subclasses")
        count = np.bincount(sub[members], minlength=k).astype(float)
        for _ in range(min_n):
            while (count <= 0).any():
                s = int(np.argmax(count <= 0))
                if s in (0, k - 1):
                    left = s == k - 1
                else:  # towards the side whose subclasses have more to spare, nearer ones counting more
                    spare = np.flatnonzero(count > 1)
                    spare = spare[spare != s]
                    left = float(np.sum((count[spare] - 1) / (spare - s))) <= 0
                side = np.arange(s - 1, -1, -1) if left else np.arange(s + 1, k)
                donors = side[count[side] > 0]
                if len(donors) == 0:
                    raise JusticeLabError("cannot fill every subclass with both groups")
                s2 = int(donors[0])
                pool = members[sub[members] == s2]
                # the unit nearest subclass s: the largest distance when taking from below (the last such row)
                d = distance[pool] if left else -distance[pool]
                take = pool[len(pool) - 1 - int(np.argmax(d[::-1]))]
                sub[take] = s
                count[s] += 1
                count[s2] -= 1
            count -= 1
    return sub


def subclass_weights(distance: np.ndarray, treat: np.ndarray, eligible: np.ndarray, k: int,
                     estimand: str = "ATT", min_n: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(weights, subclass id 0..k-1 or -1) for every row."""
    if k < 2:
        raise JusticeLabError("subclassification needs at least 2 subclasses")
    if min_n < 0:
        raise JusticeLabError("min_n must be 0 or more")
    base = {"ATT": treat, "ATC": ~treat}.get(estimand, np.ones(len(treat), bool)) & eligible
    cuts = np.quantile(distance[base], np.linspace(0, 1, k + 1))
    sub = np.full(len(distance), -1, np.int64)
    sub[eligible] = np.clip(np.searchsorted(cuts, distance[eligible], side="right"), 1, k) - 1
    if min_n > 0:  # subclasses nobody fell into (a discrete distance) are dropped and the rest renumbered
        present, sub[eligible] = np.unique(sub[eligible], return_inverse=True)
        k = len(present)
        sub[eligible] = scoot(sub[eligible], treat[eligible], distance[eligible], min_n)
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
