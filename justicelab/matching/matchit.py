"""`matchit()`: one call from a table to a matched comparison group (MatchIt's interface and rules).

    result = matchit(data, "treated", ["age", "sex", "ogrs_score"], caliper=0.2)
    result.summary()        # balance before and after (balance.BalanceTable)
    result.matched_data()   # the matched sample with weights and match ids
    estimate(result.matched_data(), "reoffended", ...)   # the outcome is a separate, explicit step

ATT weights follow MatchIt: a treated unit with a match weighs 1; each of its m matched controls
receives 1/m, summed over every treated unit it is matched to; control weights are then scaled to sum
to the number of matched controls. Radius and kernel weighting spread each treated unit's weight of 1
over all controls within the caliper (equally, or by kernel). Matching reads only the covariates, never
an outcome column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd

from ..errors import JusticeLabError
from .balance import BalanceTable, balance_table
from .mahalanobis import mahalanobis_neighbours, mahalanobis_scale
from .nearest import nearest_neighbour, radius_weights
from .propensity import PropensityModel, PropensityResult, design_matrix
from .subclass import subclass_weights

METHODS = ("nearest", "radius", "kernel", "subclass")
ESTIMANDS = ("ATT", "ATC", "ATE")


@dataclass
class MatchResult:
    data: pd.DataFrame
    treatment: str
    covariates: list[str]
    propensity: PropensityResult | None
    distance: np.ndarray
    weights: np.ndarray
    subclass: np.ndarray  # match id of each focal unit and (without replacement) its matches; -1 none
    discarded: np.ndarray
    matches: dict[int, list[int]]
    settings: dict = field(default_factory=dict)

    @property
    def treat(self) -> np.ndarray:
        return self.data[self.treatment].to_numpy().astype(bool)

    def counts(self) -> pd.DataFrame:
        """MatchIt's sample sizes table: all, matched (and effective size), unmatched, discarded."""
        t, w = self.treat, self.weights
        rows = {}
        for label, grp in (("Control", ~t), ("Treated", t)):
            wg = w[grp]
            rows[label] = {"all": int(grp.sum()), "matched": int((wg > 0).sum()),
                           "matched_ess": float(wg.sum() ** 2 / (wg ** 2).sum()) if (wg > 0).any() else 0.0,
                           "unmatched": int(((wg == 0) & ~self.discarded[grp]).sum()),
                           "discarded": int(self.discarded[grp].sum())}
        return pd.DataFrame(rows)

    def matched_data(self) -> pd.DataFrame:
        """The matched units with `distance`, `weights` and `subclass` (MatchIt's match.data())."""
        keep = self.weights > 0
        out = self.data.loc[keep].copy()
        out["distance"] = self.distance[keep]
        out["weights"] = self.weights[keep]
        out["subclass"] = self.subclass[keep]
        return out

    def get_matches(self) -> pd.DataFrame:
        """One row per (treated unit, matched control) and per treated unit: needed after matching with
        replacement, where a control appears once for every treated unit it serves (MatchIt's get_matches).
        Control rows weigh 1/m; `unit` identifies the original row for two-way clustering."""
        rows, units, subs, wts = [], [], [], []
        for k, (t_row, c_rows) in enumerate(sorted(self.matches.items())):
            rows.append(t_row); units.append(t_row); subs.append(k); wts.append(1.0)
            for c in c_rows:
                rows.append(c); units.append(c); subs.append(k); wts.append(1.0 / len(c_rows))
        out = self.data.iloc[rows].copy()
        out["unit"] = np.asarray(units)
        out["subclass"] = np.asarray(subs)
        out["weights"] = np.asarray(wts)
        out["distance"] = self.distance[rows]
        return out.reset_index(drop=True)

    def summary(self, covariates: list[str] | None = None) -> BalanceTable:
        return balance_table(self.data, self.treatment, covariates or self.covariates, self.weights,
                             distance=self.distance, discarded=self.discarded,
                             estimand=self.settings.get("estimand", "ATT"))

    def love_plot(self, path, title: str = "Covariate balance"):
        from .plots import love_plot

        return love_plot(self.summary(), path, title)


def _common_support(distance: np.ndarray, treat: np.ndarray, discard: str) -> np.ndarray:
    if discard == "none":
        return np.zeros(len(distance), bool)
    t_lo, t_hi = distance[treat].min(), distance[treat].max()
    c_lo, c_hi = distance[~treat].min(), distance[~treat].max()
    out = np.zeros(len(distance), bool)
    if discard in ("both", "treated"):
        out |= treat & ((distance < c_lo) | (distance > c_hi))
    if discard in ("both", "control"):
        out |= ~treat & ((distance < t_lo) | (distance > t_hi))
    if discard not in ("both", "treated", "control"):
        raise JusticeLabError("discard must be none, both, treated or control")
    return out


def _match_set_weights(matches: dict[int, list[int]], n: int, replace: bool) -> tuple[np.ndarray, np.ndarray]:
    """MatchIt's weights from match sets: 1 for each focal unit, 1/m from each set to each of its m
    controls (summed over sets with replacement); subclass = the set's number in focal row order."""
    weights, sub = np.zeros(n), np.full(n, -1, np.int64)
    if not matches:
        return weights, sub
    # read the sets in the dict's order with C-level iteration, then number them in focal row order
    keys = np.fromiter(matches.keys(), dtype=np.int64, count=len(matches))
    held = list(matches.values())
    sizes = np.fromiter(map(len, held), dtype=np.int64, count=len(held))
    controls = np.fromiter(chain.from_iterable(held), dtype=np.int64, count=int(sizes.sum()))
    by_row = np.argsort(keys, kind="stable")
    number = np.empty(len(keys), np.int64)
    number[by_row] = np.arange(len(keys))
    focal = keys[by_row]
    sets = np.repeat(number, sizes)
    weights[focal], sub[focal] = 1.0, np.arange(len(focal))
    # summed in set order (focal row order), as MatchIt's running sum: the same floating-point result
    in_order = np.argsort(sets, kind="stable")
    weights += np.bincount(controls[in_order], weights=np.repeat(1.0 / sizes, sizes)[in_order], minlength=n)
    if not replace:
        sub[controls] = sets
    return weights, sub


def matchit(data: pd.DataFrame, treatment: str, covariates: list[str], *, method: str = "nearest",
            distance: str | np.ndarray = "logit", ratio: int = 1, replace: bool = False,
            caliper: float | None = None, exact: list[str] | None = None, discard: str = "none",
            order: str = "largest", ties: str = "left", model: PropensityModel | None = None,
            at_risk: tuple[str, str] | None = None, at_risk_bin: int = 7, estimand: str = "ATT",
            subclass: int = 6, min_n: int = 1, mahvars: list[str] | None = None) -> MatchResult:
    """Match a comparison group to the treated rows of `data`.

    distance: "logit" (linear predictor of the propensity model; the default, as the Data Lab and Austin
    recommend), "ps" (the probability itself, MatchIt's default), or an array of distances.
    caliper: in standard deviations of the distance over the units kept after `discard` (MatchIt's rule).
    exact: columns whose values must agree (e.g. region, sex). discard: common support rule on the distance.
    order: which treated units choose first ("largest" distance first, MatchIt's default).
    ties: "left" (equally close controls: the left neighbour in sorted order, MatchIt 4.5+, the default),
    "data" (the earliest row, MatchIt <= 4.4) or "all" (with replacement: every control as close as the
    k-th nearest, sharing the weight); see nearest.py.
    at_risk: (delay column, survival column), radius and kernel only: risk-set alignment. A comparison
    person is eligible for a treated person only if their survival (e.g. days to first reoffence, empty
    for never) is at least the treated person's delay (e.g. days from index date to intervention start),
    with delays grouped in bins of `at_risk_bin`. Kernel weights add over treated people, so weighting
    bin by bin gives exactly the aligned weights.
    estimand: "ATT" (the treated are the focal group), "ATC" (the comparison group is: each comparison
    person gets treated matches) or "ATE" (subclassification only, as in MatchIt).
    method="subclass": `subclass` groups cut at quantiles of the distance in the focal group (all units
    for the ATE), each holding at least `min_n` of each group (MatchIt's min.n); weights as MatchIt's
    (subclass.py). mahvars: nearest matching on the Mahalanobis
    distance of these covariates, with the caliper (and discard) applied to the propensity score.
    """
    if estimand not in ESTIMANDS:
        raise JusticeLabError(f"estimand must be one of {', '.join(ESTIMANDS)}")
    if estimand == "ATE" and method != "subclass":
        raise JusticeLabError("the ATE needs method='subclass' (matching methods estimate the ATT or ATC)")
    if estimand != "ATT" and at_risk is not None:
        raise JusticeLabError("risk-set alignment (at_risk) is defined for the ATT only")
    if mahvars and method != "nearest":
        raise JusticeLabError("mahvars needs method='nearest'")
    if ties not in ("data", "left", "all"):
        raise JusticeLabError("ties must be 'data', 'left' or 'all'")
    if ties == "all" and not (method == "nearest" and replace):
        raise JusticeLabError("ties='all' needs nearest matching with replacement")
    if method not in METHODS:
        raise JusticeLabError(f"method must be one of {', '.join(METHODS)}")
    if ratio < 1:
        raise JusticeLabError("ratio must be at least 1")
    data = data.reset_index(drop=True)
    propensity = None
    if isinstance(distance, str):
        propensity = (model or PropensityModel(list(covariates))).fit(data, treatment)
        if distance == "logit":
            dist = propensity.linear
        elif distance == "ps":
            dist = propensity.score
        else:
            raise JusticeLabError("distance must be 'logit', 'ps' or an array")
    else:
        dist = np.asarray(distance, dtype=float)
        if len(dist) != len(data):
            raise JusticeLabError("distance array must have one value per row")
    treat = data[treatment].to_numpy().astype(bool)
    discarded = _common_support(dist, treat, discard)
    eligible = ~discarded
    strata = None
    if exact:
        strata = data[exact].astype(str).agg("\x1f".join, axis=1).factorize()[0] if len(exact) > 1 \
            else data[exact[0]].astype(str).factorize()[0]
    kept = dist if eligible.all() else dist[eligible]  # no copy of 2M distances when nothing is discarded
    cal = None if caliper is None else caliper * float(np.std(kept, ddof=1))
    focal = ~treat if estimand == "ATC" else treat  # the group each match set is built around
    weights = np.zeros(len(data))
    sub = np.full(len(data), -1, np.int64)
    matches: dict[int, list[int]] = {}
    if method == "subclass":
        weights, sub = subclass_weights(dist, treat, eligible, subclass, estimand, min_n)
    elif method == "nearest":
        if mahvars:
            X = design_matrix(data, list(mahvars)).frame.to_numpy(dtype=float)
            matches = mahalanobis_neighbours(X, mahalanobis_scale(X, treat, eligible), dist, focal, eligible, strata, ratio, replace, cal, order)
        else:
            matches = nearest_neighbour(dist, focal, eligible, strata, ratio, replace, cal, order, ties)
        weights, sub = _match_set_weights(matches, len(data), replace)
    else:
        if cal is None:
            raise JusticeLabError(f"{method} matching needs a caliper (the radius, in SDs of the distance)")
        kernel = "epanechnikov" if method == "kernel" else None
        if at_risk is None:
            weights, matched_t = radius_weights(dist, focal, eligible, strata, cal, kernel=kernel)
        else:
            delay = np.maximum(data[at_risk[0]].to_numpy(dtype=float), 0)
            survival = data[at_risk[1]].to_numpy(dtype=float)
            survival = np.where(np.isnan(survival), np.inf, survival)
            bins = np.where(treat, (np.nan_to_num(delay) // at_risk_bin) * at_risk_bin, np.nan)
            weights, matched_t = np.zeros(len(data)), np.zeros(len(data), bool)
            for b in np.unique(bins[treat & eligible]):
                in_bin = eligible & ((treat & (bins == b)) | (~treat & (survival >= b)))
                w_b, m_b = radius_weights(dist, treat, in_bin, strata, cal, kernel=kernel)
                weights += w_b
                matched_t |= m_b
        weights[matched_t] = 1.0
        for k, row in enumerate(np.flatnonzero(matched_t)):
            sub[row] = k
            matches[int(row)] = []
    if estimand != "ATE":  # the other group's weights sum to its number of matched people (MatchIt)
        c = ~focal & (weights > 0)
        if c.any():
            weights[c] *= c.sum() / weights[c].sum()
    settings = {"method": method, "distance": distance if isinstance(distance, str) else "user-supplied",
                "ratio": ratio, "replace": replace, "caliper": caliper, "exact": exact or [], "discard": discard,
                "order": order, "ties": ties, "at_risk": list(at_risk) if at_risk else None, "estimand": estimand,
                "subclass": subclass if method == "subclass" else None,
                "min_n": min_n if method == "subclass" else None, "mahvars": list(mahvars or []),
                "caliper_distance": cal}
    return MatchResult(data, treatment, list(covariates), propensity, dist, weights, sub, discarded,
                       matches, settings)
