"""The synthetic caseload: the measures recover the planted rates (a simulation with known truth), each
person's planted engagement equals the measured one, and the same seed gives the same caseload."""
from datetime import date

import pandas as pd

from justicelab.casework.measures import dashboard, per_case
from justicelab.casework.synth import ENGAGED, NEED_PREVALENCE, RATES, make_caseload


def within(measured_pct: float, p: float, n: int, sds: float = 4.0) -> bool:
    return abs(measured_pct / 100 - p) <= sds * (p * (1 - p) / n) ** 0.5 + 0.001


def test_measures_recover_the_planted_rates():
    synth = make_caseload(size=3000, seed=7)
    tables = dashboard(synth.load, synth.as_of)
    flags = per_case(synth.load, synth.as_of)
    # person by person: the month rule finds exactly the people planted as engaged (all are observable)
    assert flags["engaged_month"].notna().all()
    truth = synth.truth.loc[flags.index]
    assert (flags["engaged_month"].astype(bool) == truth["planted_engaged"]).all()
    assert (flags["met_at_gate"] == truth["planted_gate"]).all()
    risk = tables["by_risk_band"].set_index("risk_band")
    for band, p in ENGAGED.items():
        assert within(risk.loc[band, "engaged_month_pct"], p, int(risk.loc[band, "cases"])), band
    overall = tables["overall"].iloc[0]
    assert within(overall["met_at_gate_pct"], RATES["gate"], 3000)
    needs = tables["needs"].set_index("need")
    for need in ("accommodation", "finance", "attitudes"):  # recorded for the screened only
        assert within(100 * needs.loc[need, "with_need"] / 3000, NEED_PREVALENCE[need] * RATES["screening"], 3000), need
    received_share = needs["received"].sum() / needs["with_need"].sum()
    assert within(100 * received_share, RATES["referred"] * RATES["received_if_referred"], int(needs["with_need"].sum()))
    timely = tables["timeliness"].set_index("assessment")
    assert within(timely.loc["screening", "on_time_pct"], RATES["screening"] * RATES["screening_on_time"], 3000)
    # engagement falls with risk: the parking the dashboard is meant to reveal
    assert risk.loc["low", "engaged_month_pct"] > risk.loc["medium", "engaged_month_pct"] > risk.loc["high", "engaged_month_pct"]
    inten = tables["intensity"].set_index("period")["contacts_per_person"]
    assert inten["weeks 1-4"] > inten["weeks 9-12"] > inten["weeks 21-24"]


def test_same_seed_same_caseload():
    a, b = make_caseload(size=200, seed=3), make_caseload(size=200, seed=3)
    pd.testing.assert_frame_equal(a.load.cases, b.load.cases)
    pd.testing.assert_frame_equal(a.load.contacts, b.load.contacts)
    assert not make_caseload(size=200, seed=4).load.cases["id"].equals(a.load.cases["id"])
    assert a.as_of > date(2016, 1, 1)
