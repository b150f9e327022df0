"""Outcome statements on a synthetic database with a planted through-the-gate effect at HMP Nenebridge.

The paying case is the pilot prison (true reduction in reconviction events ~15%, from the coupled
simulation); the non-paying case is the same contract moved to a prison with no programme (true 0).
"""
import json
from decimal import ROUND_HALF_UP, Decimal
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from justicelab.cli import main
from justicelab.data.db import attach_tables, restrict_to_snapshot
from justicelab.engine import DuckDBEngine
from justicelab.errors import JusticeLabError
from justicelab.measures.rules import Rules
from justicelab.pbr.events import count_reconviction_events
from justicelab.pbr.statement import measure_contract
from tests.fixtures import synthetic_db

CONTRACTS = __import__("pathlib").Path(__file__).resolve().parent.parent / "contracts"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return synthetic_db(tmp_path_factory, 600_000, 5)


def contract_file(tmp_path, name="peterborough.yaml", **changes):
    data = yaml.safe_load((CONTRACTS / name).read_text())
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        data[section][key] = value
    path = tmp_path / f"contract_{abs(hash(json.dumps(changes, default=str)))}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def paying(db, tmp_path_factory):
    path = contract_file(tmp_path_factory.mktemp("c"), cohorts__size=260)
    return path, measure_contract(path, db)


def true_reductions(db, register: pd.DataFrame) -> dict[int, float]:
    """Per cohort: 1 - events as they happened / events had nobody taken part (coupled simulation)."""
    members = register[register["cohort"].notna()]
    with DuckDBEngine() as engine:
        attach_tables(engine.con, db)
        observed = count_reconviction_events(engine, members.rename(columns={"index_date": "release_date"}))
    truth = duckdb.connect(str(db), read_only=True).execute(
        "SELECT person_id, disposal_id, reconviction_events_untreated FROM truth_participant").df()
    m = members.merge(observed[["person_id", "events"]], on="person_id").merge(truth, on=["person_id", "disposal_id"], how="left")
    m["untreated"] = m["reconviction_events_untreated"].fillna(m["events"])  # non-participants: as observed
    g = m.groupby("cohort")[["events", "untreated"]].sum()
    return {int(k): float(1 - r.events / r.untreated) for k, r in g.iterrows()}


def test_register_gives_every_release_one_reason(paying, db):
    _, s = paying
    reg = s["register"]
    assert reg["disposal_id"].is_unique
    assert (reg["reason"].isna() == reg["cohort"].notna()).all()
    cohort = reg[reg["cohort"].notna()]
    # the rules, checked against the database independently
    con = duckdb.connect(str(db), read_only=True)
    d = con.execute("""SELECT d.disposal_id, d.custodial_months, d.released_from_court, p.gender,
                              date_diff('year', p.date_of_birth, d.disposal_date) AS rough_age
                       FROM disposal d JOIN person p USING (person_id)""").df().set_index("disposal_id")
    c = d.loc[cohort["disposal_id"]]
    assert (c["gender"] == "M").all() and (c["custodial_months"] < 12).all() and not c["released_from_court"].any()
    assert cohort["person_id"].is_unique and (cohort["prison"] == "HMP Nenebridge").all()
    assert cohort["index_date"].between(pd.Timestamp("2015-01-01"), pd.Timestamp("2018-12-31")).all()
    # consecutive cohorts of 260 in release order; the last holds the rest
    sizes = cohort.groupby("cohort").size()
    assert (sizes.iloc[:-1] == 260).all() and 0 < sizes.iloc[-1] <= 260
    assert cohort.sort_values(["index_date", "disposal_id"])["position"].tolist() == list(range(1, len(cohort) + 1))
    out = reg[reg["reason"].notna()]
    assert set(out["reason"]) <= {"female", "aged under 18 at sentence", "sentence of 12 months or more",
                                  "released straight from court (sentence served on remand)",
                                  "already in the cohort (an earlier release)"}
    assert (d.loc[out.loc[out["reason"] == "female", "disposal_id"], "gender"] == "F").all()
    assert (d.loc[out.loc[out["reason"] == "sentence of 12 months or more", "disposal_id"], "custodial_months"] >= 12).all()
    assert sum(r["releases"] for r in s["register_summary"]) == len(reg)


def test_planted_effect_is_recovered_and_the_contract_pays(paying, db):
    _, s = paying
    truth = true_reductions(db, s["register"])
    assert s["kind"] == "final" and len(s["cohorts"]) >= 2
    for c in s["cohorts"]:
        # within 3 standard errors (a 90% interval misses one cohort in ten by design)
        assert abs(c["reduction"] - truth[c["cohort"]]) < 3 * c["reduction_se"], (c["cohort"], truth)
        # the score balances; the modelled covariates within Stuart's 0.25 (a cohort of 260 is noisy: SE ~0.07)
        distance = next(b for b in c["balance"] if b["variable"] == "distance")
        assert abs(distance["smd_after"]) < 0.05 < abs(distance["smd_before"])
        selected = [b for b in c["balance"] if b["variable"] in c["covariates_selected"]]
        assert selected and all(abs(b["smd_after"]) < 0.25 for b in selected)
        assert c["comparison_people"] > 5 * c["treated_matched"]  # up to 10 each, with replacement
        # R from the printed events per 100, as the contract defines it
        assert c["reduction"] == pytest.approx(1 - c["treated_per_100"] / c["comparison_per_100"])
        # the risk bands partition the cohort, and their T's average back to the cohort's T
        bands = c["by_risk_band"]
        assert sum(b["cohort_members"] for b in bands) == c["treated_matched"]
        assert np.average([b["treated_per_100"] for b in bands], weights=[b["cohort_members"] for b in bands]) == \
            pytest.approx(c["treated_per_100"])
        # results by need: the needs the assessments record, each a subset of the cohort
        assert c["by_need"] and all(5 <= b["cohort_members"] <= c["treated_matched"] for b in c["by_need"])
    assert np.mean(list(truth.values())) > 0.10
    sizes = [c["treated_matched"] for c in s["cohorts"]]
    assert s["pooled"]["reduction"] == pytest.approx(np.average([c["reduction"] for c in s["cohorts"]], weights=sizes))
    assert s["pooled"]["reduction"] >= 0.075 and s["payment"]["total"] > 0
    avoided = sum(c["events_avoided"] for c in s["cohorts"])
    assert s["payment"]["total"] == pytest.approx(min(avoided * 20000, 8_000_000))
    assert s["payment"]["returns"]["irr"] is not None
    assert s["monitor"]["flags"] == []  # a real service effect, no gaming: the composition is stable
    # with no effect: cohorts of 260 each pay by chance now and then, so that with several cohorts some payment
    # is likely: at least as often as independent cohorts would give, and less often than at the assumed effect
    zero = s["probability"]["at_zero_effect"]
    assert all(0 < p < 0.3 for p in zero["p_each_cohort_pays"])
    assert zero["p_any_payment"] >= 1 - np.prod([1 - p for p in zero["p_each_cohort_pays"]]) - 0.02
    assert zero["p_any_payment"] < s["probability"]["at_assumed_effect"]["p_any_payment"]
    # the last cohort (contract period over, fewer than 260) is short of its contracted size
    assert [c["short_of_size"] for c in s["cohorts"]] == [c["treated"] < 260 for c in s["cohorts"]]
    assert s["cohorts"][-1]["short_of_size"]
    assert s["provenance"]["contract_sha256"] == s["contract"]["sha256"] and len(s["provenance"]["database"]["sha256"]) == 64


def test_a_prison_without_the_service_does_not_pay(db, tmp_path):
    path = contract_file(tmp_path, cohorts__size=260, eligibility__prisons=["HMP Yare Fields"])
    s = measure_contract(path, db, monitor=False)
    truth = true_reductions(db, s["register"])  # no service here; a few men had the prison mentors
    for c in s["cohorts"]:
        assert abs(truth[c["cohort"]]) < 0.03
        assert abs(c["reduction"] - truth[c["cohort"]]) < 3 * c["reduction_se"]
    assert s["pooled"]["reduction"] < 0.075 and not any(c["cohort_threshold_met"] for c in s["cohorts"])
    assert s["payment"]["total"] == 0 and s["payment"]["returns"]["irr"] == -1.0
    assert s["headline"].startswith("No outcome payment")


def test_interim_statement_sees_only_what_was_known(paying, db):
    path, final = paying
    s = measure_contract(path, db, as_of=date(2017, 3, 31), monitor=False)
    assert s["kind"] == "interim" and s["headline"].endswith("interim figures.") or "would be due" in s["headline"]
    reg = s["register"]
    assert reg["index_date"].max() <= pd.Timestamp("2017-03-31")
    assert all(p["provisional"] for p in s["payment"]["payments"])
    shares = [c["maturity"]["typical_share_present"] for c in s["cohorts"]]
    assert all(0 < x <= 1 for x in shares) and min(shares) < 1
    last = s["cohorts"][-1]
    assert last["status"] == "filling" and not last["maturity"]["final"]
    curve = list(s["maturity_curve"].values())
    assert curve == sorted(curve) and curve[-1] == 1.0
    # the first cohort's registered members are the same people as in the final statement
    first = reg[reg["cohort"] == 1]["disposal_id"].tolist()
    assert first == final["register"][final["register"]["cohort"] == 1]["disposal_id"].tolist()
    # a cohort still filling has no final date and no due date; the pooled rule books nothing before the end
    assert last["maturity"]["count_final_on"] is None and last["maturity"]["final_not_before"] > "2017-03-31"
    assert not any("filling" in step and "reaches" in step for step in s["payment"]["steps"])
    assert not any("pooled" in p["reason"] for p in s["payment"]["payments"]) and s["pooled"]["pays"] is None
    figures = s["interim_figures"]
    assert figures["pre_pilot_years"] == [2013, 2014] and "not the contract measure" in figures["label"]
    assert max(y["releases_to"] for y in figures["years"]) <= "2016-09-30"  # 273 days before the statement


def test_matching_is_outcome_blind_and_deterministic(paying, db):
    path, final = paying
    blind = measure_contract(path, db, balance_only=True, monitor=False)
    assert [c["fingerprint"] for c in blind["cohorts"]] == [c["fingerprint"] for c in final["cohorts"]]
    assert "reduction" not in blind["cohorts"][0] and "payment" not in blind
    assert blind["outcome_tables"] == [] and blind["kind"] == "balance only"  # no outcome table was even built
    again = measure_contract(path, db)
    for s in (again, final):
        s.pop("register")
    assert json.dumps(again, default=str, sort_keys=True) == json.dumps(final, default=str, sort_keys=True)


def test_baseline_contracts(db):
    s = measure_contract(CONTRACTS / "doncaster.yaml", db, monitor=False)
    (r,) = s["results"]
    assert r["fall_pp"] == pytest.approx(100 * (r["baseline_rate"] - r["cohort_rate"]))
    assert abs(r["fall_pp"]) < 3 * (r["fall_high_pp"] - r["fall_low_pp"]) / (2 * 1.96)  # HMP Donmouth: no programme
    # the decision follows the rule (at ~300 releases a 5-point fall happens by chance ~1 time in 10:
    # the weakness of an unmatched baseline that the Doncaster evaluation itself noted)
    # compared as the contract says: the fall in points rounded half up to one place
    published = (100 * r["fall_exact"]).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert r["threshold_met"] == (published >= 5)
    assert s["payment"]["total"] == (1_200_000 if r["threshold_met"] else 0)
    (chance,) = s["probability"]["at_zero_effect"]  # Donmouth's sizes: a 5-point fall by chance about 1 in 10
    assert 0.03 < chance["p_pays_at_zero_effect"] < 0.25
    p = measure_contract(CONTRACTS / "probation_case_mix.yaml", db, monitor=False)
    binary, freq = p["results"]
    assert binary["cohort_size"] > 1000 and freq["cohort_reoffenders"] > 300
    assert binary["fall_low_pp"] < binary["fall_pp"] < binary["fall_high_pp"]
    assert freq["fall"] == pytest.approx(freq["baseline_value"] - freq["cohort_value"])


def test_case_mix_model_reproduces_its_own_baseline(db):
    """A logistic model with an intercept predicts its own sample's rate exactly (score equations): run
    the contract against itself (the baseline as both groups) and the expected rate equals the baseline's."""
    from justicelab.pbr.baseline import _members, _proven_measures, case_mix_comparison, group_registers
    from justicelab.pbr.contract import load_contract

    contract, _ = load_contract(CONTRACTS / "probation_case_mix.yaml")
    with DuckDBEngine() as engine:
        attach_tables(engine.con, db)
        restrict_to_snapshot(engine.con, "2021-12-31")
        register, baseline = group_registers(engine, contract)
        m = _proven_measures(engine, _members(baseline), "baseline", Rules())
    binary, _ = case_mix_comparison(pd.concat([m, m.assign(group="cohort")], ignore_index=True), 0.95)
    assert binary["expected_rate"] == pytest.approx(binary["cohort_rate"], abs=1e-9)


def test_cli_writes_the_statement(paying, db, tmp_path, capsys):
    path, _ = paying
    out = tmp_path / "statement"
    assert main(["pbr", str(path), "--db", str(db), "--out", str(out)]) == 0
    for name in ("statement.html", "statement.pdf", "statement.json", "register.csv"):
        assert (out / name).stat().st_size > 0
    html = (out / "statement.html").read_text()
    assert "FINAL STATEMENT" in html and "step by step" in html and "not the contract measure" in html
    assert "by risk band" in html and "by assessed need" in html
    assert "date_of_birth" not in html and "surname" not in html.lower()
    register = pd.read_csv(out / "register.csv")
    assert not {"forename", "surname", "date_of_birth", "pnc_id"} & set(register.columns)
    assert main(["pbr", str(path), "--db", str(db), "--out", str(out), "--as-of", "2031-01-01"]) == 2
    assert "cannot be dated after" in capsys.readouterr().err


def test_closed_cohorts_are_frozen_stored_and_reused(paying, db, tmp_path):
    path, final = paying
    store = next(path.parent.glob(path.stem + "-samples/*"))
    first = final["cohorts"][0]
    # the stored ids and weights are the fingerprint's bytes: a third party checks them with sha256sum
    stored = store / "cohort_1" / "matched.csv"
    assert __import__("hashlib").sha256(stored.read_bytes()).hexdigest() == first["fingerprint"]
    assert set(pd.read_csv(stored).columns) == {"person_id", "disposal_id", "treated", "weights"}
    # an interim statement matched from scratch (its own empty folder), when cohort 2 was still filling,
    # matches cohort 1 to the same people as the final statement: later cohorts do not move its pool
    interim = measure_contract(path, db, as_of=date(2017, 3, 31), balance_only=True, samples=tmp_path / "fresh",
                               monitor=False)
    assert interim["cohorts"][0]["fingerprint"] == first["fingerprint"]
    # a later statement reads the frozen sample instead of matching again, and a tampered one is refused
    again = measure_contract(path, db, balance_only=True, monitor=False)
    assert all(c["frozen"] for c in again["cohorts"])
    stored.write_bytes(stored.read_bytes().replace(b",1.0\n", b",0.5\n", 1))
    with pytest.raises(JusticeLabError, match="does not match its recorded fingerprint"):
        measure_contract(path, db, balance_only=True, monitor=False)
    stored.write_bytes(__import__("justicelab.pbr.frozen", fromlist=["x"]).fingerprint_bytes(
        pd.read_csv(stored).assign(weights=lambda f: f["weights"].where(f["weights"] != 0.5, 1.0))))


@pytest.mark.parametrize("name, as_of", [("doncaster.yaml", date(2016, 7, 15)),
                                         ("probation_case_mix.yaml", date(2018, 3, 31))])
def test_interim_baseline_statements_compare_like_with_like(db, name, as_of, tmp_path):
    """No programme in either place: an interim fall must be noise around zero, not the gap between a
    half-observed year and a fully observed baseline (the 54-point 'fall' before the fix)."""
    path = tmp_path / name
    path.write_text((CONTRACTS / name).read_text())
    s = measure_contract(path, db, as_of=as_of, monitor=False)
    final = measure_contract(path, db, monitor=False)
    assert s["kind"] == "interim" and final["kind"] == "final"
    r, f = s["results"][0], final["results"][0]
    se = (r["fall_high_pp"] - r["fall_low_pp"]) / (2 * 1.96)
    assert abs(r["fall_pp"]) < 3 * se, r
    # the baseline was cut like the cohort: observed on the same day of its own year, so its rate is the
    # partial one, well below its final rate
    shift = date.fromisoformat(r["period"]["from"]) - date.fromisoformat(s["contract"]["settings"]["comparison"]["baseline_from"])
    assert r["baseline_observed_as_of"] == (as_of - shift).isoformat()
    assert r["baseline_rate"] < 0.8 * f["baseline_rate"]
    period_over = as_of >= date.fromisoformat(r["period"]["to"])  # then the whole baseline year, part observed
    assert (r["baseline_size"] == f["baseline_size"]) if period_over else (r["baseline_size"] < f["baseline_size"])
    assert f["baseline_observed_as_of"] is None
    # the balance-only statement of a baseline contract computes no outcome at all
    blind = measure_contract(path, db, as_of=as_of, balance_only=True, monitor=False)
    assert "results" not in blind and "payment" not in blind and blind["outcome_tables"] == []


@pytest.mark.slow
def test_gaming_monitor_flags_the_gaming_provider_and_not_an_honest_one(db, tmp_path):
    """Seeds 003/004: a prison that transfers its high-risk men out before release (cherry-picking) and a
    region whose provider scores its own assessments higher are planted in a copy of the database; the
    monitor flags both, and flags neither the same contracts on the honest database nor honest providers."""
    import shutil

    from justicelab.data.synth.gaming import GAMING_PRISON, GAMING_REGION, plant_gaming
    from justicelab.pbr.contract import parse_contract
    from justicelab.pbr.monitor import monitor

    gamed = tmp_path / "gamed.duckdb"
    shutil.copy(db, gamed)
    planted = plant_gaming(gamed)
    assert planted["releases_transferred"] > 200 and planted["assessments_inflated"] > 1000

    def flags(text: str, path) -> list[str]:
        with DuckDBEngine() as engine:
            attach_tables(engine.con, path)
            restrict_to_snapshot(engine.con, "2021-12-31")
            return monitor(engine, parse_contract(text), date(2021, 12, 31))["flags"]

    prison = (CONTRACTS / "peterborough.yaml").read_text()
    region = (CONTRACTS / "probation_case_mix.yaml").read_text()
    cherry = prison.replace("HMP Nenebridge", GAMING_PRISON).replace("released_from: 2015-01-01",
                                                                     "released_from: 2016-01-01")
    inflated = region.replace("North West", GAMING_REGION)
    assert "mean assessed risk score" in flags(cherry, gamed)
    assert {"mean assessed risk score", "share assessed at high risk (score >= 0.75)"} <= set(flags(inflated, gamed))
    assert flags(cherry, db) == [] and flags(inflated, db) == []  # the same contracts, honest data
    assert flags(prison, gamed) == [] and flags(region, gamed) == []  # honest providers in the gamed world
