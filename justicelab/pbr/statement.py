"""`justicelab pbr`: a contract, a database and a date in, an outcome statement out.

Everything is computed "as of" the statement date: the database is cut to what it held that day
(`restrict_to_snapshot`), so a statement dated in the past is reproducible later and an interim statement
shows exactly what was knowable. The statement is a plain dict (written as JSON, HTML and PDF).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

import numpy as np

from .. import __version__
from ..data.db import attach_tables, require_database, restrict_to_snapshot, snapshot_date
from ..engine import DuckDBEngine
from ..errors import JusticeLabError
from ..provenance import code_version, sha256_of
from .baseline import baseline_mature, binary_against_baseline, case_mix_against_baseline, cohort_dates, group_registers
from .cohort import build_register
from .contract import Contract, load_contract
from .interim import interim_figures
from .matched import cohort_status, count_outcomes, drop_frames, match_cohorts
from .maturity import completeness_curve, maturity
from .payment import all_counts_final, baseline_payments, matched_payments, returns
from .probability import minimum_detectable_reduction, simulate_payment_probability


def _register_summary(register) -> list[dict]:
    reasons = register["reason"].fillna("in a cohort").value_counts()
    return [{"reason": str(k), "releases": int(v)} for k, v in reasons.items()]


def _probability(contract: Contract, cohorts: list[dict]) -> dict:
    """Chance of payment for the contract's design at the assumed true effect, with dispersion and the
    comparison group's events per person taken from the data."""
    p, c = contract.payment, contract.comparison
    mean = float(np.average([x["comparison_per_100"] / 100 for x in cohorts], weights=[x["treated"] for x in cohorts]))
    var = float(np.average([x["comparison_variance"] for x in cohorts], weights=[x["treated"] for x in cohorts]))
    dispersion = mean ** 2 / (var - mean) if var > mean else 1e6
    size = contract.cohorts.size
    sizes = [x["treated_matched"] for x in cohorts]
    z_alpha = 1 - c.confidence
    out = {"comparison_events_per_person": mean, "dispersion": dispersion, "ratio": c.ratio,
           "assumed_reduction": contract.planning.assumed_reduction,
           "minimum_detectable_reduction_per_cohort": minimum_detectable_reduction(
               size, c.ratio, mean, dispersion, alpha_one_sided=z_alpha, power=0.80),
           "at_assumed_effect": simulate_payment_probability(
               sizes, c.ratio, mean, contract.planning.assumed_reduction, p.cohort_threshold or 9.9,
               p.pooled_threshold or 9.9, dispersion, 4000, contract.seed),
           "at_threshold_effect": simulate_payment_probability(
               [size], c.ratio, mean, p.cohort_threshold or 0.1, p.cohort_threshold or 9.9, 9.9, dispersion, 4000,
               contract.seed)["p_each_cohort_pays"][0]}
    return out


def _measure_matched(engine, contract: Contract, as_of: date, curve, balance_only: bool, progress) -> dict:
    e = contract.eligibility
    build_register(engine, contract, e.released_from, e.released_to)
    register = engine.query("SELECT * FROM register")
    if register["cohort"].notna().sum() == 0:
        raise JusticeLabError(f"no eligible release in the contract period as of {as_of}")
    status = cohort_status(register, contract, as_of)
    progress("matching comparison groups (outcome-blind)")
    matched = match_cohorts(engine, contract, register)
    section = {"register": register, "register_summary": _register_summary(register)}
    if balance_only:
        section["cohorts"] = drop_frames(matched)
        return section
    progress("counting reconviction events")
    count_outcomes(engine, contract, matched)
    cohorts = drop_frames(matched)
    for c in cohorts:
        members = register.loc[register["cohort"] == c["cohort"], "index_date"]
        c["status"], c["maturity"] = status[c["cohort"]], maturity(members, as_of, curve)
        c["cohort_threshold_met"] = contract.payment.cohort_threshold is not None and \
            c["reduction"] >= contract.payment.cohort_threshold
    book = matched_payments(contract, cohorts, as_of)
    section.update(cohorts=cohorts, ledger=book, pooled=getattr(book, "pooled", None),
                   probability=_probability(contract, cohorts))
    return section


def _measure_baseline(engine, contract: Contract, as_of: date, curve) -> dict:
    register, baseline = group_registers(engine, contract)
    if register["position"].notna().sum() == 0:
        raise JusticeLabError(f"no eligible person in the contract period as of {as_of}")
    if not baseline_mature(baseline, as_of):
        raise JusticeLabError("the baseline year's results are not yet final on the statement date")
    results = ([binary_against_baseline(engine, contract, register, baseline)] if contract.type == "baseline_binary"
               else case_mix_against_baseline(engine, contract, register, baseline))
    mat = maturity(cohort_dates(register), as_of, curve)
    book = baseline_payments(contract, results, mat)
    return {"register": register, "register_summary": _register_summary(register),
            "baseline_summary": _register_summary(baseline), "results": results, "maturity": mat, "ledger": book}


def measure_contract(contract_path: str | Path, db_path: str | Path, as_of: date | None = None,
                     balance_only: bool = False, progress: Callable[[str], None] = lambda s: None) -> dict:
    contract, contract_hash = load_contract(contract_path)
    db_path = require_database(db_path)
    with DuckDBEngine() as engine:
        attach_tables(engine.con, db_path)
        snapshot = date.fromisoformat(snapshot_date(engine.con))
        as_of = as_of or snapshot
        if as_of > snapshot:
            raise JusticeLabError(f"the database runs to {snapshot}; a statement cannot be dated after that "
                                  f"(--as-of {as_of})")
        restrict_to_snapshot(engine.con, as_of.isoformat())
        progress("data maturity")
        curve = completeness_curve(engine, contract, as_of)
        progress("cohort register")
        if contract.type == "matched_comparison":
            section = _measure_matched(engine, contract, as_of, curve, balance_only, progress)
        else:
            section = _measure_baseline(engine, contract, as_of, curve)
        progress("interim figures")
        section["interim_figures"] = None if balance_only else interim_figures(engine, contract, as_of)
    book = section.pop("ledger", None)
    final = _is_final(contract, section, as_of)
    statement = {
        "contract": {"name": contract.name, "type": contract.type, "description": contract.description.strip(),
                     "file": Path(contract_path).name, "sha256": contract_hash,
                     "settings": contract.model_dump(mode="json")},
        "as_of": as_of.isoformat(), "kind": "balance only" if balance_only else ("final" if final else "interim"),
        "provenance": {"package_version": __version__, "code_version": code_version(), "contract_sha256": contract_hash,
                       "database": {"file": db_path.name, "sha256": sha256_of(db_path),
                                    "snapshot_date": snapshot.isoformat()},
                       "statement_as_of": as_of.isoformat(), "seed": contract.seed},
        "maturity_curve": {str(d): float(curve[d]) for d in (91, 182, 273, 365, 456, 548)},
        **section,
    }
    if book is not None:
        statement["payment"] = {"steps": book.steps, "payments": book.payments, "total": book.paid,
                                "currency": contract.payment.currency, "returns": returns(contract, book)}
        word = "would be due if these figures were final" if not final else "is due"
        statement["headline"] = (f"An outcome payment of {contract.payment.currency} {book.paid:,.0f} {word}."
                                 if book.paid > 0 else
                                 f"No outcome payment {'is due' if final else 'would be due on these interim figures'}.")
    return statement


def _is_final(contract: Contract, section: dict, as_of: date) -> bool:
    if "cohorts" in section and section["cohorts"] and "maturity" in section["cohorts"][0]:
        return all_counts_final(contract, section["cohorts"], as_of)
    if "maturity" in section:
        return section["maturity"]["final"]
    return False
