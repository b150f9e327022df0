"""Local schemes: the prediction model (fit, AUC, calibration), predicted vs actual, cohort tracking, the CLI."""
from __future__ import annotations

import json
from itertools import product

import numpy as np
import pandas as pd
import pytest

from justicelab.cli import main
from justicelab.engine import DuckDBEngine
from justicelab.local.predict import FEATURE_COLUMNS, auc, calibration, fit_model, predicted_vs_actual
from justicelab.local.stats import build_area_cohort
from justicelab.provenance import sha256_of
from tests.fixtures import d, synthetic_db

GROUPS = ["Theft offences", "Violence against the person", "Drug offences"]


def simulated_cohort(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """People drawn from a known logistic model: the truth the fit must recover (built without the
    code under test: the linear predictor is written out here)."""
    age = rng.integers(18, 70, n)
    male = rng.random(n) < 0.85
    prev = rng.poisson(3, n)
    copas = rng.normal(-2.0, 0.6, n)
    group = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    eta = (-1.0 + 0.3 * male + 0.4 * np.log1p(prev) + 0.5 * (copas + 2.0) - 0.02 * 0
           + 0.6 * (group == 1) - 0.4 * (group == 2) - 0.5 * (age >= 40))
    p = 1 / (1 + np.exp(-eta))
    return pd.DataFrame({
        "age": age, "gender": np.where(male, "M", "F"), "previous_sanctions": prev,
        "previous_custodial_sentences": np.zeros(n, int), "copas_rate": copas,
        "index_offence_group": np.array(GROUPS)[group], "sentence_group": "Court order",
        "reoffended": (rng.random(n) < p).astype(int), "true_p": p})


TRUTH = {"male": 0.3, "ln(1 + previous sanctions)": 0.4, "Copas rate": 0.5,
         "index_offence_group: Violence against the person": 0.6, "index_offence_group: Drug offences": -0.4,
         "age 18-20": 0.0, "age 21-24": 0.0, "age 25-29": 0.0, "age 30-39": 0.0}


def test_fit_recovers_the_planted_coefficients():
    frame = simulated_cohort(40_000, np.random.default_rng(1))
    coef = fit_model(frame).coefficients().set_index("term")
    for term, value in TRUTH.items():
        if term in coef.index:
            assert abs(coef.loc[term, "coefficient"] - value) < 4 * coef.loc[term, "standard_error"], term
    # ages 40+ are 0.5 lower than under 40 (the reference is 18-20, so 40-49 and 50+ sit 0.5 below it)
    for term in ("age 40-49", "age 50+"):
        assert abs(coef.loc[term, "coefficient"] + 0.5) < 4 * coef.loc[term, "standard_error"]


def test_auc_is_the_share_of_correctly_ordered_pairs():
    rng = np.random.default_rng(2)
    y = rng.random(300) < 0.3
    score = rng.integers(0, 20, 300) + 3 * y  # ties on purpose
    pairs = [(a, b) for a, b in product(score[y], score[~y])]
    brute = np.mean([1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs])
    assert auc(y, score) == pytest.approx(brute)
    assert auc(y, -score) == pytest.approx(1 - brute)


def test_calibration_deciles():
    # ten people per decile, by hand: predictions 0.00..0.99, the top half reoffend
    p = np.arange(100) / 100
    y = (p >= 0.5).astype(int)
    cal = calibration(y[::-1], p[::-1])  # order of rows must not matter
    assert list(cal["people"]) == [10] * 10
    assert cal["predicted"].tolist() == pytest.approx([0.045 + 0.1 * i for i in range(10)])
    assert cal["observed"].tolist() == [0.0] * 5 + [1.0] * 5
    # a calibrated model (the true probabilities) lies inside 4 standard errors in every decile
    frame = simulated_cohort(20_000, np.random.default_rng(3))
    cal = calibration(frame["reoffended"], frame["true_p"])
    se = np.sqrt(cal["predicted"] * (1 - cal["predicted"]) / cal["people"])
    assert (abs(cal["observed"] - cal["predicted"]) < 4 * se).all()


def test_interval_covers_a_null_cohort_at_the_stated_rate_because_it_includes_the_model():
    """Simulation with known truth: a small national cohort (so the model is uncertain) and local cohorts
    from the same model. The interval with the model's variance covers 0 about 95% of the time; the
    binomial part alone covers visibly less."""
    rng = np.random.default_rng(4)
    full, binomial_only, reps = 0, 0, 300
    for _ in range(reps):
        national = simulated_cohort(1_200, rng)
        local = simulated_cohort(1_000, rng)
        r = predicted_vs_actual(fit_model(national), local)
        full += r["difference_low"] <= 0 <= r["difference_high"]
        half = (r["difference_high"] - r["difference_low"]) / 2 * np.sqrt(1 - r["model_share_of_variance"])
        binomial_only += abs(r["difference"]) <= half
    assert 0.92 <= full / reps <= 0.98
    assert binomial_only / reps < full / reps - 0.03


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return synthetic_db(tmp_path_factory, 60_000, 13)


@pytest.fixture(scope="module")
def national(db):
    with DuckDBEngine(db, read_only=True) as e:
        build_area_cohort(e, d("2019-01-01"), d("2019-12-31"))
        return e.query(f"SELECT person_id, reoffended, reoffences, {', '.join(FEATURE_COLUMNS)} FROM area_measures "
                       "ORDER BY person_id")


def test_null_local_cohorts_are_not_successes_and_a_planted_effect_is_found(national):
    rng = np.random.default_rng(5)
    null_wins, found = 0, 0
    for _ in range(10):
        local = rng.random(len(national)) < 0.1  # about 600 people drawn at random: no effect
        model = fit_model(national[~local])
        null = predicted_vs_actual(model, national[local])
        null_wins += null["verdict"] == "lower than predicted"
        treated = national[local].copy()
        reoffenders = np.flatnonzero(treated["reoffended"].to_numpy() == 1)
        prevented = rng.choice(reoffenders, int(0.35 * len(reoffenders)), replace=False)
        treated.iloc[prevented, treated.columns.get_loc("reoffended")] = 0  # a scheme that prevents 35%
        found += predicted_vs_actual(model, treated)["verdict"] == "lower than predicted"
    assert null_wins <= 1
    assert found >= 9


def test_model_discriminates_and_is_calibrated_on_the_synthetic_cohort(national):
    model = fit_model(national)
    p = model.predict(national)
    assert 0.70 < auc(national["reoffended"], p) < 0.90  # OGRS3 reports about 0.80
    cal = calibration(national["reoffended"], p)
    assert (abs(cal["observed"] - cal["predicted"]) < 0.06).all()
    assert cal["predicted"].is_monotonic_increasing


def _run(args, capsys):
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.err


def test_cli_report_outputs_are_reproducible_and_disclosure_controlled(db, tmp_path, capsys):
    args = ["local", "report", "--db", str(db), "--by", "probation_region", "--area", "local_authority=Southwark",
            "--from", "2019-01-01", "--to", "2019-12-31", "--baseline-from", "2017-01-01", "--baseline-to", "2017-12-31"]
    assert _run(args + ["--out", str(tmp_path / "a")], capsys)[0] == 0
    assert _run(args + ["--out", str(tmp_path / "b"), "--no-pdf"], capsys)[0] == 0
    a = (tmp_path / "a" / "results.json").read_text()
    assert a == (tmp_path / "b" / "results.json").read_text()
    assert (tmp_path / "a" / "local.pdf").stat().st_size > 1000 and (tmp_path / "a" / "local.xlsx").exists()
    r = json.loads(a)
    assert r["provenance"]["database_sha256"] == sha256_of(db)
    assert [row["local_authority"] for row in r["areas"]] == ["Southwark", "England and Wales"]
    for row in r["areas"] + r["trends"]["rows"]:
        for col in ("offenders", "reoffenders", "reoffences"):
            assert row[col] == "[c]" or row[col] % 5 == 0
    assert "regression to the mean" in (tmp_path / "a" / "local.html").read_text()
    assert [m["measure"] for m in r["demand"]["rows"]][:2] == ["Proven reoffences", "Court occasions"]
    assert r["prediction"]["local"]["verdict"] in ("lower than predicted", "higher than predicted",
                                                   "not distinguishable from predicted")


def test_cli_bad_input_is_one_line(db, tmp_path, capsys):
    bad_people = tmp_path / "people.csv"
    bad_people.write_text("person_id\n12\nabc\n")
    cases = [
        (["--area", "Southwark"], "write LEVEL=NAME"),
        (["--by", "borough"], "each level must be one of"),
        (["--area", "local_authority=Nowhere"], "nobody in the period's cohort lives there"),
        (["--people", str(bad_people)], "row 2, column person_id: 'abc' is not a whole number"),
        (["--from", "2019-01-01"], "give both --from and --to"),
        (["--baseline-from", "2017-01-01", "--baseline-to", "2017-12-31"], "demand needs --area"),
    ]
    for extra, message in cases:
        code, err = _run(["local", "report", "--db", str(db), "--out", str(tmp_path / "x"), "--no-pdf"] + extra,
                         capsys)
        assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_tracking_naive_before_after_flatters_a_null_scheme_and_matching_does_not(db):
    """A scheme with no effect that selects people after a burst of offending (3+ offences in the last
    three months): naive before/after shows a large, 'significant' fall; the trajectory-matched
    comparison does not. The same scheme made to prevent 40% of its people's later offences is found."""
    from justicelab.local.tracking import build_tracking, track

    with DuckDBEngine(db, read_only=True) as e:
        frame = build_tracking(e, d("2015-01-01"), d("2017-12-31"), d("2021-12-31"))
    rng = np.random.default_rng(6)
    chosen = (frame[[-3, -2, -1]].sum(axis=1) >= 3) & (rng.random(len(frame)) < 0.5)
    null = track(frame, chosen)
    assert null["naive_high"] < 0 and null["naive_change"] < -0.1
    assert null["effect_low"] <= 0 <= null["effect_high"]
    assert abs(null["effect"]) < abs(null["naive_change"]) / 5
    planted = frame.copy()
    after = list(range(0, 24))
    planted.loc[chosen, after] = rng.binomial(planted.loc[chosen, after].to_numpy(), 0.6).astype(np.int32)
    found = track(planted, chosen)
    assert found["effect_high"] < 0
    # by hand: the scheme's monthly series is the plain mean of its people's counts
    assert found["series"].set_index("month").loc[-1, "scheme"] == pytest.approx(frame.loc[chosen, -1].mean())


def _with_counts(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Overdispersed reoffence counts (negative binomial, shape 0.7) with a known log-linear mean."""
    mu = np.exp(-0.8 + 0.5 * np.log1p(frame["previous_sanctions"]) + 0.4 * (frame["gender"] == "M"))
    return frame.assign(reoffences=rng.negative_binomial(0.7, 0.7 / (0.7 + mu)))


def _frequency_trials(reps: int, seed: int) -> tuple[float, float]:
    """Share of null local cohorts whose interval covers 0, and share of cohorts with 30% of their
    counts removed that are found lower than predicted."""
    from justicelab.local.predict import fit_frequency_model

    rng = np.random.default_rng(seed)
    covered = found = 0
    for _ in range(reps):
        model = fit_frequency_model(_with_counts(simulated_cohort(3_000, rng), rng))
        local = _with_counts(simulated_cohort(600, rng), rng)
        r = predicted_vs_actual(model, local, "reoffences")
        covered += r["difference_low"] <= 0 <= r["difference_high"]
        cut = local.assign(reoffences=rng.binomial(local["reoffences"], 0.7))
        found += predicted_vs_actual(model, cut, "reoffences")["verdict"] == "lower than predicted"
    return covered / reps, found / reps


def test_frequency_model_matches_statsmodels_and_finds_a_planted_fall():
    import statsmodels.api as sm

    from justicelab.local.predict import fit_frequency_model

    rng = np.random.default_rng(8)
    national = _with_counts(simulated_cohort(3_000, rng), rng)
    model = fit_frequency_model(national)
    ref = sm.GLM(national["reoffences"].to_numpy(float), model.design(national),
                 family=sm.families.Poisson()).fit(cov_type="HC0")  # robust (sandwich) covariance
    assert np.allclose(ref.params, model.params, atol=1e-8)
    assert np.allclose(np.asarray(ref.cov_params()), model.cov, atol=1e-10)
    covered, found = _frequency_trials(40, 8)
    assert covered >= 0.85 and found >= 0.8


@pytest.mark.slow
def test_frequency_interval_covers_a_null_cohort_at_the_stated_rate():
    """Known truth, 1,000 repetitions: the interval covers a null cohort 95% of the time (within 2 SE)."""
    covered, found = _frequency_trials(1_000, 10)
    assert abs(covered - 0.95) < 2 * np.sqrt(0.95 * 0.05 / 1_000) + 0.005
    assert found > 0.8


def burst_scheme(db) -> pd.DataFrame:
    """A null IOM-style scheme: half the people sentenced or cautioned in 2015-2016 after a burst of
    offending (3+ offences in the last three months), selected on that day; no effect at all.
    person_id and selection_date, as a scheme's file has them (also used by tests/test_local_jobs.py)."""
    from justicelab.local.tracking import build_tracking

    with DuckDBEngine(db, read_only=True) as e:
        frame = build_tracking(e, d("2015-01-01"), d("2016-12-31"), d("2021-12-31"))
    burst = frame[[-3, -2, -1]].sum(axis=1) >= 3
    chosen = frame[burst & (np.random.default_rng(9).random(len(frame)) < 0.5)]
    return chosen.reset_index()[["person_id", "event_date"]].rename(columns={"event_date": "selection_date"})


def test_cli_track_on_a_null_scheme_and_bad_files(db, tmp_path, capsys):
    scheme = tmp_path / "scheme.csv"
    burst_scheme(db).to_csv(scheme, index=False)
    code, err = _run(["local", "track", "--db", str(db), "--people", str(scheme), "--out", str(tmp_path / "t")], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "t" / "tracking.json").read_text())
    assert r["naive_high"] < 0 and r["effect_low"] <= 0 <= r["effect_high"]
    assert r["scheme_people"] % 5 == 0 and (tmp_path / "t" / "tracking.xlsx").exists()
    assert (tmp_path / "t" / "tracking.png").stat().st_size > 1000
    for text, message in (("person_id,selection_date\n5,2016-13-01\n", "row 1, column selection_date: '2016-13-01'"),
                          ("person_id,selection_date\n5,2021-01-01\n", "row 1, column selection_date: too late"),
                          ("person_id,selection_date\n5,2016-01-01\n5,2016-02-01\n", "row 2, column person_id")):
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        code, err = _run(["local", "track", "--db", str(db), "--people", str(bad), "--out", str(tmp_path / "u")],
                         capsys)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_cli_report_for_a_supplied_cohort(db, national, tmp_path, capsys):
    """A scheme's own people (a random 300 of the 2019 cohort plus two not in it): predicted vs actual for
    them, the file's hash in the provenance, and how many were found."""
    from justicelab.provenance import sha256_of

    ids = national["person_id"].sample(300, random_state=1).tolist() + [999_999_999, 999_999_998]
    file = tmp_path / "cohort.csv"
    pd.DataFrame({"person_id": ids}).to_csv(file, index=False)
    code, err = _run(["local", "report", "--db", str(db), "--people", str(file), "--by", "region",
                      "--from", "2019-01-01", "--to", "2019-12-31", "--out", str(tmp_path / "o"), "--no-pdf"], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "o" / "results.json").read_text())
    assert r["provenance"]["people_file_sha256"] == sha256_of(file)
    assert r["prediction"]["people_supplied"] == 302 and r["prediction"]["people_in_cohort"] == 300
    chosen = national[national["person_id"].isin(ids)]
    assert r["prediction"]["local"]["actual"] == pytest.approx(chosen["reoffended"].mean())
    assert r["prediction"]["local_frequency"]["actual"] == pytest.approx(chosen["reoffences"].mean())


def test_matched_comparison_on_a_null_and_a_planted_cohort(national):
    """The matched view of null draws finds nothing (a 95% interval may miss zero by chance: at most one of
    five here); with 35% of people kept from reoffending it finds the fall; under 60 people it declines to run."""
    from justicelab.local.matched import matched_comparison

    misses = 0
    for seed in range(11, 16):
        rng = np.random.default_rng(seed)
        local = rng.random(len(national)) < 0.1
        model = fit_model(national[~local])
        null = matched_comparison(model, national, local)["reoffended"]
        misses += not null["ci_low"] <= 0 <= null["ci_high"]
        assert null["treated_value"] == pytest.approx(national.loc[local, "reoffended"].mean(), abs=0.02)
    assert misses <= 1
    kept = rng.random(len(national)) >= 0.35
    planted = national.assign(reoffended=np.where(local & ~kept, 0, national["reoffended"]),
                              reoffences=np.where(local & ~kept, 0, national["reoffences"]))
    found = matched_comparison(model, planted, local)["reoffended"]
    assert found["ci_high"] < 0
    small = np.zeros(len(national), bool)
    small[:59] = True
    assert matched_comparison(model, national, small)["run"] is False


def test_predicted_vs_actual_is_withheld_for_a_small_group(db, national, tmp_path, capsys):
    """40 people of whom 5 reoffended: the rate would identify 5 people, so nothing about them is shown."""
    reoffenders = national[national["reoffended"] == 1]["person_id"].head(5).tolist()
    others = national[national["reoffended"] == 0]["person_id"].head(35).tolist()
    file = tmp_path / "small.csv"
    pd.DataFrame({"person_id": reoffenders + others}).to_csv(file, index=False)
    code, err = _run(["local", "report", "--db", str(db), "--people", str(file), "--by", "region",
                      "--from", "2019-01-01", "--to", "2019-12-31", "--out", str(tmp_path / "o"), "--no-pdf"], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "o" / "results.json").read_text())
    assert "local" not in r["prediction"] and "matched" not in r["prediction"]
    assert "[c]" in r["prediction"]["withheld"]
    assert "withheld" in (tmp_path / "o" / "local.html").read_text()
