"""`justicelab analyse`: submission -> treatment group -> matched comparison groups -> seven measures.

The comparison pool is the official-style adult cohort over the treatment group's index dates,
with the treatment group's own exclusions applied (follow-up complete, no sexual offence) and the
participants themselves removed. A national analysis, and one per region with enough participants,
match that pool to the treatment group by kernel weighting on the logit of a propensity score, then
estimate every measure with robust (HC1) standard errors.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..provenance import code_version, sha256_of
from ..data.db import attach_tables
from ..engine import DuckDBEngine
from ..errors import JusticeLabError
from ..linkage.link import link_submission
from ..linkage.outputs import attrition_sentences
from ..linkage.treatment import build_treatment_group
from ..matching import matchit, prepare_groups
from ..matching.robustness import robustness_summary
from .power import DATA_LAB_POWER, minimum_detectable_rate_difference, treatment_size_needed
from ..measures.cohort import build_period_cohort, follow_up_complete, sexual_offence_by
from ..measures.rules import Rules
from ..submission.validate import read_programme, validate
from .config import AnalysisConfig
from .measures import estimate_measures

SE_METHOD = "hc1"  # kernel weighting: one comparison person serves many treated people
SE_DESCRIPTION = ("robust (HC1) standard errors, treating the kernel weights as fixed; in simulations of this "
                  "method (benchmarks/coverage_study.py) its 95% intervals contained the true effect 93-98% of the "
                  "time for groups of 60 to 400 people: they do not understate uncertainty and are, for counts, "
                  "slightly wide")


def comparison_pool(db_path: Path, treated: pd.DataFrame, rules: Rules = Rules()) -> pd.DataFrame:
    start = pd.Timestamp(treated["index_date"].min()).date()
    end = pd.Timestamp(treated["index_date"].max()).date()
    with DuckDBEngine() as engine:
        attach_tables(engine.con, db_path)
        build_period_cohort(engine, start, end, rules)
        # the treatment group's exclusions, from the same definitions (linkage.treatment)
        snapshot = "(SELECT max(proven_date) FROM offence)"
        pool = engine.query(f"""
            SELECT m.* FROM cohort_measures m
            WHERE {follow_up_complete('m.index_date', snapshot, engine.dialect, rules)}
              AND NOT {sexual_offence_by('m.person_id', 'm.index_date')}""")
    pool = pool[~pool["person_id"].isin(treated["person_id"])]
    return pool.sort_values(["person_id", "disposal_id"]).reset_index(drop=True)  # same order every run


def run_analysis(name: str, treated: pd.DataFrame, pool: pd.DataFrame, config: AnalysisConfig,
                 region: str | None = None, subgroup: tuple[str, str] | None = None) -> dict:
    data, covariates, notes = prepare_groups(treated, pool, config.numeric_covariates, config.categorical_covariates,
                                             config.min_level_treated, mean_fill=("ogrs_score",))
    # risk-set alignment: participants who reoffended before starting were excluded, so comparison
    # people must not have reoffended before the same delay after their own index date
    start = pd.to_datetime(data["intervention_start"]) if "intervention_start" in data else pd.NaT
    data["start_delay"] = (start - pd.to_datetime(data["index_date"])).dt.days.clip(lower=0)
    data["days_at_risk"] = data["days_to_first_reoffence"].astype(float)
    result = matchit(data, "treated", covariates, method=config.method, caliper=config.caliper,
                     at_risk=("start_delay", "days_at_risk") if config.align_start_delay else None)
    balance = result.summary()
    matched = result.matched_data()
    counts = result.counts()
    measures = estimate_measures(matched, config, SE_METHOD)
    rate = next(m for m in measures if m["measure"] == "rate")
    needed = mde = None
    if not rate.get("withheld"):
        mde = minimum_detectable_rate_difference(rate["comparison_value"], rate["n_treated"], rate["comparison_ess"])
        if not rate["significant"]:
            needed = treatment_size_needed(rate["treated_value"], rate["comparison_value"], rate["n_comparison"])
    worst = balance.loc[balance.index != "distance", "smd_after"].abs()
    return {
        "name": name, "region": region,
        **({"subgroup": subgroup[0], "subgroup_value": subgroup[1]} if subgroup else {}),
        "treated": int(counts.loc["all", "Treated"]), "treated_matched": int(counts.loc["matched", "Treated"]),
        "could_not_be_matched": int(counts.loc["unmatched", "Treated"]),
        "comparison": int(counts.loc["matched", "Control"]), "comparison_ess": float(counts.loc["matched_ess", "Control"]),
        "reoffenders_treated": int(matched.loc[matched["treated"] == 1, "reoffended"].sum()),
        "reoffenders_comparison": int(matched.loc[matched["treated"] == 0, "reoffended"].sum()),
        "covariates": covariates, "adaptations": notes,
        "balance": balance.reset_index().replace({np.nan: None}).to_dict(orient="records"),
        "all_well_matched": balance.all_well_matched(), "largest_smd": float(worst.max()),
        "largest_smd_variable": str(worst.idxmax()),
        "measures": measures, "treatment_size_needed_for_rate": needed, "power_convention": DATA_LAB_POWER,
        "minimum_detectable_rate_difference": mde,
        # the profile from the participants' own categories, not the ones combined for matching
        "profile": _profile(treated[treated["person_id"].isin(matched.loc[matched["treated"] == 1, "person_id"])]),
        "overlap": _overlap(result.distance, result.treat, result.weights),
        "se_method": SE_DESCRIPTION,
        **({"robustness": robustness_summary(result, {"rate": "reoffended", "frequency": "reoffences"}, "reoffended",
                                             alpha=1 - config.confidence)} if region is None and not subgroup else {}),
    }


def _overlap(distance: np.ndarray, treat: np.ndarray, weights: np.ndarray, bins: int = 24) -> dict:
    """Shares of each group by propensity score (logit) band, before and after weighting: the common
    support chart. Shares only (no counts), so nothing small is disclosed."""
    edges = np.linspace(np.nanmin(distance), np.nanmax(distance), bins + 1)

    def share(mask, w=None):
        h, _ = np.histogram(distance[mask], edges, weights=None if w is None else w[mask])
        return (h / max(h.sum(), 1e-12)).round(4).tolist()
    return {"edges": edges.round(4).tolist(), "treated": share(treat), "comparison_before": share(~treat),
            "comparison_after": share(~treat, weights)}



def _profile(group: pd.DataFrame) -> dict:
    def shares(col):
        return {str(k): round(100 * v) for k, v in group[col].value_counts(normalize=True).sort_index().items()}
    return {"sex": shares("gender"), "ethnicity": shares("ethnicity"), "nationality": shares("nationality"),
            "sentence": shares("sentence_group"), "age_min": int(group["age"].min()),
            "age_max": int(group["age"].max()), "age_mean": round(float(group["age"].mean())),
            "needs": {c: round(100 * float(group.loc[group["has_assessment"] == 1, c].mean()))
                      for c in ("need_finance", "need_coping", "need_problem_solving", "need_accommodation",
                                "need_ete", "need_drugs", "need_alcohol") if group["has_assessment"].any()},
            "assessed": int(group["has_assessment"].sum())}


MAX_LEVELS = 6  # an own field with more distinct values than this is free text or an id, not a grouping


def own_field_groups(treated: pd.DataFrame, v, minimum: int) -> list[tuple[str, str, pd.DataFrame]]:
    """Exploratory sub-analyses on the organisation's own columns (attendance, delivery mode): for each
    column with 2 to MAX_LEVELS distinct values, each value held by at least `minimum` people of the
    treatment group (the regional analyses' rule)."""
    out = []
    for field in v.extra_columns:
        column = f"extra:{field}"
        if column not in v.rows:
            continue
        values = v.rows.set_index("row")[column].astype("string").str.strip()
        held = treated["row"].map(values).replace("", pd.NA)
        levels = held.dropna().value_counts()
        if not 2 <= len(levels) <= MAX_LEVELS:
            continue
        out += [(field, str(value), treated[held == value]) for value, n in sorted(levels.items()) if n >= minimum]
    return out


def analyse(submission: str | Path, db_path: str | Path, config: AnalysisConfig | None = None,
            progress=lambda step: None, linkage_out: Path | None = None) -> dict:
    config = config or AnalysisConfig()
    submission, db_path = Path(submission), Path(db_path)
    progress("validating")
    v = validate(submission)
    if v.rejected:
        raise JusticeLabError(f"submission refused: {v.rejected}")
    progress("linking")
    linkage = link_submission(v.rows[v.rows["status"] == "ok"], db_path, seed=config.seed)
    if linkage_out is not None:  # clerical decisions already made in this folder feed the treatment group
        from ..linkage.review import with_decisions

        linkage = with_decisions(linkage, linkage_out)
    group = build_treatment_group(db_path, v.rows, linkage.links, rules=config.rules())
    if linkage_out is not None:
        from ..linkage.outputs import write_outputs

        write_outputs(linkage_out, v.report(), linkage, group, v.summary(), v.rows)
    treated = group.members
    if len(treated) < config.min_treated:
        raise JusticeLabError(f"only {len(treated)} people remain in the treatment group after linkage and "
                              f"exclusions; the Data Lab needs at least {config.min_treated}")
    progress("comparison pool")
    pool = comparison_pool(db_path, treated, config.rules())
    progress("matching")
    analyses = [run_analysis("National", treated, pool, config)]
    for region, n in treated["region"].value_counts().sort_index().items():
        if n >= config.min_treated_for_region:
            analyses.append(run_analysis(region, treated[treated["region"] == region],
                                         pool[pool["region"] == region], config, region))
    not_run = []  # exploratory: a sub-analysis that cannot be matched is reported, not fatal
    for field, value, members in own_field_groups(treated, v, config.min_treated_for_region):
        try:
            analyses.append(run_analysis(f"{field}: {value}", members, pool, config, subgroup=(field, value)))
        except JusticeLabError as exc:
            not_run.append({"field": field, "value": value, "people": len(members), "reason": str(exc)})
    national = analyses[0]
    attrition = group.attrition.copy()
    attrition.loc[len(attrition)] = {"step": "could_not_be_matched", "description": "could not be matched",
                                     "people": national["could_not_be_matched"], "percent_of_submitted": 0.0}
    submitted = int(attrition.loc[attrition["step"] == "submitted", "people"].iloc[0])
    attrition["percent_of_submitted"] = (100 * attrition["people"] / max(submitted, 1)).round(1)
    programme = read_programme(submission)
    starts = pd.to_datetime(treated.get("intervention_start"), errors="coerce").dropna() \
        if "intervention_start" in treated else pd.Series(dtype="datetime64[ns]")
    if len(starts):
        programme = {**programme, "support_period": [starts.min().strftime("%B %Y"), starts.max().strftime("%B %Y")]}
    return {
        "programme": programme,
        "provenance": {"package_version": __version__, "code_version": code_version(),
                       "configuration": config.model_dump(), "seed": config.seed,
                       "inputs": {"submission": {"file": submission.name, "sha256": sha256_of(submission)},
                                  "database": {"file": db_path.name, "sha256": sha256_of(db_path)}},
                       "data_snapshot": group.snapshot},
        "submission": v.summary() | {"file": submission.name},
        "linkage": linkage.diagnostics,
        "attrition": attrition.to_dict(orient="records"),
        "attrition_sentences": attrition_sentences(group.attrition),
        "not_included": {"profile": group.not_included_profile.to_dict(orient="records"),
                         "without_information": group.not_included_profile.attrs.get("no_information", 0)},
        "analyses": analyses,
        "sub_analyses_not_run": not_run,
    }
