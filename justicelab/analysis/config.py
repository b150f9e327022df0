"""Analysis settings, as data (a YAML or JSON file can override any of them with --config)."""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field

from ..errors import JusticeLabError
from ..measures.rules import Rules

NEEDS = ["need_accommodation", "need_ete", "need_finance", "need_relationships", "need_lifestyle", "need_drugs",
         "need_alcohol", "need_emotional", "need_thinking", "need_problem_solving", "need_coping", "need_attitudes"]


class AnalysisConfig(BaseModel):
    """What the Data Lab analysis does; every report records these values."""

    numeric_covariates: list[str] = Field(default_factory=lambda: [
        "age", "previous_offences", "previous_custodial_sentences", "copas_rate", "years_since_first_sanction",
        "custodial_months", "ogrs_score", "has_assessment", "days_on_benefit_2y", "days_employed_2y",
        "employed_at_index", "on_benefit_at_index", *NEEDS])
    categorical_covariates: list[str] = Field(default_factory=lambda: [
        "gender", "ethnicity", "nationality", "index_offence_group", "sentence_group"])
    method: str = "kernel"  # every comparison person within the caliper, weighted by closeness
    caliper: float = 0.1  # kernel bandwidth, in SDs of the logit of the propensity score
    min_treated_for_region: int = 60  # a regional analysis needs this many treated people in the region
    min_treated: int = 60  # below this the analysis is not run at all (the Data Lab's minimum)
    min_reoffenders_for_detail: int = 30  # time to first reoffence and Tables 3-7 need this many treated reoffenders
    min_court_outcome: int = 11  # a court outcome is shown only if both groups have more than 10 people with it
    min_level_treated: int = 5  # categories with fewer treated people are combined into "Other"
    align_start_delay: bool = True  # risk-set alignment of the comparison group to each start delay (docs)
    confidence: float = 0.95
    seed: int = 1
    follow_up_years: int = Field(1, ge=1, le=2)  # 2: the two-year follow-up users asked for, every measure
    waiting_days: int = Field(183, ge=0, le=365)  # the follow-up's own waiting period for proof (R3)

    def rules(self) -> Rules:
        """The counting rules for this analysis's follow-up and waiting period."""
        return Rules(follow_up_days=365 * self.follow_up_years, waiting_days=self.waiting_days)


def load_config(path: str | Path | None) -> AnalysisConfig:
    if path is None:
        return AnalysisConfig()
    path = Path(path)
    if not path.exists():
        raise JusticeLabError(f"no configuration file at {path}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
        return AnalysisConfig(**data)
    except Exception as exc:
        raise JusticeLabError(f"{path.name}: {exc}") from exc
