"""Contracts measured against a baseline year fixed in advance.

* Doncaster (baseline_binary): the share of a year's releases with at least one reconviction event,
  against the same prison's baseline year; paid when it falls by the contract's percentage points.
* Transforming Rehabilitation style (probation_case_mix): the binary proven reoffending rate against the
  rate the baseline year's relationship between risk and reoffending predicts for this year's case mix
  (a logistic model on the OGRS-style score, age, sex, criminal history and sentence), and reoffences
  per reoffender against the baseline year's.
Intervals are Wald intervals at the contract's confidence; the case-mix interval adds the prediction's
own uncertainty (delta method on the model's coefficients).
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from ..engine import Engine, run_steps
from ..measures.cohort import measures_steps
from ..measures.rules import Rules
from .cohort import build_register
from .contract import Contract
from .events import count_reconviction_events


def _z(contract: Contract) -> float:
    return float(stats.norm.ppf(0.5 + contract.comparison.confidence / 2))


def group_registers(engine: Engine, contract: Contract) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the contract year's register, the baseline year's register), by the same rules."""
    e, c = contract.eligibility, contract.comparison
    build_register(engine, contract, c.baseline_from, c.baseline_to, "baseline_register")
    baseline = engine.query("SELECT * FROM baseline_register")
    build_register(engine, contract, e.released_from, e.released_to)
    return engine.query("SELECT * FROM register"), baseline


def _members(register: pd.DataFrame) -> pd.DataFrame:
    return register[register["position"].notna()][["person_id", "disposal_id", "index_date"]]


def binary_against_baseline(engine: Engine, contract: Contract, cohort: pd.DataFrame, baseline: pd.DataFrame,
                            rules: Rules = Rules()) -> dict:
    groups = pd.concat([_members(cohort).assign(group="cohort"), _members(baseline).assign(group="baseline")])
    groups = groups.rename(columns={"index_date": "release_date"})
    groups["release_date"] = pd.to_datetime(groups["release_date"])
    events = count_reconviction_events(engine, groups, rules, contract.outcome.cautions_count)
    groups = groups.merge(events, on=["person_id", "release_date"], how="left")
    y = groups.assign(reconvicted=groups["events"] > 0).groupby("group")["reconvicted"].agg(["mean", "size"])
    a, n_a = float(y.loc["cohort", "mean"]), int(y.loc["cohort", "size"])
    b, n_b = float(y.loc["baseline", "mean"]), int(y.loc["baseline", "size"])
    se = np.sqrt(a * (1 - a) / n_a + b * (1 - b) / n_b)
    fall = b - a
    return {"measure": "binary_rate", "cohort_rate": a, "cohort_size": n_a, "baseline_rate": b, "baseline_size": n_b,
            "fall_pp": 100 * fall, "fall_low_pp": 100 * (fall - _z(contract) * se),
            "fall_high_pp": 100 * (fall + _z(contract) * se), "p_value": float(2 * stats.norm.sf(abs(fall / se))),
            "outcomes_avoided": fall * n_a}


CASE_MIX = ["logit_ogrs", "has_assessment", "age", "age_squared", "male", "log_previous_offences", "copas_rate"]


def _case_mix_frame(m: pd.DataFrame) -> pd.DataFrame:
    assessed = m["has_assessment"] == 1
    ogrs = m["ogrs_score"].astype(float).fillna(m.loc[assessed, "ogrs_score"].astype(float).mean()).clip(0.01, 0.99)
    x = pd.DataFrame({"logit_ogrs": np.log(ogrs / (1 - ogrs)), "has_assessment": m["has_assessment"].astype(float),
                      "age": m["age"].astype(float), "male": (m["gender"] == "M").astype(float),
                      "log_previous_offences": np.log1p(m["previous_offences"].astype(float)),
                      "copas_rate": m["copas_rate"].astype(float)})
    x["age_squared"] = x["age"] ** 2 / 100
    x = pd.concat([x, pd.get_dummies(m["disposal_type"], prefix="sentence", drop_first=True, dtype=float)], axis=1)
    return sm.add_constant(x, has_constant="add")


def case_mix_against_baseline(engine: Engine, contract: Contract, cohort: pd.DataFrame, baseline: pd.DataFrame,
                              rules: Rules = Rules()) -> list[dict]:
    """Proven reoffending (cautions count) for both years, from the measures pipeline."""
    groups = pd.concat([_members(cohort).assign(group="cohort"), _members(baseline).assign(group="baseline")])
    engine.register_typed("cohort", groups[["person_id", "disposal_id", "index_date"]],
                          {"person_id": "BIGINT", "disposal_id": "BIGINT", "index_date": "DATE"})
    run_steps(engine, measures_steps(rules))
    m = engine.query("SELECT * FROM cohort_measures").merge(groups[["disposal_id", "group"]], on="disposal_id")
    m = m.sort_values(["group", "person_id", "disposal_id"]).reset_index(drop=True)
    X = _case_mix_frame(m)
    base, now = (m["group"] == "baseline").to_numpy(), (m["group"] == "cohort").to_numpy()
    fit = sm.GLM(m.loc[base, "reoffended"].astype(float), X[base], family=sm.families.Binomial()).fit()
    Xn = X[now].reindex(columns=X.columns, fill_value=0.0)
    p = fit.predict(Xn)
    expected, actual, n = float(p.mean()), float(m.loc[now, "reoffended"].mean()), int(now.sum())
    grad = (Xn.to_numpy() * (p * (1 - p)).to_numpy()[:, None]).mean(axis=0)
    var_expected = float(grad @ fit.cov_params().to_numpy() @ grad)
    se = np.sqrt(actual * (1 - actual) / n + var_expected)
    fall, z = expected - actual, _z(contract)
    binary = {"measure": "binary_rate", "cohort_rate": actual, "cohort_size": n, "expected_rate": expected,
              "baseline_rate": float(m.loc[base, "reoffended"].mean()), "baseline_size": int(base.sum()),
              "fall_pp": 100 * fall, "fall_low_pp": 100 * (fall - z * se), "fall_high_pp": 100 * (fall + z * se),
              "p_value": float(2 * stats.norm.sf(abs(fall / se))), "outcomes_avoided": fall * n,
              "case_mix_model": {k: float(v) for k, v in fit.params.items()}}
    freq = []
    for g in ("cohort", "baseline"):
        r = m.loc[(m["group"] == g) & (m["reoffended"] == 1), "reoffences"].astype(float)
        freq.append((float(r.mean()), float(r.var(ddof=1)), len(r)))
    (fc, vc, nc), (fb, vb, nb) = freq
    se_f = np.sqrt(vc / nc + vb / nb)
    frequency = {"measure": "reoffences_per_reoffender", "cohort_value": fc, "cohort_reoffenders": nc,
                 "baseline_value": fb, "baseline_reoffenders": nb, "fall": fb - fc,
                 "fall_low": fb - fc - z * se_f, "fall_high": fb - fc + z * se_f,
                 "p_value": float(2 * stats.norm.sf(abs((fb - fc) / se_f))), "outcomes_avoided": (fb - fc) * nc}
    return [binary, frequency]


def cohort_dates(register: pd.DataFrame) -> pd.Series:
    return register.loc[register["position"].notna(), "index_date"]


def baseline_mature(baseline: pd.DataFrame, as_of: date, rules: Rules = Rules()) -> bool:
    last = pd.to_datetime(cohort_dates(baseline)).max()
    return bool(pd.notna(last) and (last + pd.Timedelta(days=rules.last_proven_day)).date() <= as_of)
