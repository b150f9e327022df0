"""Contracts validate (with clear errors) and the probability of payment is checked two ways."""
from pathlib import Path

import pytest

from justicelab.errors import JusticeLabError
from justicelab.pbr.contract import load_contract
from justicelab.pbr.probability import minimum_detectable_reduction, simulate_payment_probability

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"


def test_worked_examples_validate():
    for name, kind in (("peterborough.yaml", "matched_comparison"), ("doncaster.yaml", "baseline_binary"),
                       ("probation_case_mix.yaml", "probation_case_mix")):
        contract, digest = load_contract(CONTRACTS / name)
        assert contract.type == kind and len(digest) == 64
    peterborough, _ = load_contract(CONTRACTS / "peterborough.yaml")
    assert peterborough.cohorts.size == 1000 and peterborough.comparison.ratio == 10
    assert (peterborough.payment.cohort_threshold, peterborough.payment.pooled_threshold) == (0.10, 0.075)


def test_bad_contracts_name_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((CONTRACTS / "peterborough.yaml").read_text().replace("ratio: 10", "ratio: ten"))
    with pytest.raises(JusticeLabError, match="comparison.ratio"):
        load_contract(bad)
    bad.write_text((CONTRACTS / "peterborough.yaml").read_text().replace("size: 1000", "size: 1000\n  period: year"))
    with pytest.raises(JusticeLabError, match="exactly one of size or period"):
        load_contract(bad)
    bad.write_text((CONTRACTS / "peterborough.yaml").read_text() + "surprise: 1\n")
    with pytest.raises(JusticeLabError, match="surprise"):
        load_contract(bad)


def test_probability_of_payment_agrees_with_the_normal_approximation():
    mdr = minimum_detectable_reduction(1000, 10, 1.55)
    # at a true reduction equal to the minimum detectable one, a one-sided test at 10% rejects 80% of the time;
    # the simulated reduction exceeds the critical value (mdr minus the power quantile's share) that often
    from scipy import stats
    crit = mdr * stats.norm.ppf(0.9) / (stats.norm.ppf(0.9) + stats.norm.ppf(0.8))
    sim = simulate_payment_probability([1000], 10, 1.55, mdr, cohort_threshold=crit, pooled_threshold=9.9,
                                       simulations=6000)
    assert 0.77 <= sim["p_each_cohort_pays"][0] <= 0.83
    # no effect: a 10% threshold is rarely met by chance; a big effect pays almost surely
    assert simulate_payment_probability([1000], 10, 1.55, 0.0)["p_each_cohort_pays"][0] < 0.03
    assert simulate_payment_probability([1000], 10, 1.55, 0.20)["p_each_cohort_pays"][0] > 0.97


BASE = (CONTRACTS / "peterborough.yaml").read_text()


@pytest.mark.parametrize("text, message", [
    ("just some words about a contract\n", "this file is plain text"),
    ("- name: a\n- type: b\n", "this file is a list"),
    (BASE.replace("released_to: 2018-12-31", "released_to: 2018-02-31"), r"line 13: '2018-02-31' is not a date"),
    (BASE.replace("cohort_threshold: 0.10", "cohort_threshold: 10"), r"payment.cohort_threshold \(line 26\): .*cannot be over 100%"),
    (BASE.replace("pooled_threshold: 0.075", "pooled_threshold: 0.075\n  cap: 1"), "duplicate key 'cap'"),
    (BASE.replace("cap: 8000000", "cap: -5"), r"payment.cap \(line 29\): .*greater than or equal to 0"),
    (BASE.replace("min_age: 18", "min_age: -1"), r"eligibility.min_age \(line 9\): .*greater than or equal to 0"),
], ids=["plain text", "yaml list", "31 February", "threshold over 100%", "duplicate key", "negative cap",
        "negative minimum age"])
def test_contract_problems_are_one_line_with_field_and_line(tmp_path, capsys, text, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(JusticeLabError, match=message) as caught:
        load_contract(bad)
    assert "\n" not in str(caught.value)
    from justicelab.cli import main

    assert main(["pbr-calc", str(bad), str(bad)]) == 2
    err = capsys.readouterr().err
    # one message (the console may wrap it at the terminal's width), no traceback
    assert "Traceback" not in err and err.count("error:") == 1 and str(caught.value)[-30:] in " ".join(err.split())


def test_chance_of_paying_with_no_effect_against_simulation():
    """A Doncaster-sized contract (300 releases a year, 35% reconvicted, 5-point threshold): the normal
    approximation against 20,000 simulated pairs of years with no change."""
    import numpy as np

    from justicelab.pbr.probability import chance_at_zero

    rng = np.random.default_rng(3)
    n, p = 300, 0.35
    fall = rng.binomial(n, p, 20000) / n - rng.binomial(n, p, 20000) / n
    se = np.sqrt(2 * p * (1 - p) / n)
    assert chance_at_zero(se, 0.05) == pytest.approx((fall >= 0.05).mean(), abs=0.015)
    assert 0.05 < chance_at_zero(se, 0.05) < 0.15  # about one year in ten pays by chance
    # a significance gate at 95% lifts the bar to 1.96 SE (7.6 points here)
    assert chance_at_zero(se, 0.05, 0.05) == pytest.approx((fall >= 1.96 * se).mean(), abs=0.01)
    # a price per outcome with no threshold and no gate pays half the time with no effect
    assert chance_at_zero(se, 0.0) == pytest.approx(0.5)
