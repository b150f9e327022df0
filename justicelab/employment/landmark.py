"""Employment and reoffending with the time ordering made explicit: a landmark design (docs/employment.md).

The naive comparison (seed 002's: P45 employment at any time in the year after release against none,
one-year reoffending) lets the outcome decide the exposure: a person who reoffends early, or is back in
custody, has less time and less chance to find work, so "not employed" is partly a consequence of
reoffending, and employment that began after a reoffence is counted as if it could have prevented it.

The landmark design fixes one day L after release (default 91, thirteen weeks) and keeps only people who
had not reoffended and were not back in custody by then. Exposure is employment begun by day L; the
outcome is counted from day L+1 to day 365: reoffending, and days free of reoffending (the restricted
mean time to first reoffence). Exposure is then known before any outcome is counted. The groups are
matched (kernel weighting on the propensity logit, as every Data Lab analysis) on what was known at
release, separately by sentence group; intervals are HC1, as in the analyses.
"""
from __future__ import annotations

import pandas as pd

from ..errors import JusticeLabError
from ..matching import matchit
from ..matching.outcomes import estimate
from .sequential import hiring_score, sequential_sample
from .simulate import LONG, SHORT, day_of, days_free, reoffended_after

COVARIATES = ["age", "previous_offences", "employed_before", "custodial_months"]
MIN_GROUP = 30  # fewer employed or comparison people than this: no estimate for the group


def landmark_sample(leavers: pd.DataFrame, landmark: int = 91) -> pd.DataFrame:
    """People at risk at the landmark, with exposure (employment by day L) and outcomes from day L+1."""
    reoff = day_of(leavers, "days_to_first_reoffence")
    custody = day_of(leavers, "days_to_custody")
    keep = ((reoff == 0) | (reoff > landmark)) & ((custody == 0) | (custody > landmark))
    out = leavers.loc[keep].copy()
    emp = day_of(out, "days_to_employment")
    out["treated"] = ((emp > 0) & (emp <= landmark)).astype(int)
    r = day_of(out, "days_to_first_reoffence")
    out["reoffended"] = reoffended_after(r, landmark).astype(int)
    out["days_free"] = days_free(r, landmark)
    return out


def naive_sample(leavers: pd.DataFrame) -> pd.DataFrame:
    """Everyone released; exposure is employment at any time in the year, outcomes over the whole year."""
    out = leavers.copy()
    emp = day_of(out, "days_to_employment")
    out["treated"] = ((emp > 0) & (emp <= 365)).astype(int)
    r = day_of(out, "days_to_first_reoffence")
    out["reoffended"] = reoffended_after(r, 0).astype(int)
    out["days_free"] = days_free(r, 0)
    return out


def matched_effects(sample: pd.DataFrame, covariates: list[str] = COVARIATES, caliper: float = 0.1,
                    sequential: bool = False) -> dict:
    """Employed vs matched not employed: rate and days free, with 95% intervals (HC1; clustered by person for
    the sequential design, where a person can be a comparison on many days and treated on one)."""
    treated = sample["treated"] == 1
    n_t = int(sample.loc[treated, "person_id"].nunique())
    n_c = int(sample.loc[~treated, "person_id"].nunique())
    if min(n_t, n_c) < MIN_GROUP:
        return {"withheld": f"fewer than {MIN_GROUP} people employed or not employed",
                "n_treated": n_t, "n_comparison": n_c}
    data = sample.sort_values(["person_id", "treated"], kind="stable").reset_index(drop=True)
    risk_sets = ({"at_risk": ("delay", "survival"), "at_risk_bin": 1, "distance": hiring_score(data, covariates)}
                 if sequential else {})
    se = {"se": "cluster", "cluster": "person_id"} if sequential else {"se": "hc1"}
    try:
        matched = matchit(data, "treated", covariates, method="kernel", caliper=caliper, **risk_sets).matched_data()
    except JusticeLabError as exc:
        return {"withheld": str(exc), "n_treated": n_t, "n_comparison": n_c}
    return {"rate": estimate(matched, "reoffended", treatment="treated", **se).as_dict(),
            "days_free": estimate(matched, "days_free", treatment="treated", **se).as_dict(),
            "n_treated": n_t, "n_comparison": n_c}


def employment_and_reoffending(leavers: pd.DataFrame, landmark: int = 91,
                               covariates: list[str] = COVARIATES) -> list[dict]:
    """Both designs for each sentence group: one row per (group, design)."""
    rows = []
    for group in (SHORT, LONG):
        members = leavers[leavers["sentence_group"] == group]
        for design, sample in designs(members, landmark):
            rows.append({"sentence_group": group, "design": design, "people": int(sample["person_id"].nunique()),
                         **matched_effects(sample, covariates, sequential=design == "sequential")})
    return rows


def designs(members: pd.DataFrame, landmark: int = 91) -> list[tuple[str, pd.DataFrame]]:
    """The three designs' samples: naive, landmark and sequential (employment/sequential.py)."""
    return [("naive", naive_sample(members)), ("landmark", landmark_sample(members, landmark)),
            ("sequential", sequential_sample(members))]
