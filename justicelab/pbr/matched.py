"""The Peterborough measurement: each cohort against a matched comparison group of other prisons' releases.

Order matters and is enforced: the comparison groups are matched and their balance recorded from
characteristics alone (no outcome has been computed in the session at that point), and only then are
reconviction events counted. Matching is deterministic (fixed row order, ties to the earliest row);
`fingerprint` hashes the matched sample so a later run can show it matched the same people.
"""
from __future__ import annotations

from datetime import date
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import stats

from ..engine import Engine, run_steps
from ..matching import PropensityModel, matchit, prepare_groups
from ..matching.outcomes import estimate
from ..measures.cohort import characteristics_step
from ..measures.rules import Rules
from .cohort import build_register
from .arithmetic import to_decimal
from .contract import Contract
from .events import count_reconviction_events
from .frozen import fingerprint
from .monitor import results_by_need, results_by_risk_band

OUTCOME_COLUMNS = {"events", "reoffended", "reoffences", "days_to_first_reoffence"}


def _pools(engine: Engine, contract: Contract, cohorts: pd.DataFrame, which: list[int]) -> dict[int, pd.DataFrame]:
    """Each cohort's pool: eligible releases from other prisons over the cohort's release window, each
    person's first in the window, never anyone in that cohort or an earlier one (what was known when it
    closed: people who join a later cohort do not change an earlier cohort's pool)."""
    pools = {}
    for k, members in cohorts[cohorts["cohort"].isin(which)].groupby("cohort"):
        in_cohort = set(cohorts.loc[cohorts["cohort"] <= k, "person_id"])
        lo, hi = members["index_date"].min(), members["index_date"].max()
        build_register(engine, contract, pd.Timestamp(lo).date(), pd.Timestamp(hi).date(), "pool",
                       population="other_prisons")
        pool = engine.query("SELECT person_id, disposal_id, index_date FROM pool WHERE position IS NOT NULL")
        pools[int(k)] = pool[~pool["person_id"].isin(in_cohort)]
    return pools


def _characteristics(engine: Engine, frames: list[pd.DataFrame], rules: Rules) -> pd.DataFrame:
    everyone = pd.concat(frames, ignore_index=True)[["person_id", "disposal_id", "index_date"]].drop_duplicates()
    engine.register_typed("cohort", everyone, {"person_id": "BIGINT", "disposal_id": "BIGINT", "index_date": "DATE"})
    run_steps(engine, [characteristics_step(rules)])
    return engine.query("SELECT * FROM characteristics")


def match_cohorts(engine: Engine, contract: Contract, register: pd.DataFrame, rules: Rules = Rules(),
                  frozen: dict[int, dict] | None = None) -> list[dict]:
    """Outcome-blind: per cohort, the matched sample (for `count_outcomes`) and its balance. Cohorts in
    `frozen` are taken as stored, not matched again."""
    c, frozen = contract.comparison, frozen or {}
    cohorts = register[register["cohort"].notna()].copy()
    cohorts["cohort"] = cohorts["cohort"].astype(int)
    todo = sorted(set(cohorts["cohort"]) - set(frozen))
    pools = _pools(engine, contract, cohorts, todo)
    out = {k: dict(v) for k, v in frozen.items() if k in set(cohorts["cohort"])}
    if todo:
        chars = _characteristics(engine, [cohorts[cohorts["cohort"].isin(todo)], *pools.values()], rules)
        assert not OUTCOME_COLUMNS & set(chars.columns), "matching must not see outcomes"
        keyed = chars.set_index(["person_id", "disposal_id"])
    for k, members in cohorts[cohorts["cohort"].isin(todo)].groupby("cohort"):
        treated = keyed.loc[list(zip(members["person_id"], members["disposal_id"]))].reset_index()
        pool = keyed.loc[list(zip(pools[k]["person_id"], pools[k]["disposal_id"]))].reset_index()
        data, covariates, notes = prepare_groups(treated, pool, c.numeric_covariates, c.categorical_covariates,
                                                 mean_fill=("ogrs_score",))
        model = PropensityModel(covariates, select_p=c.select_p)
        result = matchit(data, "treated", covariates, method="nearest", ratio=c.ratio, replace=c.replace,
                         caliper=c.caliper, model=model, ties=c.ties if c.replace else "data")
        balance = result.summary()
        counts = result.counts()
        pairs = result.get_matches()
        matched = result.matched_data()
        selected = result.propensity.covariates if result.propensity is not None else covariates
        model_params = {} if result.propensity is None else {str(a): float(b) for a, b in result.propensity.params.items()}
        out[int(k)] = {
            "cohort": int(k), "pairs": pairs, "matched": matched, "fingerprint": fingerprint(matched),
            "pool": int(len(pool)), "treated": int(counts.loc["all", "Treated"]),
            "treated_matched": int(counts.loc["matched", "Treated"]),
            "comparison_people": int(counts.loc["matched", "Control"]),
            "comparison_ess": float(counts.loc["matched_ess", "Control"]),
            "covariates_considered": covariates, "covariates_selected": list(selected), "adaptations": notes,
            "balance": balance.reset_index().replace({np.nan: None}).to_dict(orient="records"),
            "largest_smd_after": float(balance.loc[balance.index != "distance", "smd_after"].abs().max()),
            "propensity_model": model_params, "frozen": False,
        }
    return [out[k] for k in sorted(out)]


def count_outcomes(engine: Engine, contract: Contract, matched_cohorts: list[dict], rules: Rules = Rules()) -> None:
    """After matching: reconviction events for everyone in every matched sample, then each cohort's result."""
    frames = [m["pairs"][["person_id", "index_date"]] for m in matched_cohorts]
    people = pd.concat(frames, ignore_index=True).rename(columns={"index_date": "release_date"})
    events = count_reconviction_events(engine, people, rules, contract.outcome.cautions_count)
    z = stats.norm.ppf(0.5 + contract.comparison.confidence / 2)
    for m in matched_cohorts:
        pairs = m["pairs"].assign(release_date=pd.to_datetime(m["pairs"]["index_date"]))
        pairs = pairs.merge(events, on=["person_id", "release_date"], how="left", validate="many_to_one")
        est = estimate(pairs, "events", treatment="treated", se="two-way", unit="unit",
                       confidence=contract.comparison.confidence)
        t, cmp_, d = est.treated_value, est.comparison_value, est.difference
        ctl = pairs[pairs["treated"] == 0]
        per_person = ctl.groupby("unit").agg(y=("events", "first"), w=("weights", "sum"))
        c_var = float(np.average((per_person["y"] - cmp_) ** 2, weights=per_person["w"]))
        se_c = np.sqrt(c_var / est.comparison_ess)
        r = -d / cmp_ if cmp_ > 0 else float("nan")
        se_r = float(np.sqrt(est.se ** 2 / cmp_ ** 2 + d ** 2 * se_c ** 2 / cmp_ ** 4)) if cmp_ > 0 else float("nan")
        p = float(2 * stats.norm.sf(abs(r / se_r))) if se_r > 0 else float("nan")
        n = m["treated_matched"]
        exact_t, exact_c = _exact_means(pairs)
        m.update({"reduction_exact": to_decimal((exact_c - exact_t) / exact_c) if exact_c > 0 else None,
            "treated_per_100": 100 * t, "comparison_per_100": 100 * cmp_, "reduction": r,
            "reduction_low": r - z * se_r, "reduction_high": r + z * se_r, "reduction_se": se_r, "p_value": p,
            "significant": bool(p < 1 - contract.comparison.confidence), "events_treated": int(
                pairs.loc[pairs["treated"] == 1, "events"].sum()),
            "events_avoided": (cmp_ - t) * n, "difference_se_method": est.se_method, "comparison_variance": c_var,
            **results_by_risk_band(pairs), **results_by_need(pairs),
        })


def _exact_means(pairs: pd.DataFrame) -> tuple[Fraction, Fraction]:
    """T and C as exact fractions of counts: the cohort's mean events, and the mean over match sets of the
    mean events of each set's comparison people (their weight 1/m is exact here), so that R compares
    with a threshold exactly."""
    ctl = pairs[pairs["treated"] == 0].groupby("subclass")["events"].agg(["sum", "size"])
    treated = pairs[(pairs["treated"] == 1) & pairs["subclass"].isin(ctl.index)]
    t = Fraction(int(treated["events"].sum()), len(treated))
    c = sum((Fraction(int(a), int(b)) for a, b in zip(ctl["sum"], ctl["size"])), Fraction(0)) / len(ctl)
    return t, c


def drop_frames(matched_cohorts: list[dict]) -> list[dict]:
    return [{k: v for k, v in m.items() if k not in ("pairs", "matched")} for m in matched_cohorts]


def cohort_status(register: pd.DataFrame, contract: Contract, as_of: date) -> dict[int, str]:
    """'complete' (full size, or the contract period is over) or 'filling'."""
    sizes = register[register["cohort"].notna()].groupby("cohort").size()
    over = as_of >= contract.eligibility.released_to
    return {int(k): "complete" if n >= (contract.cohorts.size or 0) or over else "filling" for k, n in sizes.items()}
