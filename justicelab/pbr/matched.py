"""The Peterborough measurement: each cohort against a matched comparison group of other prisons' releases.

Order matters and is enforced: the comparison groups are matched and their balance recorded from
characteristics alone (no outcome has been computed in the session at that point), and only then are
reconviction events counted. Matching is deterministic (fixed row order, ties to the earliest row);
`fingerprint` hashes the matched sample so a later run can show it matched the same people.
"""
from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from ..engine import Engine, run_steps
from ..matching import PropensityModel, matchit, prepare_groups
from ..matching.outcomes import estimate
from ..measures.cohort import characteristics_step
from ..measures.rules import Rules
from .cohort import build_register
from .contract import Contract
from .events import count_reconviction_events

OUTCOME_COLUMNS = {"events", "reoffended", "reoffences", "days_to_first_reoffence"}


def _pools(engine: Engine, contract: Contract, cohorts: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """Each cohort's pool: eligible releases from other prisons over the cohort's release window, each
    person's first in the window, never anyone who is in a contract cohort."""
    in_cohort = set(cohorts["person_id"])
    pools = {}
    for k, members in cohorts.groupby("cohort"):
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


def fingerprint(matched: pd.DataFrame) -> str:
    keys = matched[["person_id", "disposal_id", "treated", "weights"]].sort_values(
        ["treated", "person_id", "disposal_id"])
    return hashlib.sha256(keys.round(12).to_csv(index=False).encode()).hexdigest()


def match_cohorts(engine: Engine, contract: Contract, register: pd.DataFrame, rules: Rules = Rules()) -> list[dict]:
    """Outcome-blind: per cohort, the matched sample (for `count_outcomes`) and its balance."""
    c = contract.comparison
    cohorts = register[register["cohort"].notna()].copy()
    cohorts["cohort"] = cohorts["cohort"].astype(int)
    pools = _pools(engine, contract, cohorts)
    chars = _characteristics(engine, [cohorts, *pools.values()], rules)
    assert not OUTCOME_COLUMNS & set(chars.columns), "matching must not see outcomes"
    keyed = chars.set_index(["person_id", "disposal_id"])
    out = []
    for k, members in cohorts.groupby("cohort"):
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
        out.append({
            "cohort": int(k), "pairs": pairs, "matched": matched, "fingerprint": fingerprint(matched),
            "pool": int(len(pool)), "treated": int(counts.loc["all", "Treated"]),
            "treated_matched": int(counts.loc["matched", "Treated"]),
            "comparison_people": int(counts.loc["matched", "Control"]),
            "comparison_ess": float(counts.loc["matched_ess", "Control"]),
            "covariates_considered": covariates, "covariates_selected": list(selected), "adaptations": notes,
            "balance": balance.reset_index().replace({np.nan: None}).to_dict(orient="records"),
            "largest_smd_after": float(balance.loc[balance.index != "distance", "smd_after"].abs().max()),
        })
    return out


def count_outcomes(engine: Engine, contract: Contract, matched_cohorts: list[dict], rules: Rules = Rules()) -> None:
    """After matching: reconviction events for everyone in every matched sample, then each cohort's result."""
    frames = [m["matched"][["person_id", "index_date"]] for m in matched_cohorts]
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
        m.update({
            "treated_per_100": 100 * t, "comparison_per_100": 100 * cmp_, "reduction": r,
            "reduction_low": r - z * se_r, "reduction_high": r + z * se_r, "reduction_se": se_r, "p_value": p,
            "significant": bool(p < 1 - contract.comparison.confidence), "events_treated": int(
                pairs.loc[pairs["treated"] == 1, "events"].sum()),
            "events_avoided": (cmp_ - t) * n, "difference_se_method": est.se_method, "comparison_variance": c_var,
        })


def drop_frames(matched_cohorts: list[dict]) -> list[dict]:
    return [{k: v for k, v in m.items() if k not in ("pairs", "matched")} for m in matched_cohorts]


def cohort_status(register: pd.DataFrame, contract: Contract, as_of: date) -> dict[int, str]:
    """'complete' (full size, or the contract period is over) or 'filling'."""
    sizes = register[register["cohort"].notna()].groupby("cohort").size()
    over = as_of >= contract.eligibility.released_to
    return {int(k): "complete" if n >= (contract.cohorts.size or 0) or over else "filling" for k, n in sizes.items()}
