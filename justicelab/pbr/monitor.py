"""Gaming monitor: is the cohort changing in ways a provider controls? (seeds 003 and 004)

Payment by results rewards a better outcome however it is reached. A provider can improve the measured
result without helping anyone: by cherry-picking (moving high-risk people out of the cohort, e.g. by
transfer to another prison before release, or pushing sentences just under the eligibility cut-off) or,
for a contract adjusted for case mix, by scoring its own assessments higher so that the expected rate
rises. The monitor compares the cohort's composition with the same population before the contract (the
baseline period, or the pre-pilot years) and nets off the national change over the same years elsewhere
(a difference in differences). Each indicator is flagged when the net change is both significant
(|z| >= 3: several indicators are tested) and material (at least 3 points, or 0.03 of a score).
Composition only: no outcome is used, so the monitor runs on balance-only statements too.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..engine import Engine, run_steps
from ..measures.cohort import characteristics_step
from ..measures.rules import Rules
from .cohort import build_register
from .contract import Contract

HIGH_RISK = 0.75  # OGRS-style score: the "high" band and above
Z_FLAG, MATERIAL = 3.0, 0.03


def _periods(contract: Contract, as_of: date) -> tuple[tuple[date, date], tuple[date, date]]:
    e, c = contract.eligibility, contract.comparison
    now = (e.released_from, min(e.released_to, as_of))
    if c.baseline_from is not None:
        return (c.baseline_from, c.baseline_to), now
    years = contract.planning.interim_years_before
    return (date(e.released_from.year - years, e.released_from.month, 1), e.released_from - timedelta(days=1)), now


def _group(engine: Engine, contract: Contract, period: tuple[date, date], population: str, rules: Rules) -> pd.DataFrame:
    """Every index event of the population and period with its reason, and for the eligible their assessed risk."""
    build_register(engine, contract, period[0], period[1], "monitor_register", population)
    reg = engine.query("SELECT * FROM monitor_register")
    eligible = reg[reg["position"].notna()][["person_id", "disposal_id", "index_date"]]
    engine.register_typed("cohort", eligible, {"person_id": "BIGINT", "disposal_id": "BIGINT", "index_date": "DATE"})
    run_steps(engine, [characteristics_step(rules)])
    chars = engine.query("SELECT disposal_id, ogrs_score, has_assessment FROM characteristics")
    return reg.merge(chars, on="disposal_id", how="left")


def _indicators(g: pd.DataFrame, contract: Contract) -> dict[str, tuple[float, float, int]]:
    """indicator -> (value, variance of one observation, observations)."""
    e = contract.eligibility
    eligible = g[g["position"].notna()]
    assessed = eligible.loc[eligible["has_assessment"] == 1, "ogrs_score"].astype(float)
    out = {}

    def share(name, hits: pd.Series):
        p = float(hits.mean()) if len(hits) else float("nan")
        out[name] = (p, p * (1 - p), len(hits))
    share("share assessed", eligible["has_assessment"] == 1)
    out["mean assessed risk score"] = (float(assessed.mean()), float(assessed.var(ddof=1)), len(assessed))
    share(f"share assessed at high risk (score >= {HIGH_RISK:g})", assessed >= HIGH_RISK)
    custody = g[g["disposal_type"] == "custody"]
    if e.max_custodial_months:
        months = eligible.loc[eligible["disposal_type"] == "custody", "custodial_months"].astype(float)
        share(f"share of sentences just under the {e.max_custodial_months:g}-month cut-off", months >= e.max_custodial_months - 1)
    if e.exclude_released_from_court and len(custody):
        share("share of releases straight from court (excluded)", custody["released_from_court"].astype(bool))
    return out


def monitor(engine: Engine, contract: Contract, as_of: date, rules: Rules = Rules()) -> dict:
    before, now = _periods(contract, as_of)
    values = {(pop, label): _indicators(_group(engine, contract, period, pop, rules), contract)
              for pop in ("contract", "elsewhere") for label, period in (("before", before), ("now", now))}
    rows = []
    for name in values[("contract", "now")]:
        (a1, v1, n1), (a0, v0, n0) = values[("contract", "now")][name], values[("contract", "before")][name]
        (b1, w1, m1), (b0, w0, m0) = values[("elsewhere", "now")][name], values[("elsewhere", "before")][name]
        did = (a1 - a0) - (b1 - b0)
        se = float(np.sqrt(sum(v / n for v, n in ((v1, n1), (v0, n0), (w1, m1), (w0, m0)) if n)))
        z = did / se if se > 0 else float("nan")
        rows.append({"indicator": name, "contract_before": a0, "contract_now": a1, "elsewhere_before": b0,
                     "elsewhere_now": b1, "net_change": did, "z": z,
                     "flag": bool(abs(z) >= Z_FLAG and abs(did) >= MATERIAL)})
    flags = [r["indicator"] for r in rows if r["flag"]]
    return {"before": [d.isoformat() for d in before], "now": [d.isoformat() for d in now], "indicators": rows,
            "flags": flags, "summary": ("Composition changed in ways the provider controls: " + "; ".join(flags) +
                                        ". Check for cherry-picking or assessment drift before paying."
                                        if flags else "No sign of cherry-picking or assessment drift.")}
