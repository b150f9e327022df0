"""Contracts measured against a baseline period fixed in advance, cohort by cohort.

* Doncaster (baseline_binary): the share of a cohort's releases with at least one reconviction event,
  against the same prison's baseline year; paid when it falls by the contract's percentage points.
* Transforming Rehabilitation style (probation_case_mix): the binary proven reoffending rate against the
  rate the baseline year's relationship between risk and reoffending predicts for the cohort's case mix
  (the "expected rate": a logistic model on the OGRS-style score, age, sex, criminal history and sentence),
  and reoffences per reoffender against the baseline year's.

Like with like: until a cohort's count is final, the baseline is cut the same way. Its releases at the
same point of their period, observed for the same time: the database as of the statement date moved back
by the distance between the cohort's start and the baseline's start. Once the cohort is final the whole
baseline, fully observed, is used. Intervals are Wald intervals at the contract's confidence; the case-mix
interval adds the prediction's own uncertainty (delta method on the model's coefficients). Shares are
kept as exact fractions of counts, so a threshold compares exactly.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from fractions import Fraction

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from ..data.db import restrict_to_snapshot
from ..engine import Engine, run_steps
from ..measures.cohort import index_events_step, measures_steps
from ..measures.rules import Rules
from .arithmetic import to_decimal
from .cohort import build_register
from .contract import Contract, cohort_periods
from .events import count_reconviction_events
from .maturity import maturity


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def group_registers(engine: Engine, contract: Contract) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the contract period's register, the baseline period's register), by the same rules."""
    e, c = contract.eligibility, contract.comparison
    build_register(engine, contract, c.baseline_from, c.baseline_to, "baseline_register")
    baseline = engine.query("SELECT * FROM baseline_register")
    build_register(engine, contract, e.released_from, e.released_to)
    return engine.query("SELECT * FROM register"), baseline


def _members(register: pd.DataFrame) -> pd.DataFrame:
    return register[register["position"].notna()][["person_id", "disposal_id", "index_date"]]


def _snapshot(engine: Engine, day: date) -> None:
    restrict_to_snapshot(engine.con, day.isoformat())
    engine.con.execute("DROP TABLE IF EXISTS index_events")  # built from the views: rebuild on the new cut


@contextmanager
def observed_as_of(engine: Engine, day: date | None, restore: date):
    """The database as it stood on `day` (None: unchanged), then back to `restore`."""
    if day is None:
        yield
        return
    _snapshot(engine, day)
    try:
        yield
    finally:
        _snapshot(engine, restore)


def binary_comparison(cohort_rate, n_a: int, baseline_rate, n_b: int, confidence: float,
                      expected_rate=None, var_expected: float = 0.0) -> dict:
    """Cohort rate against the baseline (or case-mix expected) rate. Rates may be Fractions of counts or
    decimals; `fall_exact` keeps them exact for the threshold, the interval is a Wald interval."""
    ref = baseline_rate if expected_rate is None else expected_rate
    fall_exact = to_decimal(ref) - to_decimal(cohort_rate)
    a, ref_f = float(cohort_rate), float(ref)
    se = np.sqrt(a * (1 - a) / n_a + (ref_f * (1 - ref_f) / n_b if expected_rate is None else var_expected))
    fall, z = float(fall_exact), _z(confidence)
    out = {"measure": "binary_rate", "cohort_rate": a, "cohort_size": n_a, "baseline_rate": float(baseline_rate),
           "baseline_size": n_b, "fall_exact": fall_exact, "fall_pp": 100 * fall,
           "fall_low_pp": 100 * (fall - z * se), "fall_high_pp": 100 * (fall + z * se),
           "p_value": float(2 * stats.norm.sf(abs(fall / se))) if se > 0 else None, "outcomes_avoided": fall * n_a}
    if expected_rate is not None:
        out["expected_rate"] = ref_f
    return out


def frequency_comparison(cohort_value, cohort_var: float, n_c: int, baseline_value, baseline_var: float,
                         n_b: int, confidence: float) -> dict:
    """Reoffences per reoffender, directly against the baseline's (Welch interval)."""
    fall_exact = to_decimal(baseline_value) - to_decimal(cohort_value)
    fall, se, z = float(fall_exact), np.sqrt(cohort_var / n_c + baseline_var / n_b), _z(confidence)
    return {"measure": "reoffences_per_reoffender", "cohort_value": float(cohort_value), "cohort_reoffenders": n_c,
            "baseline_value": float(baseline_value), "baseline_reoffenders": n_b, "fall_exact": fall_exact,
            "fall": fall, "fall_low": fall - z * se, "fall_high": fall + z * se,
            "p_value": float(2 * stats.norm.sf(abs(fall / se))) if se > 0 else None, "outcomes_avoided": fall * n_c}


def _reconvicted(engine: Engine, members: pd.DataFrame, contract: Contract, rules: Rules) -> tuple[int, int]:
    """(people with at least one reconviction event, people)."""
    people = members.rename(columns={"index_date": "release_date"})
    people["release_date"] = pd.to_datetime(people["release_date"])
    events = count_reconviction_events(engine, people, rules, contract.outcome.cautions_count)
    return int((events["events"] > 0).sum()), len(people)


def _proven_measures(engine: Engine, members: pd.DataFrame, group: str, rules: Rules) -> pd.DataFrame:
    engine.register_typed("cohort", members[["person_id", "disposal_id", "index_date"]],
                          {"person_id": "BIGINT", "disposal_id": "BIGINT", "index_date": "DATE"})
    run_steps(engine, ([] if engine.has_table("index_events") else [index_events_step()]) + measures_steps(rules))
    return engine.query("SELECT * FROM cohort_measures").assign(group=group)


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


def case_mix_comparison(m: pd.DataFrame, confidence: float) -> list[dict]:
    """From proven-reoffending measures of both groups (`group` = cohort/baseline): the binary rate against
    the case-mix expected rate, and reoffences per reoffender against the baseline's."""
    m = m.sort_values(["group", "person_id", "disposal_id"]).reset_index(drop=True)
    X = _case_mix_frame(m)
    base, now = (m["group"] == "baseline").to_numpy(), (m["group"] == "cohort").to_numpy()
    fit = sm.GLM(m.loc[base, "reoffended"].astype(float), X[base], family=sm.families.Binomial()).fit()
    Xn = X[now].reindex(columns=X.columns, fill_value=0.0)
    p = fit.predict(Xn)
    grad = (Xn.to_numpy() * (p * (1 - p)).to_numpy()[:, None]).mean(axis=0)
    var_expected = float(grad @ fit.cov_params().to_numpy() @ grad)
    hits, n = int(m.loc[now, "reoffended"].sum()), int(now.sum())
    b_hits, n_b = int(m.loc[base, "reoffended"].sum()), int(base.sum())
    binary = binary_comparison(Fraction(hits, n), n, Fraction(b_hits, n_b), n_b, confidence,
                               expected_rate=Fraction(float(p.mean())), var_expected=var_expected)
    binary["case_mix_model"] = {k: float(v) for k, v in fit.params.items()}
    freq = []
    for g in ("cohort", "baseline"):
        r = m.loc[(m["group"] == g) & (m["reoffended"] == 1), "reoffences"].astype(int)
        freq.append((Fraction(int(r.sum()), len(r)), float(r.var(ddof=1)), len(r)))
    (fc, vc, nc), (fb, vb, nb) = freq
    return [binary, frequency_comparison(fc, vc, nc, fb, vb, nb, confidence)]


def _baseline_cut(contract: Contract, period, baseline: pd.DataFrame, as_of: date, final: bool):
    """The baseline members and the day to observe them, like with like for this cohort period."""
    if final:
        return _members(baseline), None
    b0 = contract.comparison.baseline_from
    shift = period.start - b0
    window_end = pd.Timestamp(b0 + (min(as_of, period.end) - period.start))
    members = _members(baseline)
    return members[pd.to_datetime(members["index_date"]) <= window_end], as_of - shift


def baseline_results(engine: Engine, contract: Contract, register: pd.DataFrame, baseline: pd.DataFrame,
                     as_of: date, curve: np.ndarray, rules: Rules = Rules()) -> list[dict]:
    """Per cohort period that has started: its results against the (like-with-like) baseline."""
    conf = contract.comparison.confidence
    out = []
    for k, period in enumerate(cohort_periods(contract), 1):
        members = _members(register[register["cohort"] == k])
        if members.empty:
            continue
        status = "complete" if as_of >= period.end else "filling"
        mat = maturity(members["index_date"], as_of, curve, filling=status == "filling")
        base_members, day = _baseline_cut(contract, period, baseline, as_of, mat["final"] and status == "complete")
        if contract.type == "baseline_binary":
            hits, n = _reconvicted(engine, members, contract, rules)
            with observed_as_of(engine, day, as_of):
                b_hits, n_b = _reconvicted(engine, base_members, contract, rules)
            results = [binary_comparison(Fraction(hits, n), n, Fraction(b_hits, n_b), n_b, conf)]
        else:
            now = _proven_measures(engine, members, "cohort", rules)
            with observed_as_of(engine, day, as_of):
                base = _proven_measures(engine, base_members, "baseline", rules)
            results = case_mix_comparison(pd.concat([now, base], ignore_index=True), conf)
        like = {"baseline_observed_as_of": day.isoformat() if day else None,
                "baseline_cut": "whole baseline, fully observed" if day is None else
                "baseline releases at the same point of their period, observed for the same time"}
        for r in results:
            r.update(cohort=k, period={"from": period.start.isoformat(), "to": period.end.isoformat()},
                     status=status, maturity=mat, **like)
        out += results
    return out
