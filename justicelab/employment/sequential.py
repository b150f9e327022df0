"""Employment and reoffending as a sequence of daily trials (risk-set matching): the design that leaves
neither the outcome nor the exposure to pick who is compared.

The landmark design compares people employed by day L with people not employed by then, among those who
had not reoffended by day L. A job held before day L helps its holder get to day L, so the employed who
reach it include people who would otherwise have reoffended on the way: riskier people than the comparison
group. Where risk differs between people in ways the records miss, that biases the landmark comparison
towards no effect (the national synthetic database shows it: docs/employment.md).

Here each day t after release is a trial. The treated are the people whose first job begins on day t and who
had not reoffended or gone back into custody before it; their comparison is everyone else in the same state
on day t and not yet employed, whether or not they find work later. Both have survived to day t without a
job, so neither group is selected by the job's effect. Each treated person is matched (kernel weighting, within the trial: matchit's
risk-set alignment with one-day bins) to the comparison people of their trial, on the linear predictor of a
hiring hazard model (Poisson on days at risk of a first job): the trial's propensity, where a logistic model
of "ever treated" would weigh each person once however long they were at risk (and leave, for instance, the
young, who reoffend sooner, under-represented). A person is a comparison on every day before their own job, and treated on its first
day, so the intervals cluster by person. The outcomes are those of the whole year after release: both
groups are free of reoffending to day t, so the difference is the difference from day t on.

The estimand: for people starting work on day t, reoffending had they started then against had they not,
their later chance of a job going on as it would (the controls' later jobs are that natural course).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from .simulate import day_of, days_free, reoffended_after

LAST_DAY = 300  # the last trial: a job begun later has too little of the year left to show an effect


def sequential_sample(leavers: pd.DataFrame, last_day: int = LAST_DAY) -> pd.DataFrame:
    """A treated row for each person whose first job begins on a day t <= last_day while they are at risk,
    with `delay` t, and a comparison row for each person while at risk and not employed, with `survival` the
    last day they are (a comparison for the trials on days up to it)."""
    reoff, custody, emp = (day_of(leavers, c) for c in ("days_to_first_reoffence", "days_to_custody",
                                                       "days_to_employment"))
    inf = np.inf
    reoff_at = np.where(reoff > 0, reoff, inf)
    custody_at = np.where(custody > 0, custody, inf)
    emp_at = np.where(emp > 0, emp, inf)
    at_risk_when_hired = (emp_at <= last_day) & (reoff_at >= emp_at) & (custody_at >= emp_at)
    outcomes = {"reoffended": reoffended_after(reoff, 0).astype(int), "days_free": days_free(reoff, 0)}
    base = leavers.assign(**outcomes)
    treated = base.loc[at_risk_when_hired].assign(treated=1, delay=emp_at[at_risk_when_hired], survival=np.nan)
    survival = np.minimum(np.minimum(reoff_at, custody_at), emp_at - 1)
    keep = survival >= 1
    comparison = base.loc[keep].assign(treated=0, delay=np.nan, survival=survival[keep])
    out = pd.concat([treated, comparison], ignore_index=True)
    return out.sort_values(["person_id", "treated"], kind="stable").reset_index(drop=True)


def hiring_score(sample: pd.DataFrame, covariates: list[str], last_day: int = LAST_DAY) -> np.ndarray:
    """Per row of a sequential sample: the linear predictor of a proportional hazard of a first job
    (Poisson regression of being hired on the covariates, offset by the log of days at risk of it)."""
    person = sample.drop_duplicates("person_id", keep="last")  # the treated row, where there is one
    hired = person["treated"].to_numpy()
    days = np.where(hired == 1, person["delay"].to_numpy(), np.minimum(person["survival"].to_numpy(), last_day))
    X = sm.add_constant(person[covariates].to_numpy(dtype=float), has_constant="add")
    fit = sm.GLM(hired, X, family=sm.families.Poisson(), offset=np.log(np.maximum(days, 1))).fit()
    score = pd.Series(X[:, 1:] @ fit.params[1:], index=person["person_id"].to_numpy())
    return score.reindex(sample["person_id"].to_numpy()).to_numpy()
