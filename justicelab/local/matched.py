"""The matched comparison a local cohort gets when it is big enough: the better answer that
predicted-vs-actual stands in for. Each local person is matched (nearest neighbour on the propensity
logit, with replacement, caliper 0.2 SD; the matching package's MatchIt rules) to someone in the rest of
the national cohort with the same OGRS-style characteristics, and the rates are compared.

It still sees only what the records hold: selection on motivation remains possible. A full Data Lab
analysis (`justicelab analyse`) adds assessments, needs, benefits and employment to the match.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import JusticeLabError
from ..matching import matchit
from ..matching.outcomes import estimate
from .predict import PredictionModel

MIN_MATCHED = 60  # the Data Lab's smallest treatment group


def matched_comparison(model: PredictionModel, national: pd.DataFrame, local: np.ndarray) -> dict:
    """Rate and frequency of the local people against matched people from the rest of the cohort."""
    n = int(np.sum(local))
    if n < MIN_MATCHED:
        return {"run": False, "reason": f"{n} people: a matched comparison needs at least {MIN_MATCHED}"}
    X = model.design(national)[:, 1:]  # the prediction model's characteristics, without the intercept
    local = np.asarray(local).astype(bool)
    pool, kept, exact = _local_support(X, local)
    covariates = [f"x{j}" for j in kept]
    frame = pd.DataFrame(X[pool][:, kept], columns=covariates)
    frame["local"] = local[pool].astype(int)
    frame["reoffended"] = national["reoffended"].to_numpy(float)[pool]
    frame["reoffences"] = national["reoffences"].to_numpy(float)[pool]
    try:
        matched = matchit(frame, "local", covariates, caliper=0.2, replace=True).matched_data()
    except JusticeLabError as exc:
        return {"run": False, "reason": f"the matched comparison could not be made: {exc}"}
    out = {"run": True, "method": "nearest neighbour on the propensity logit, with replacement, caliper 0.2 SD"
           + (f"; exactly on {exact} characteristic(s) every local person shares" if exact else "")}
    for outcome in ("reoffended", "reoffences"):
        with np.errstate(invalid="ignore"):  # the intercept's cluster variance can round to -1e-36: unused
            e = estimate(matched, outcome, treatment="local")
        out[outcome] = {k: e.as_dict()[k] for k in ("n_treated", "n_comparison", "treated_value", "comparison_value",
                                                    "difference", "ci_low", "ci_high", "p_value", "se_method")}
    return out


def _local_support(X: np.ndarray, local: np.ndarray) -> tuple[np.ndarray, list[int], int]:
    """Rows and columns to match on. A yes/no characteristic every local person shares (all women, say, or no
    one with a sexual index offence) would predict membership perfectly: the comparison is drawn only from
    people who share it too (exact matching on it), and it leaves the propensity model."""
    pool = np.ones(len(X), bool)
    kept = []
    for j in range(X.shape[1]):
        values = X[local, j]
        binary = np.isin(X[:, j], (0.0, 1.0)).all()
        if binary and len(values) and (values == values[0]).all():
            pool &= X[:, j] == values[0]
        else:
            kept.append(j)
    return pool, kept, X.shape[1] - len(kept)
