"""Balance diagnostics, computed as MatchIt's summary() computes them (for the ATT).

* Standardised mean difference: (weighted treated mean - weighted comparison mean) / s, where s is the
  standard deviation of the *treated group before matching* (n - 1 denominator; for a binary variable
  sqrt(p(1 - p)) of the treated proportion). The same s is used before and after matching, so the two
  columns are comparable.
* Variance ratio: weighted treated variance / weighted comparison variance (continuous variables only),
  with the unbiased weighted variance sum(w (x - m)^2) / (sum(w) - sum(w^2) / sum(w)).
* eCDF mean and max: mean and maximum absolute difference between the groups' weighted empirical
  distribution functions, evaluated at every distinct value of the variable in the full sample
  (unmatched units included, as MatchIt does).
* Effective sample size of the weighted comparison group: (sum w)^2 / sum(w^2).

Each covariate is labelled by |SMD| (thresholds in THRESHOLDS): "well matched" below 0.05,
"reasonably matched" below 0.10, otherwise "poorly matched" (the 10% rule of Austin 2009, with a
stricter band for "well", as the Data Lab's reports grade their variables).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

THRESHOLDS = (0.05, 0.10)


def _wmean(x, w):
    return float(np.sum(w * x) / np.sum(w))


def _wvar(x, w):
    sw = w.sum()
    m = np.sum(w * x) / sw
    return float(np.sum(w * (x - m) ** 2) / (sw - np.sum(w ** 2) / sw))


def _ecdf_stats(xt, wt, xc, wc, values) -> tuple[float, float]:
    ot, oc = np.argsort(xt, kind="stable"), np.argsort(xc, kind="stable")
    ft = np.cumsum(wt[ot]) / wt.sum()
    fc = np.cumsum(wc[oc]) / wc.sum()
    # F(v) = share of weight at or below v
    Ft = np.concatenate([[0.0], ft])[np.searchsorted(xt[ot], values, side="right")]
    Fc = np.concatenate([[0.0], fc])[np.searchsorted(xc[oc], values, side="right")]
    diff = np.abs(Ft - Fc)
    return float(diff.mean()), float(diff.max())


def label(smd: float, thresholds=THRESHOLDS) -> str:
    a = abs(smd)
    if a < thresholds[0]:
        return "well matched"
    if a < thresholds[1]:
        return "reasonably matched"
    return "poorly matched"


def _columns(data: pd.DataFrame, covariates: list[str]) -> dict[str, tuple[np.ndarray, bool]]:
    """Covariate -> (values, is_binary); categorical covariates give one 0/1 column per level."""
    out = {}
    for c in covariates:
        s = data[c]
        if pd.api.types.is_bool_dtype(s):
            out[c] = (s.to_numpy().astype(float), True)
        elif not pd.api.types.is_numeric_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
            text = s.astype(str).to_numpy()
            for lev in sorted(pd.unique(text)):
                out[f"{c}: {lev}"] = ((text == lev).astype(float), True)
        else:
            x = s.to_numpy(dtype=float)
            out[c] = (x, bool(np.isin(x, (0.0, 1.0)).all()))
    return out


class BalanceTable(pd.DataFrame):
    """A DataFrame with one row per covariate (level) and a few summaries."""

    _metadata = ["sample_sizes"]

    @property
    def _constructor(self):
        return BalanceTable

    def all_well_matched(self) -> bool:
        return bool((self.loc[self.index != "distance", "label_after"] == "well matched").all())

    def worst(self) -> str:
        rows = self.loc[self.index != "distance"]
        return str(rows["smd_after"].abs().idxmax())


def _standardiser(x: np.ndarray, t: np.ndarray, binary: bool, estimand: str) -> float:
    def variance(v: np.ndarray) -> float:
        return v.mean() * (1 - v.mean()) if binary else np.var(v, ddof=1)
    if estimand == "ATE":
        sd = np.sqrt((variance(x[t]) + variance(x[~t])) / 2)
    else:
        sd = np.sqrt(variance(x[~t] if estimand == "ATC" else x[t]))
    return sd if sd > 0 else np.nan


def balance_table(data: pd.DataFrame, treatment: str, covariates: list[str], weights: np.ndarray,
                  distance: np.ndarray | None = None, discarded: np.ndarray | None = None,
                  thresholds=THRESHOLDS, estimand: str = "ATT") -> BalanceTable:
    """Standardised differences use the SD of the estimand's target group in the full sample, as MatchIt:
    the treated (ATT), the comparison group (ATC), or the root mean of both variances (ATE)."""
    t = data[treatment].to_numpy().astype(bool)
    w = np.asarray(weights, dtype=float)
    cols = {}
    if distance is not None:
        cols["distance"] = (np.asarray(distance, float), False)
    cols.update(_columns(data, covariates))
    ones = np.ones(len(data))
    matched = w > 0
    rows = []
    for name, (x, binary) in cols.items():
        sd = _standardiser(x, t, binary, estimand)
        values = np.unique(x)  # every distinct value in the full sample, matched or not (as MatchIt)
        row = {"variable": name, "binary": binary}
        for when, mask, wt in (("before", np.ones(len(x), bool), ones), ("after", matched, w)):
            mt, mc = t & mask, ~t & mask
            mean_t, mean_c = _wmean(x[mt], wt[mt]), _wmean(x[mc], wt[mc])
            row[f"mean_treated_{when}"] = mean_t
            row[f"mean_comparison_{when}"] = mean_c
            row[f"smd_{when}"] = (mean_t - mean_c) / sd
            row[f"var_ratio_{when}"] = np.nan if binary else _wvar(x[mt], wt[mt]) / _wvar(x[mc], wt[mc])
            if binary:  # a binary variable's eCDFs differ by |difference in proportions| at one point
                row[f"ecdf_mean_{when}"] = row[f"ecdf_max_{when}"] = abs(mean_t - mean_c)
            else:
                row[f"ecdf_mean_{when}"], row[f"ecdf_max_{when}"] = _ecdf_stats(x[mt], wt[mt], x[mc], wt[mc], values)
        row["label_after"] = label(row["smd_after"], thresholds)
        rows.append(row)
    table = BalanceTable(pd.DataFrame(rows).set_index("variable"))
    wc = w[~t & matched]
    table.sample_sizes = {
        "treated_all": int(t.sum()), "comparison_all": int((~t).sum()),
        "treated_matched": int((t & matched).sum()), "comparison_matched": int((~t & matched).sum()),
        "comparison_ess": float(wc.sum() ** 2 / (wc ** 2).sum()) if len(wc) else 0.0,
        "discarded": int(discarded.sum()) if discarded is not None else 0,
    }
    return table
