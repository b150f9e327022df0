"""One frame for matching from a treated group and a pool, with the adaptations a small group needs."""
from __future__ import annotations

import pandas as pd


def prepare_groups(treated: pd.DataFrame, pool: pd.DataFrame, numeric: list[str], categorical: list[str],
                   min_level_treated: int = 5, mean_fill: tuple[str, ...] = (),
                   order: tuple[str, ...] = ("person_id", "disposal_id")) -> tuple[pd.DataFrame, list, dict]:
    """Stack the groups (column `treated`), and return (frame, covariates to model, notes on what changed).

    * A fixed row order (`order`): engines return rows in any order, and float sums depend on it.
    * `mean_fill` columns take the mean of their known values where missing (pair them with a
      missing-indicator covariate); other numeric gaps are 0.
    * A numeric covariate constant among the treated becomes an exact restriction (like with like) and
      leaves the model; categorical levels with fewer than `min_level_treated` treated rows are combined,
      and comparison rows with a level no treated row has are dropped (they would separate perfectly).
    """
    keys = [c for c in order if c in treated.columns and c in pool.columns]
    data = pd.concat([treated.sort_values(keys).assign(treated=1), pool.sort_values(keys).assign(treated=0)],
                     ignore_index=True)
    notes = {"exact_on": [], "combined_levels": {}, "comparison_dropped": 0}
    for c in mean_fill:
        data[c] = data[c].astype(float).fillna(data[c].astype(float).mean())
    for c in numeric:
        data[c] = pd.to_numeric(data[c].astype(float).fillna(0), errors="coerce")
    t = data["treated"] == 1
    covariates = []
    for c in numeric:
        values = data.loc[t, c].unique()
        if len(values) == 1:
            keep = t | (data[c] == values[0])
            notes["comparison_dropped"] += int((~keep).sum())
            notes["exact_on"].append(c)
            data = data[keep]
            t = data["treated"] == 1
        else:
            covariates.append(c)
    for c in categorical:
        data[c] = data[c].astype(str)
        counts = data.loc[t, c].value_counts()
        rare = set(data[c].unique()) - set(counts[counts >= min_level_treated].index)
        if rare:
            data.loc[data[c].isin(rare), c] = "Other (combined)"
            notes["combined_levels"][c] = sorted(rare)
        keep = t | data[c].isin(set(data.loc[t, c].unique()))
        notes["comparison_dropped"] += int((~keep).sum())
        data = data[keep]
        t = data["treated"] == 1
        if data.loc[t, c].nunique() > 1 or data[c].nunique() > 1:
            covariates.append(c)
    return data.reset_index(drop=True), covariates, notes
