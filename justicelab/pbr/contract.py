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


class Comparison(_Strict):
    method: Literal["matched", "baseline"]
    ratio: int = 10  # comparison people per cohort member (matched)
    select_p: float = 0.20  # covariates kept when their difference has p < this (matched)
    pool: Literal["other_prisons", "national"] = "other_prisons"
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
    price_per_event: float = 0.0
    cap: float | None = None
    currency: str = "GBP"


class Investment(_Strict):
    amount: float
    invested_on: date


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
