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
from ..measures.cohort import NEEDS_COLUMNS, characteristics_step
from ..measures.rules import Rules
from .cohort import build_register
from .contract import Contract

HIGH_RISK = 0.75  # OGRS-style score: the "high" band and above
Z_FLAG, MATERIAL = 3.0, 0.03
MIN_MEMBERS = 5  # results by need: fewer members than this are not shown (too few to read, and disclosive)


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


BANDS = ((0.0, 0.5, "low (under 0.50)"), (0.5, 0.75, "medium (0.50 to 0.74)"), (0.75, 0.9, "high (0.75 to 0.89)"),
         (0.9, 1.01, "very high (0.90 and over)"))


def _band(score: float, assessed: int) -> str:
    if not assessed:
        return "not assessed"
    return next(label for lo, hi, label in BANDS if lo <= score < hi)


def _per_100(g: pd.DataFrame) -> dict | None:
    """A group of match sets' result: the members' mean events against their comparison people's weighted mean."""
    t, c = g[g["treated"] == 1], g[g["treated"] == 0]
    if t.empty or c.empty:
        return None
    t100 = 100 * float(t["events"].mean())
    c100 = 100 * float((c["events"] * c["weights"]).sum() / c["weights"].sum())
    return {"cohort_members": len(t), "treated_per_100": t100, "comparison_per_100": c100,
            "reduction": (c100 - t100) / c100 if c100 > 0 else None}


def results_by_risk_band(pairs: pd.DataFrame) -> dict:
    """After outcomes are counted: a cohort's result by the risk band of its members (each comparison person
    follows the match set it serves), and the share of events among the riskiest quarter. A provider that
    parks its hardest cases shows its effect in the low bands only, and its riskiest keep their share.
    `pairs`: one row per cohort member and per (member, comparison person), with subclass, weights,
    events, ogrs_score and has_assessment."""
    treated = pairs[pairs["treated"] == 1]
    band = pd.Series([_band(s, a) for s, a in zip(treated["ogrs_score"], treated["has_assessment"])],
                     index=treated["subclass"].to_numpy())
    p = pairs.assign(band=pairs["subclass"].map(band))
    rows = [{"band": label, **r} for label in [b[2] for b in BANDS] + ["not assessed"]
            if (r := _per_100(p[p["band"] == label])) is not None]
    return {"by_risk_band": rows, "riskiest_quarter_share_of_events": _riskiest_share(p)}


def results_by_need(pairs: pd.DataFrame) -> dict:
    """A cohort's result among members assessed with each criminogenic need (a member with several needs
    counts under each; comparison people follow their match set). Parking shows as an effect that vanishes
    where the needs are heaviest (drugs, accommodation). Needs absent from `pairs` (samples frozen before
    needs were kept) are left out; needs held by fewer than `MIN_MEMBERS` members are not shown."""
    treated = pairs[pairs["treated"] == 1]
    rows = []
    for column in [n for n in NEEDS_COLUMNS if n in pairs.columns]:
        sets = set(treated.loc[treated[column].astype("boolean").fillna(False).astype(bool), "subclass"])
        r = _per_100(pairs[pairs["subclass"].isin(sets)])
        if r is not None and r["cohort_members"] >= MIN_MEMBERS:
            rows.append({"need": column.removeprefix("need_").replace("_", " "), **r})
    return {"by_need": rows}


def _riskiest_share(p: pd.DataFrame) -> dict:
    """Share of all events held by the riskiest quarter of the assessed (weighted for the comparison; the
    person who crosses the quarter is in)."""
    out = {}
    for name, g in (("cohort", p[p["treated"] == 1]), ("comparison", p[p["treated"] == 0])):
        g = g[g["has_assessment"] == 1]
        w = g["weights"].astype(float)
        order = g["ogrs_score"].astype(float).sort_values(ascending=False, kind="stable").index
        top = (w.loc[order].cumsum() - w.loc[order]) < 0.25 * w.sum()
        events = g["events"] * w
        out[name] = float(events.loc[order][top].sum() / events.sum()) if events.sum() > 0 else None
    return out
