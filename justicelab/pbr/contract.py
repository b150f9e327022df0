"""Outcome contracts as data: a YAML file, validated, whose SHA-256 goes into every statement.

Loading is strict because a contract is signed: duplicate keys, impossible dates (31 February), a text or
list instead of sections, thresholds over 100% and negative sums are refused with one line naming the
field, its line in the file and the problem.
"""
from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import JusticeLabError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Eligibility(_Strict):
    sex: Literal["M", "F"] | None = None
    min_age: int = Field(18, ge=0)  # at sentence
    max_custodial_months: float | None = None  # sentences shorter than this
    prisons: list[str] | None = None  # releasing prisons (None: any)
    regions: list[str] | None = None  # the person's home region (a probation area; None: any)
    disposal_types: list[str] = Field(default_factory=lambda: ["custody"])
    released_from: date
    released_to: date
    exclude_released_from_court: bool = True  # served on remand: no time in prison to work with


class Period(_Strict):
    start: date
    end: date


class Cohorts(_Strict):
    size: int | None = Field(None, gt=0)  # consecutive groups of this many eligible releases
    period: Literal["year", "quarter"] | None = None  # or 12/3-month periods counted from released_from
    calendar: list[Period] | None = None  # or the contract's own list of cohort periods

    @model_validator(mode="after")
    def one_rule(self):
        if sum(x is not None for x in (self.size, self.period, self.calendar)) != 1:
            raise ValueError("cohorts need exactly one of size or period or calendar")
        for p in self.calendar or []:
            if p.end < p.start:
                raise ValueError(f"cohort period {p.start} to {p.end} ends before it starts")
        return self


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    return date(day.year + y, m + 1, day.day)  # cohort periods start on days every month has (1-28)


def cohort_periods(contract: "Contract") -> list[Period]:
    """The cohort periods of a period/calendar contract: Doncaster's October-September years, TR's quarters."""
    c, e = contract.cohorts, contract.eligibility
    if c.calendar:
        return list(c.calendar)
    if c.period is None:
        return []
    step, out, start = 12 if c.period == "year" else 3, [], e.released_from
    while start <= e.released_to:
        nxt = _add_months(start, step)
        out.append(Period(start=start, end=min(nxt - timedelta(days=1), e.released_to)))
        start = nxt
    return out


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


class Rounding(_Strict):
    """How a result is rounded before it is compared with a threshold: the figure as published (R in
    per cent, a fall in percentage points) to `places` decimals, or exactly (places: null). Comparisons
    are in decimals, so 58.0% -> 53.0% is a fall of exactly 5 points."""
    places: int | None = Field(None, ge=0, le=6)
    mode: Literal["half_up", "half_even", "down"] = "half_up"


class Payment(_Strict):
    cohort_threshold: float | None = Field(None, gt=0, le=1)  # relative reduction a cohort must reach (matched)
    pooled_threshold: float | None = Field(None, gt=0, le=1)  # relative reduction over the pooled cohorts
    pooled_cohorts: list[int] | None = None  # which cohorts the pooled rule covers (None: all)
    pooled_when: Literal["contract_end"] = "contract_end"  # the pooled rule is applied once, when all is final
    percentage_points: float | None = Field(None, gt=0, le=100)  # absolute fall in the binary rate (baseline)
    price_per_event: float = Field(0.0, ge=0)  # per reconviction event, reconvicted person or reoffence avoided
    price_binary: float | None = Field(None, ge=0)  # TR: per reoffender avoided (overrides price_per_event)
    price_frequency: float | None = Field(None, ge=0)  # TR: per reoffence per reoffender avoided, x reoffenders
    significance_required: bool = False  # TR: a measure pays only if its improvement is significant
    deduction_on_significant_rise: bool = False  # TR: a significant worsening is charged at the same price
    cap: float | None = Field(None, ge=0)
    currency: str = "GBP"
    fixed_on_success: float | None = Field(None, ge=0)  # a sum paid whole when the threshold is met (Doncaster)
    lag_days: int = Field(90, ge=0)  # from the end of a cohort's waiting period to payment (data processing)
    rounding: Rounding = Field(default_factory=Rounding)

    def price(self, measure: str) -> float:
        specific = {"binary_rate": self.price_binary, "reoffences_per_reoffender": self.price_frequency}.get(measure)
        return self.price_per_event if specific is None else specific


class Drawdown(_Strict):
    drawn_on: date  # ("on" would read as a boolean in YAML)
    amount: float = Field(gt=0)


class Investment(_Strict):
    amount: float = Field(gt=0)
    invested_on: date
    drawdowns: list[Drawdown] | None = None  # staged investment (None: all on invested_on)


class Planning(_Strict):
    assumed_reduction: float = Field(0.10, ge=-1, le=1)  # the true effect a probability of payment is computed for
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
        if self.cohorts.calendar and self.type == "matched_comparison":
            raise ValueError("a matched_comparison contract cuts cohorts by size, not by calendar")
        inv = self.investment
        if inv and inv.drawdowns and abs(sum(d.amount for d in inv.drawdowns) - inv.amount) > 0.005:
            raise ValueError("investment.drawdowns must add up to investment.amount")
        return self


class _ContractLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys and impossible dates, naming the line."""


def _mapping(loader: _ContractLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def _timestamp(loader: _ContractLoader, node: yaml.ScalarNode):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(None, None, f"'{node.value}' is not a date ({exc})",
                                                node.start_mark) from exc


_ContractLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_ContractLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _lines(node: yaml.Node, path: tuple = ()) -> dict[tuple, int]:
    """Where each field is in the file: (section, key, ...) -> 1-based line."""
    out = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            out[path + (k.value,)] = k.start_mark.line + 1
            out.update(_lines(v, path + (k.value,)))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out[path + (str(i),)] = v.start_mark.line + 1
            out.update(_lines(v, path + (str(i),)))
    return out


def parse_contract(text: str, name: str = "contract") -> Contract:
    """A contract from YAML text; every problem is one JusticeLabError naming the field, line and problem."""
    try:
        data = yaml.load(text, Loader=_ContractLoader)  # noqa: S506 (a SafeLoader subclass)
        lines = _lines(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}:" if mark else ""
        raise JusticeLabError(f"{name}:{line} {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise JusticeLabError(f"{name}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        kind = {list: "a list", str: "plain text", type(None): "empty"}.get(type(data), type(data).__name__)
        raise JusticeLabError(f"{name}: a contract is a set of sections (name:, type:, eligibility:, ...); "
                              f"this file is {kind}")
    try:
        return Contract(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(str(p) for p in first["loc"])
        where = ".".join(loc) or "contract"
        line = next((lines[loc[:i]] for i in range(len(loc), 0, -1) if loc[:i] in lines), None)
        at = f" (line {line})" if line else ""
        msg = first["msg"].removeprefix("Value error, ")
        if loc and loc[-1].endswith("threshold") and first["type"] == "less_than_equal":
            msg = "a threshold is a share (0.10 is 10%) and cannot be over 100%"
        raise JusticeLabError(f"{name}: {where}{at}: {msg}") from None


def load_contract(path: str | Path) -> tuple[Contract, str]:
    """(contract, SHA-256 of the file's bytes). Errors name the field and the problem."""
    path = Path(path)
    if not path.exists():
        raise JusticeLabError(f"no contract file at {path}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JusticeLabError(f"{path.name}: not a text file (UTF-8 YAML expected)") from None
    return parse_contract(text, path.name), hashlib.sha256(raw).hexdigest()
