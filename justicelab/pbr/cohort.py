"""Cohorts by the contract's rules, with a register saying for every release why it is in or out.

The register covers every index event in the population the contract names (releases from its prisons,
or everyone in its regions) over a period. The first failing rule gives the reason, in this order: sex,
age at sentence, sentence type, sentence length, released straight from court, and "already in the
cohort" for a person's later releases (each person counts once, on their first eligible release). Eligible
releases are numbered in release order (ties: lower disposal id) and cut into consecutive cohorts of the
contract's size, or grouped by year.
"""
from __future__ import annotations

from datetime import date

from ..engine import Engine, Step, run_steps
from ..measures.cohort import age_in_years, index_events_step
from .contract import Contract, cohort_periods


def _quote(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def population_clause(contract: Contract, prisons: str = "contract") -> str:
    """Who is looked at: the contract's prisons/regions ("contract"), releases from every other prison
    ("other_prisons", the comparison pool), everyone outside the contract's population ("elsewhere") or
    everyone ("any": the national reference)."""
    e = contract.eligibility
    if prisons == "any":
        return "TRUE"
    if prisons == "elsewhere":  # everyone outside the contract's population: the national trend
        return f"NOT ({population_clause(contract, 'contract')})" if (e.prisons or e.regions) else "FALSE"
    parts = []
    if e.prisons and prisons == "contract":
        parts.append(f"e.prison IN ({_quote(e.prisons)})")
    elif e.prisons:
        parts.append(f"e.prison IS NOT NULL AND e.prison NOT IN ({_quote(e.prisons)})")
    if e.regions:
        parts.append(f"p.region IN ({_quote(e.regions)})")
    return " AND ".join(parts) or "TRUE"


def _reason_sql(contract: Contract) -> str:
    e = contract.eligibility
    rules = []  # (condition, reason as a SQL expression)
    if e.sex:
        rules.append((f"p.gender <> '{e.sex}'", "'female'" if e.sex == "M" else "'male'"))
    rules.append((f"{age_in_years('p.date_of_birth', 'e.disposal_date')} < {e.min_age}",
                  f"'aged under {e.min_age} at sentence'"))
    rules.append((f"e.disposal_type NOT IN ({_quote(e.disposal_types)})",
                  "'not an eligible sentence (' || e.disposal_type || ')'"))
    if e.max_custodial_months:
        rules.append((f"e.disposal_type = 'custody' AND e.custodial_months >= {e.max_custodial_months}",
                      f"'sentence of {e.max_custodial_months:g} months or more'"))
    if e.exclude_released_from_court:
        rules.append(("e.disposal_type = 'custody' AND e.released_from_court",
                      "'released straight from court (sentence served on remand)'"))
    whens = " ".join(f"WHEN {cond} THEN {text}" for cond, text in rules)
    return f"CASE {whens} END"


def register_steps(contract: Contract, start: date, end: date, name: str = "register",
                   population: str = "contract") -> list[Step]:
    """`{name}`: one row per index event in the population and period, with `reason` (empty: in) and,
    for the eligible, `position` (1, 2, ... in release order) and `cohort`."""
    size = contract.cohorts.size
    if size:
        cohort = f"CAST(floor((position - 1) / {size}) AS INTEGER) + 1"
    else:  # the contract's cohort periods, numbered 1, 2, ...
        whens = " ".join(f"WHEN index_date BETWEEN DATE '{p.start}' AND DATE '{p.end}' THEN {k}"
                         for k, p in enumerate(cohort_periods(contract), 1))
        cohort = f"CASE {whens} END"
    return [
        Step(f"{name}_screened", f"""
            SELECT e.disposal_id, e.person_id, e.disposal_type, e.disposal_date, e.index_date, e.prison,
                   e.custodial_months, e.released_from_court, p.gender, p.region,
                   {age_in_years('p.date_of_birth', 'e.disposal_date')} AS age_at_sentence,
                   {_reason_sql(contract)} AS screen
            FROM index_events e JOIN person p USING (person_id)
            WHERE e.index_date BETWEEN DATE '{start.isoformat()}' AND DATE '{end.isoformat()}'
              AND {population_clause(contract, population)}"""),
        Step(f"{name}_ranked", f"""
            SELECT s.*, CASE WHEN screen IS NULL THEN row_number() OVER (
                     PARTITION BY person_id, screen IS NULL ORDER BY index_date, disposal_id) END AS nth_for_person
            FROM {name}_screened s"""),
        Step(f"{name}_positioned", f"""
            SELECT r.*, CASE WHEN screen IS NULL AND nth_for_person = 1 THEN row_number() OVER (
                     PARTITION BY (screen IS NULL AND nth_for_person = 1) ORDER BY index_date, disposal_id) END AS position
            FROM {name}_ranked r"""),
        Step(name, f"""
            SELECT disposal_id, person_id, disposal_type, disposal_date, index_date, prison, custodial_months,
                   released_from_court, gender, region, age_at_sentence,
                   coalesce(screen, CASE WHEN nth_for_person > 1 THEN 'already in the cohort (an earlier release)' END)
                     AS reason,
                   position, CASE WHEN position IS NOT NULL THEN {cohort} END AS cohort
            FROM {name}_positioned
            ORDER BY index_date, disposal_id"""),
    ]


def build_register(engine: Engine, contract: Contract, start: date, end: date, name: str = "register",
                   population: str = "contract") -> None:
    if not engine.has_table("index_events"):
        run_steps(engine, [index_events_step()])
    run_steps(engine, register_steps(contract, start, end, name, population))
