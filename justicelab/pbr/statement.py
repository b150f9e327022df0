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
from .arithmetic import reaches
from .baseline import baseline_results, group_registers
from .cohort import build_register
from .contract import Contract, load_contract
from .frozen import SampleStore
from .interim import interim_figures
from .matched import cohort_status, count_outcomes, drop_frames, match_cohorts
from .maturity import completeness_curve, maturity
from .monitor import monitor as gaming_monitor
from .payment import all_counts_final, baseline_payments, matched_payments, returns
from .probability import baseline_chance_at_zero, minimum_detectable_reduction, simulate_payment_probability

OUTCOME_TABLES = ("reconviction_event_list", "reconviction_events", "reoffences", "outcomes", "cohort_measures")


def outcome_tables(engine) -> list[str]:
    """Outcome tables present in the session: none may exist in a balance-only (outcome-blind) run."""
    return [t for t in OUTCOME_TABLES if engine.has_table(t)]


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
           "at_zero_effect": simulate_payment_probability(
               sizes, c.ratio, mean, 0.0, p.cohort_threshold or 9.9, p.pooled_threshold or 9.9, dispersion, 4000,
               contract.seed),
           "at_threshold_effect": simulate_payment_probability(
               [size], c.ratio, mean, p.cohort_threshold or 0.1, p.cohort_threshold or 9.9, 9.9, dispersion, 4000,
               contract.seed)["p_each_cohort_pays"][0]}
    return out


def _freeze(store: SampleStore | None, matched: list[dict], status: dict[int, str]) -> None:
    for m in matched:
        if store is not None and status[m["cohort"]] == "complete" and not m.get("frozen"):
            store.save(m)


def _measure_matched(engine, contract: Contract, as_of: date, curve, balance_only: bool, progress,
                     store: SampleStore | None) -> dict:
    e = contract.eligibility
    build_register(engine, contract, e.released_from, e.released_to)
    register = engine.query("SELECT * FROM register")
    if register["cohort"].notna().sum() == 0:
        raise JusticeLabError(f"no eligible release in the contract period as of {as_of}")
    status = cohort_status(register, contract, as_of)
    progress("matching comparison groups (outcome-blind)")
    frozen = {} if store is None else {k: f for k in status if status[k] == "complete" and (f := store.load(k))}
    matched = match_cohorts(engine, contract, register, frozen=frozen)
    _freeze(store, matched, status)
    section = {"register": register, "register_summary": _register_summary(register)}
    if balance_only:
        section["cohorts"] = drop_frames(matched)
        return section
    progress("counting reconviction events")
    count_outcomes(engine, contract, matched)
    cohorts = drop_frames(matched)
    r = contract.payment.rounding
    for c in cohorts:
        members = register.loc[register["cohort"] == c["cohort"], "index_date"]
        c["status"] = status[c["cohort"]]
        c["maturity"] = maturity(members, as_of, curve, filling=c["status"] == "filling")
        c["cohort_threshold_met"] = contract.payment.cohort_threshold is not None and c["status"] == "complete" and \
            reaches(c["reduction_exact"], contract.payment.cohort_threshold, r.places, r.mode)
        c["short_of_size"] = c["status"] == "complete" and c["treated"] < contract.cohorts.size
    book = matched_payments(contract, cohorts, as_of)
    section.update(cohorts=cohorts, ledger=book, pooled=book.pooled, probability=_probability(contract, cohorts))
    return section


def _measure_baseline(engine, contract: Contract, as_of: date, curve, balance_only: bool) -> dict:
    register, baseline = group_registers(engine, contract)
    if register["position"].notna().sum() == 0:
        raise JusticeLabError(f"no eligible person in the contract period as of {as_of}")
    section = {"register": register, "register_summary": _register_summary(register),
               "baseline_summary": _register_summary(baseline)}
    if balance_only:  # outcome-blind: registers and case mix only, no outcome is computed
        return section
    results = baseline_results(engine, contract, register, baseline, as_of, curve)
    book = baseline_payments(contract, results)
    return {**section, "results": results, "ledger": book, "probability": baseline_chance_at_zero(contract, results)}


def default_samples(contract_path: str | Path) -> Path:
    """Where frozen matched samples live by default: beside the contract, `<contract>-samples/`."""
    path = Path(contract_path)
    return path.with_name(path.stem + "-samples")


def measure_contract(contract_path: str | Path, db_path: str | Path, as_of: date | None = None,
                     balance_only: bool = False, progress: Callable[[str], None] = lambda s: None,
                     samples: str | Path | None = None, monitor: bool = True) -> dict:
    """An outcome statement. Matched samples of closed cohorts are frozen in `samples` (default: beside the
    contract) and reused by every later statement. `monitor` adds the gaming monitor (composition only)."""
    contract, contract_hash = load_contract(contract_path)
    store = SampleStore(Path(samples) if samples else default_samples(contract_path), contract_hash)
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
        curve = None if balance_only else completeness_curve(engine, contract, as_of)
        progress("cohort register")
        if contract.type == "matched_comparison":
            section = _measure_matched(engine, contract, as_of, curve, balance_only, progress, store)
        else:
            section = _measure_baseline(engine, contract, as_of, curve, balance_only)
        progress("interim figures")
        section["interim_figures"] = None if balance_only else interim_figures(engine, contract, as_of)
        if monitor:
            progress("gaming monitor")
            section["monitor"] = gaming_monitor(engine, contract, as_of)
        section["outcome_tables"] = outcome_tables(engine)
        if balance_only and section["outcome_tables"]:
            raise AssertionError(f"an outcome-blind run computed outcomes: {section['outcome_tables']}")
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
        "maturity_curve": None if curve is None else {str(d): float(curve[d]) for d in (91, 182, 273, 365, 456, 548)},
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
    if section.get("results"):
        return all(r["maturity"]["final"] and r["status"] == "complete" for r in section["results"]) and \
            as_of >= contract.eligibility.released_to
    return False
