"""Outcome contracts as data: a YAML file, validated, whose SHA-256 goes into every statement."""
from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import JusticeLabError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Eligibility(_Strict):
    sex: Literal["M", "F"] | None = None
    min_age: int = 18  # at sentence
    max_custodial_months: float | None = None  # sentences shorter than this
    prisons: list[str] | None = None  # releasing prisons (None: any)
    regions: list[str] | None = None  # the person's home region (a probation area; None: any)
    disposal_types: list[str] = Field(default_factory=lambda: ["custody"])
    released_from: date
    released_to: date
    exclude_released_from_court: bool = True  # served on remand: no time in prison to work with


class Cohorts(_Strict):
    size: int | None = None  # consecutive groups of this many eligible releases
    period: Literal["year"] | None = None  # or one cohort per year

    @model_validator(mode="after")
    def one_rule(self):
        if (self.size is None) == (self.period is None):
            raise ValueError("cohorts need exactly one of size or period")
        return self


NUMERIC = ["age", "previous_offences", "previous_custodial_sentences", "copas_rate", "years_since_first_sanction",
           "custodial_months", "ogrs_score", "has_assessment", "days_on_benefit_2y", "days_employed_2y",
           "need_accommodation", "need_ete", "need_finance", "need_drugs", "need_alcohol", "need_thinking"]
CATEGORICAL = ["ethnicity", "nationality", "index_offence_group"]


class Comparison(_Strict):
    method: Literal["matched", "baseline"]
    ratio: int = Field(10, ge=1)  # comparison people per cohort member (matched)
    replace: bool = True  # a comparison person may serve several cohort members (matched)
    ties: Literal["all", "data"] = "all"  # equally close comparison people: all share the weight, or earliest row
    caliper: float | None = None  # in SDs of the logit propensity score (matched; None: no caliper)
    select_p: float = Field(0.20, gt=0, le=1)  # covariates kept when their difference has p < this (matched)
    pool: Literal["other_prisons", "national"] = "other_prisons"
    numeric_covariates: list[str] = Field(default_factory=lambda: list(NUMERIC))
    categorical_covariates: list[str] = Field(default_factory=lambda: list(CATEGORICAL))
    confidence: float = Field(0.90, gt=0, lt=1)  # for intervals and significance
    baseline_from: date | None = None  # baseline year (baseline)
    baseline_to: date | None = None
    case_mix_adjusted: bool = False  # adjust the baseline by an OGRS-style predicted rate


class Outcome(_Strict):
    measures: list[Literal["reconviction_events", "binary_rate", "reoffences_per_reoffender"]]
    cautions_count: bool = False


class Payment(_Strict):
    cohort_threshold: float | None = None  # relative reduction a cohort must reach (matched)
    pooled_threshold: float | None = None  # relative reduction over all cohorts (matched)
    percentage_points: float | None = None  # absolute fall in the binary rate (baseline)
    price_per_event: float = Field(0.0, ge=0)  # per reconviction event, reconvicted person or reoffence avoided
    cap: float | None = None
    currency: str = "GBP"
    fixed_on_success: float | None = None  # a sum paid whole when the threshold is met (Doncaster's retention)
    lag_days: int = 90  # from the end of a cohort's waiting period to payment (data processing)


class Investment(_Strict):
    amount: float
    invested_on: date


class Planning(_Strict):
    assumed_reduction: float = 0.10  # the true effect a probability of payment is computed for
    interim_years_before: int = 2  # pre-pilot years in the ministry-style interim figures


class Contract(_Strict):
    name: str
    description: str = ""
    type: Literal["matched_comparison", "baseline_binary", "probation_case_mix"]
    eligibility: Eligibility
    cohorts: Cohorts
    comparison: Comparison
    outcome: Outcome
    payment: Payment
    investment: Investment | None = None
    planning: Planning = Field(default_factory=Planning)
    seed: int = 1  # fixes every random draw (probability of payment); matching itself is deterministic

    @model_validator(mode="after")
    def consistent(self):
        e, c = self.eligibility, self.comparison
        if e.released_to < e.released_from:
            raise ValueError("eligibility.released_to is before released_from")
        if self.type == "matched_comparison":
            if c.method != "matched" or self.cohorts.size is None:
                raise ValueError("a matched_comparison contract needs comparison.method: matched and cohorts.size")
            if self.payment.cohort_threshold is None and self.payment.pooled_threshold is None:
                raise ValueError("a matched_comparison contract needs payment.cohort_threshold or pooled_threshold")
        else:
            if c.method != "baseline" or c.baseline_from is None or c.baseline_to is None:
                raise ValueError(f"a {self.type} contract needs comparison.method: baseline with baseline_from/_to")
            if c.baseline_to >= e.released_from:
                raise ValueError("the baseline period must end before the contract period starts (set in advance)")
        if self.type == "baseline_binary" and self.payment.percentage_points is None:
            raise ValueError("a baseline_binary contract needs payment.percentage_points")
        return self


def load_contract(path: str | Path) -> tuple[Contract, str]:
    """(contract, SHA-256 of the file's bytes). Errors name the field and the problem."""
    path = Path(path)
    if not path.exists():
        raise JusticeLabError(f"no contract file at {path}")
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise JusticeLabError(f"{path.name}: not valid YAML ({exc})") from exc
    try:
        contract = Contract(**(data or {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise JusticeLabError(f"{path.name}: {where}: {first['msg']}") from exc
    return contract, hashlib.sha256(raw).hexdigest()
