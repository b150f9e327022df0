"""The robustness pack, each piece against an independent reference: hand formulas, published worked
examples, brute force and simulations with a known truth."""
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import mahalanobis

from justicelab.errors import JusticeLabError
from justicelab.matching import matchit
from justicelab.matching.effects import g_computation
from justicelab.matching.outcomes import estimate
from justicelab.matching.sensitivity import (e_value, gamma_at_loss, mcnemar_upper_p, rosenbaum_pairs,
                                             signed_rank_upper_p, weighted_risk_ratio)

LALONDE = Path(__file__).resolve().parent / "data" / "lalonde.csv"
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]


# ---- E-values -------------------------------------------------------------------------------------------

def test_e_value_reproduces_vanderweele_ding_worked_example():
    # VanderWeele & Ding (2017, Ann Intern Med): RR 3.9 (95% CI 1.8 to 8.7) -> E-values 7.26 and 3.0
    out = e_value(3.9, 1.8, 8.7)
    assert out["e_value"] == pytest.approx(7.26, abs=0.005)
    assert out["e_value_ci"] == pytest.approx(3.0, abs=0.005)


def test_e_value_for_a_protective_ratio_and_an_interval_through_one():
    out = e_value(0.8, 0.7, 0.95)  # 1/0.8 = 1.25 -> 1.25 + sqrt(1.25 * 0.25); limit nearer 1: 0.95
    assert out["e_value"] == pytest.approx(1.25 + math.sqrt(1.25 * 0.25), rel=1e-12)
    r = 1 / 0.95
    assert out["e_value_ci"] == pytest.approx(r + math.sqrt(r * (r - 1)), rel=1e-12)
    assert e_value(0.8, 0.6, 1.1)["e_value_ci"] == 1.0
    with pytest.raises(JusticeLabError):
        e_value(0.0)


def test_weighted_risk_ratio_equals_katz_interval_with_unit_weights():
    y = np.r_[np.ones(30), np.zeros(70), np.ones(45), np.zeros(55)]
    t = np.r_[np.ones(100), np.zeros(100)].astype(bool)
    rr, lo, hi = weighted_risk_ratio(y, t, np.ones(200))
    p1, p0 = 0.30, 0.45
    se = math.sqrt((1 - p1) / (100 * p1) + (1 - p0) / (100 * p0))  # Katz's log-RR standard error
    assert rr == pytest.approx(p1 / p0)
    assert lo == pytest.approx(p1 / p0 * math.exp(-1.959964 * se), rel=1e-6)
    assert hi == pytest.approx(p1 / p0 * math.exp(1.959964 * se), rel=1e-6)


# ---- Rosenbaum bounds -----------------------------------------------------------------------------------

def test_mcnemar_bound_by_hand_and_at_gamma_one_the_sign_test():
    # 20 discordant pairs, 16 in favour of the effect: P(Bin(20, p) >= 16), p = Gamma / (1 + Gamma)
    def by_hand(p):
        return sum(math.comb(20, k) * p ** k * (1 - p) ** (20 - k) for k in range(16, 21))

    assert mcnemar_upper_p(20, 16, 1.0) == pytest.approx(by_hand(0.5), rel=1e-12)
    assert mcnemar_upper_p(20, 16, 2.0) == pytest.approx(by_hand(2 / 3), rel=1e-12)
    assert mcnemar_upper_p(20, 16, 1.0) == pytest.approx(stats.binomtest(16, 20, 0.5, "greater").pvalue)


def test_gamma_at_loss_in_closed_form_cases():
    # all D discordant pairs in favour: bound p^D = alpha -> Gamma = a / (1 - a), a = alpha^(1/D)
    a = 0.05 ** (1 / 10)
    g = gamma_at_loss(lambda gam: mcnemar_upper_p(10, 10, gam))
    assert g == pytest.approx(a / (1 - a), rel=1e-5)
    # all S = 10 differences positive: T = 55, sum of squared ranks 385; z = T sqrt(1/Gamma) / sqrt(385)
    g = gamma_at_loss(lambda gam: signed_rank_upper_p(np.arange(1, 11.0), gam))
    assert g == pytest.approx(55 ** 2 / (stats.norm.ppf(0.95) ** 2 * 385), rel=1e-5)
    assert gamma_at_loss(lambda gam: mcnemar_upper_p(10, 5, gam)) is None  # not significant to begin with


def test_signed_rank_bound_at_gamma_one_is_wilcoxons_test():
    rng = np.random.default_rng(5)
    d = np.round(rng.normal(0.4, 1, 40), 1)  # ties and zeros included
    ref = stats.wilcoxon(d, alternative="greater", method="approx", correction=False, zero_method="wilcox")
    assert signed_rank_upper_p(d, 1.0) == pytest.approx(ref.pvalue, rel=1e-9)
    assert signed_rank_upper_p(d, 2.0) > signed_rank_upper_p(d, 1.0)


def test_rosenbaum_pairs_counts_the_pairs_in_favour():
    treated = np.array([0, 0, 0, 1, 0, 1, 0, 0])
    control = np.array([1, 1, 0, 1, 1, 0, 1, 1])
    out = rosenbaum_pairs(treated, control, binary=True)  # less reoffending is the effect
    assert out["discordant_pairs"] == 6 and out["pairs_in_favour"] == 5
    assert out["p_value_gamma_1"] == pytest.approx(7 / 64)  # P(Bin(6, 1/2) >= 5) = (6 + 1) / 64


# ---- regression adjustment (g-computation) --------------------------------------------------------------

@pytest.fixture(scope="module")
def lalonde():
    return pd.read_csv(LALONDE).drop(columns=["Unnamed: 0"], errors="ignore")


def test_g_computation_without_covariates_is_the_matched_difference(lalonde):
    md = matchit(lalonde, "treat", COVS, distance="ps").matched_data()
    dr = g_computation(md, "re78", [], treatment="treat")
    plain = estimate(md, "re78", treatment="treat", se="cluster")
    assert dr.difference == pytest.approx(plain.difference, rel=1e-10)
    assert dr.se == pytest.approx(plain.se, rel=1e-10)  # both CR1 on the pairs (hand-checked elsewhere)
    assert dr.ci_low == pytest.approx(plain.ci_low, rel=1e-10)


def test_g_computation_with_one_binary_covariate_is_the_stratified_difference():
    # saturated model: the ATT is sum over strata of (treated share) x (difference in means)
    rng = np.random.default_rng(2)
    n = 400
    x = rng.integers(0, 2, n)
    t = (rng.random(n) < 0.3 + 0.3 * x).astype(int)
    y = 1 + 2 * x + t * (1 + 3 * x) + rng.normal(size=n)
    df = pd.DataFrame({"x": x, "treat": t, "y": y, "weights": 1.0, "subclass": np.arange(n)})
    dr = g_computation(df, "y", ["x"], treatment="treat")
    hand = sum((t[x == s] == 1).sum() / (t == 1).sum() * (y[(x == s) & (t == 1)].mean() - y[(x == s) & (t == 0)].mean())
               for s in (0, 1))
    assert dr.difference == pytest.approx(hand, rel=1e-10)
    hand_atc = sum((t[x == s] == 0).sum() / (t == 0).sum() * (y[(x == s) & (t == 1)].mean()
                                                               - y[(x == s) & (t == 0)].mean()) for s in (0, 1))
    assert g_computation(df, "y", ["x"], treatment="treat", estimand="ATC").difference == pytest.approx(hand_atc)


def test_g_computation_recovers_a_known_effect_when_matching_leaves_imbalance():
    rng = np.random.default_rng(8)
    n = 6000
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    t = (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + x1 + 0.5 * x2)))).astype(int)
    effect = 1 + 0.5 * x1  # heterogeneous: the ATT is 1 + 0.5 E[x1 | treated]
    y = 2 + 1.5 * x1 - x2 + t * effect + rng.normal(size=n)
    df = pd.DataFrame({"x1": x1, "x2": x2, "treat": t, "y": y})
    md = matchit(df, "treat", ["x1"], replace=True).matched_data()  # x2 left out of the matching
    dr = g_computation(md, "y", ["x1", "x2"], treatment="treat", cluster=None)
    att = float(np.mean(effect[t == 1]))
    assert abs(dr.difference - att) < 3 * dr.se
    assert abs(estimate(md, "y", treatment="treat", se="hc1").difference - att) > 3 * dr.se  # unadjusted is off


# ---- estimands, subclassification, Mahalanobis ----------------------------------------------------------

def test_atc_matches_the_comparison_group_as_if_it_were_treated(lalonde):
    atc = matchit(lalonde, "treat", COVS, distance="ps", estimand="ATC", replace=True)
    flipped = lalonde.assign(treat=1 - lalonde["treat"])
    mirror = matchit(flipped, "treat", COVS, distance=atc.distance, replace=True)
    assert atc.matches == mirror.matches
    assert np.allclose(atc.weights, mirror.weights)
    t = lalonde["treat"].to_numpy() == 1
    assert (atc.weights[~t] == 1).all() and atc.counts().loc["matched", "Control"] == 429


def test_subclass_weights_by_hand():
    # ATT, 2 subclasses cut at the treated median (0.5): subclass 1 = [0, 0.5), subclass 2 = [0.5, 1]
    d = np.array([0.2, 0.4, 0.6, 0.8, 0.1, 0.3, 0.35, 0.7, 0.9])
    df = pd.DataFrame({"treat": [1, 1, 1, 1, 0, 0, 0, 0, 0]})
    m = matchit(df, "treat", [], distance=d, method="subclass", subclass=2)
    # subclass 1: 2 treated, 3 controls -> controls 2/3; subclass 2: 2 treated, 2 controls -> 1; scaled so
    # control weights sum to 5 (their number): raw sum 2 + 2 = 4 -> x 5/4
    assert m.weights[:4].tolist() == [1, 1, 1, 1]
    assert np.allclose(m.weights[4:], np.array([2 / 3, 2 / 3, 2 / 3, 1, 1]) * 5 / 4)
    ate = matchit(df, "treat", [], distance=d, method="subclass", subclass=2, estimand="ATE")
    # ATE cuts at the median of everyone (0.4): {0.1,0.2,0.3,0.35} and {0.4,...}: 1 treated 3 controls; 3 and 2
    assert np.allclose(ate.weights, [1 + 3, 1 + 2 / 3, 1 + 2 / 3, 1 + 2 / 3, 1 + 1 / 3, 1 + 1 / 3, 1 + 1 / 3,
                                     1 + 3 / 2, 1 + 3 / 2])


def test_subclass_short_of_controls_takes_the_nearest_from_a_neighbour_by_hand():
    """MatchIt's min.n = 1 (its default): worked by hand from its documented rule."""
    # ATT, 2 subclasses cut at the treated median 0.4: every control falls below it
    d = np.array([0.1, 0.2, 0.6, 0.7, 0.05, 0.15, 0.3, 0.35])
    df = pd.DataFrame({"treat": [1, 1, 1, 1, 0, 0, 0, 0]})
    m = matchit(df, "treat", [], distance=d, method="subclass", subclass=2)
    # the control nearest the empty subclass (0.35) moves up: 2 treated / 3 controls below, 2 / 1 above;
    # control weights already sum to their number (4)
    assert m.weights.tolist() == pytest.approx([1, 1, 1, 1, 2 / 3, 2 / 3, 2 / 3, 2])
    assert m.subclass[-1] == m.subclass[2] != m.subclass[-2]
    dropped = matchit(df, "treat", [], distance=d, method="subclass", subclass=2, min_n=0)
    assert dropped.weights.tolist() == pytest.approx([1, 1, 0, 0, 1, 1, 1, 1])  # min.n = 0: the subclass is left out
    # a middle subclass without controls, with as many to spare on each side: the rule takes from below,
    # the control with the largest distance there (0.2); quantiles of 0.1..0.6 (type 7) cut at 0.267, 0.433
    d = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.05, 0.15, 0.2, 0.55, 0.8, 0.9])
    df = pd.DataFrame({"treat": [1] * 6 + [0] * 6})
    m = matchit(df, "treat", [], distance=d, method="subclass", subclass=3)
    assert m.weights[6:].tolist() == pytest.approx([1, 1, 2, 2 / 3, 2 / 3, 2 / 3])
    with pytest.raises(JusticeLabError, match="not enough comparison"):
        matchit(df.iloc[:8], "treat", [], distance=d[:8], method="subclass", subclass=3)


def test_subclassification_estimates_the_ate_and_att_of_a_known_truth():
    rng = np.random.default_rng(4)
    n = 40_000
    x = rng.normal(size=n)
    t = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + x)))).astype(int)
    y = x + t * (1 + x) + rng.normal(size=n)  # effect 1 + x: ATE 1, ATT 1 + E[x | treated]
    df = pd.DataFrame({"x": x, "treat": t, "y": y})
    for estimand, truth in (("ATE", 1.0), ("ATT", 1 + x[t == 1].mean())):
        m = matchit(df, "treat", ["x"], method="subclass", subclass=20, estimand=estimand)
        md = m.matched_data()
        diff = estimate(md, "y", treatment="treat", se="hc1").difference
        assert diff == pytest.approx(truth, abs=0.06), estimand
    with pytest.raises(JusticeLabError, match="ATE"):
        matchit(df, "treat", ["x"], estimand="ATE")


def test_mahvars_match_on_mahalanobis_distance_within_the_score_caliper(lalonde):
    mv = ["age", "educ", "re74", "re75"]
    m = matchit(lalonde, "treat", COVS, distance="ps", caliper=0.1, mahvars=mv)
    t = lalonde["treat"].to_numpy() == 1
    X = lalonde[mv].to_numpy(float)
    Z = (X - X.mean(0)) / X.std(0, ddof=1)
    pooled = sum(np.cov(Z[g], rowvar=False) * (g.sum() - 1) for g in (t, ~t)) / (len(Z) - 2)
    VI = np.linalg.inv(pooled)
    cal = 0.1 * np.std(m.distance, ddof=1)
    # brute force, greedy by largest score first, earliest row on ties
    available = set(np.flatnonzero(~t))
    expected = {}
    for i in sorted(np.flatnonzero(t), key=lambda i: (-m.distance[i], i)):
        cands = [c for c in sorted(available) if abs(m.distance[c] - m.distance[i]) <= cal]
        if cands:
            best = min(cands, key=lambda c: (mahalanobis(Z[i], Z[c], VI), c))
            expected[int(i)] = [int(best)]
            available.discard(best)
    assert m.matches == expected
    assert m.counts().loc["matched", "Treated"] == len(expected) < 185


def test_g_computation_se_equals_statsmodels_sandwich_with_covariates(lalonde):
    import statsmodels.formula.api as smf

    md = matchit(lalonde, "treat", COVS, distance="ps").matched_data()
    dr = g_computation(md, "re78", ["age", "educ", "re74"], treatment="treat")
    fit = smf.wls("re78 ~ treat * (age + educ + re74)", md, weights=md["weights"]).fit(
        cov_type="cluster", cov_kwds={"groups": md["subclass"]})
    t1 = md[md["treat"] == 1]
    g = pd.Series(0.0, index=fit.params.index)  # d/d beta of the mean over treated of x(1) - x(0)
    g["treat"] = 1.0
    for c in ("age", "educ", "re74"):
        g[f"treat:{c}"] = t1[c].mean()
    assert dr.difference == pytest.approx(float(g @ fit.params), rel=1e-9)
    assert dr.se == pytest.approx(float(np.sqrt(g @ fit.cov_params() @ g)), rel=1e-9)


def test_robustness_summary_for_kernel_weighting_and_its_report_annex():
    from jinja2 import Environment, PackageLoader

    from justicelab.matching.robustness import robustness_summary
    from justicelab.matching.validation import _draw

    d = _draw(np.random.default_rng(3), 3000)
    m = matchit(d, "treat", ["x1", "x2", "x3"], method="kernel", caliper=0.1)
    r = robustness_summary(m, {"rate": "rate", "frequency": "count"}, "rate")
    md = m.matched_data()
    rr, lo, hi = weighted_risk_ratio(md["rate"], md["treat"] == 1, md["weights"])
    assert r["e_value"]["e_value"] == pytest.approx(e_value(rr)["e_value"])
    assert r["regression_adjusted"]["rate"]["se_method"].startswith("heteroskedasticity-robust")
    pairs = matchit(d, "treat", ["x1", "x2", "x3"], distance=m.distance, caliper=0.2)
    assert r["rosenbaum"]["pairs"] == len(pairs.matches)
    assert len(r["sentences"]) == 4
    html = Environment(loader=PackageLoader("justicelab.report", "templates")).get_template(
        "_robustness.html.j2").render(national={"robustness": r, "se_method": "robust (HC1)"})
    assert "E-value" in html and "Rosenbaum" in html and "doubly robust" in html
    assert Environment(loader=PackageLoader("justicelab.report", "templates")).get_template(
        "_robustness.html.j2").render(national={}).strip().startswith("{#") is False
