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


def test_cli_synth_dashboard_export_and_import(tmp_path, capsys):
    from justicelab.cli import main
    from justicelab.submission.validate import validate

    store = ["--store", f"sqlite:///{tmp_path / 'store.db'}"]
    assert main(["casework", "synth", "--size", "120", "--seed", "5", *store]) == 0
    assert main(["casework", "dashboard", "--as-of", "2017-06-30", "--json", *store]) == 0
    assert '"by_risk_band"' in capsys.readouterr().out
    out = tmp_path / "sub.csv"
    assert main(["casework", "export", "--out", str(out), "--as-of", "2017-06-30", *store]) == 0
    result = validate(out, today=date(2017, 6, 30))
    never_seen = int(capsys.readouterr().out.split("left out: ")[1].split()[0])
    assert len(pd.read_csv(out)) == 120 - never_seen < 120 and not [p for p in result.problems if p.severity == "error"]
    assert main(["service", "add-user", "cw@x.test", "--role", "caseworker", "--organisation", "Open Door Mentors",
                 "--password", "a long enough password", *store]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("reference,forename,surname,date_of_birth,sex,risk_band,reception_date\nZ1,A,B,31/02/1990,M,low,2024-01-01\n")
    capsys.readouterr()
    assert main(["casework", "import", str(bad), "--as", "cw@x.test", *store]) == 2
    captured = capsys.readouterr()
    assert "row 2, column date_of_birth" in captured.out and "nothing was imported" in captured.err
    assert main(["casework", "dashboard", "--as-of", "30/06/2017", *store]) == 2


def test_with_a_database_the_caseload_is_the_prisons_releases(tmp_path, capsys):
    """Drawn from a database, the people are eligible releases from HMP Nenebridge, so the cohort check
    finds every one of them in the contract's cohort (the hand-built register of tests/test_casework.py)."""
    from justicelab.casework.export import cohort_check
    from justicelab.data.db import write_database
    from justicelab.engine import DuckDBEngine
    from justicelab.pbr.contract import load_contract
    from tests.test_casework import cohort_fixture

    db = tmp_path / "national.duckdb"
    write_database(db, cohort_fixture()[1])
    synth = make_caseload(size=10, seed=1, db_path=db)
    cases = synth.load.cases
    assert sorted(cases["surname"]) == ["Person1", "Person5", "Person7", "Person7"]  # men, under 12 months, 2016+
    contract, _ = load_contract("contracts/peterborough.yaml")
    with DuckDBEngine(db, read_only=True) as engine:
        checked, cohorts = cohort_check(engine, contract, synth.load)
    assert set(checked["status"]) == {"in cohort 1"}
    assert cohorts.to_dict("records") == [{"cohort": 1, "members": 3, "on_caseload": 3, "not_on_caseload": 0}]
    # the same from the command line, through the store
    from justicelab.cli import main

    store = ["--store", f"sqlite:///{tmp_path / 'store.db'}"]
    assert main(["casework", "synth", "--size", "10", "--db", str(db), *store]) == 0
    assert main(["casework", "check", "contracts/peterborough.yaml", "--db", str(db), *store]) == 0
    out = capsys.readouterr().out
    assert "4  in cohort 1" in out and "cohort 1: 3 members, 3 on the caseload, 0 not" in out
