"""Matching methods, weights, balance, estimates and power on examples small enough to work by hand."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from justicelab.errors import JusticeLabError
from justicelab.matching import PropensityModel, balance_table, matchit, select_covariates
from justicelab.matching.outcomes import estimate
from justicelab.matching.power import required_treated_size, required_treated_size_for_rates


def frame(treated, controls, **extra):
    """Rows with a given distance: treated first, then controls."""
    d = list(treated) + list(controls)
    t = [1] * len(treated) + [0] * len(controls)
    return pd.DataFrame({"treat": t, "d": d, **extra}), np.array(d, float)


def pairs(result):
    return {int(t): [int(c) for c in cs] for t, cs in result.matches.items()}


def test_greedy_largest_first_without_replacement():
    # treated 0.9 chooses first and takes the 0.85 control; treated 0.8 must take 0.5
    df, d = frame([0.8, 0.9], [0.85, 0.5])
    r = matchit(df, "treat", ["d"], distance=d)
    assert pairs(r) == {1: [2], 0: [3]}
    r = matchit(df, "treat", ["d"], distance=d, order="smallest")  # now 0.8 takes 0.85 first
    assert pairs(r) == {0: [2], 1: [3]}


def test_caliper_leaves_a_treated_unit_unmatched():
    df, d = frame([0.8, 0.9], [0.85, 0.5])
    sd = np.std(d, ddof=1)
    r = matchit(df, "treat", ["d"], distance=d, caliper=0.2 / sd)  # radius 0.2 in distance units
    assert pairs(r) == {1: [2]}
    assert r.counts().loc["unmatched", "Treated"] == 1


def test_with_replacement_ratio_two_weights_by_matchit_rule():
    # T1 at 0.50 -> controls 0.49 (C1) and 0.53 (C2); T2 at 0.56 -> 0.55 (C3) and 0.53 (C2)
    df, d = frame([0.50, 0.56], [0.49, 0.53, 0.55, 0.90])
    r = matchit(df, "treat", ["d"], distance=d, ratio=2, replace=True)
    assert pairs(r) == {0: [2, 3], 1: [4, 3]}
    raw = {2: 0.5, 3: 1.0, 4: 0.5}  # each treated gives 1/2 to each of its two controls
    scale = 3 / sum(raw.values())  # scaled so control weights sum to the 3 matched controls
    assert r.weights[[2, 3, 4, 5]].tolist() == pytest.approx([raw[2] * scale, raw[3] * scale, raw[4] * scale, 0])
    assert r.weights[[0, 1]].tolist() == [1, 1]


def test_exact_strata_forbid_closer_controls_elsewhere():
    df, d = frame([0.5], [0.51, 0.8], region=["North", "South", "North"])
    r = matchit(df, "treat", ["d"], distance=d, exact=["region"])
    assert pairs(r) == {0: [2]}


def test_common_support_discards_outside_the_overlap():
    df, d = frame([0.3, 0.95], [0.2, 0.4, 0.6])
    r = matchit(df, "treat", ["d"], distance=d, discard="both")
    assert r.discarded.tolist() == [False, True, True, False, False]  # 0.95 > max control; 0.2 < min treated


def test_ties_rule_data_takes_the_earliest_row_and_left_takes_the_left_neighbour():
    # two controls equally far: 0.4 (row 1) on the left and 0.6 (row 2) on the right of treated 0.5;
    # and two controls at the same distance 0.4: rows 1 and 3
    df, d = frame([0.5], [0.4, 0.6, 0.4])
    assert pairs(matchit(df, "treat", ["d"], distance=d, ties="data")) == {0: [1]}
    assert pairs(matchit(df, "treat", ["d"], distance=d, ties="left")) == {0: [3]}


def test_radius_and_kernel_weights_by_hand():
    df, d = frame([0.50, 0.60], [0.45, 0.55, 0.70, 0.90])
    sd = np.std(d, ddof=1)
    r = matchit(df, "treat", ["d"], distance=d, method="radius", caliper=0.1 / sd)
    # T 0.50 covers 0.45, 0.55; T 0.60 covers 0.55, 0.70 (|0.1| is inside): 1/2 each
    raw = np.array([0.5, 1.0, 0.5, 0.0])
    assert r.weights[2:] == pytest.approx(raw * 3 / raw.sum())
    k = matchit(df, "treat", ["d"], distance=d, method="kernel", caliper=0.1 / sd)
    def K(u):
        return max(0.0, 1 - u * u)
    raw = np.zeros(4)
    for t in (0.50, 0.60):
        ks = np.array([K((c - t) / 0.1) for c in (0.45, 0.55, 0.70, 0.90)])
        raw += ks / ks.sum()
    assert k.weights[2:] == pytest.approx(raw * (raw > 1e-12).sum() / raw.sum(), abs=1e-9)
    assert k.weights[4] == pytest.approx(0.0, abs=1e-9)  # on the edge of the kernel: weight zero


def test_balance_statistics_by_hand():
    df = pd.DataFrame({"treat": [1, 1, 1, 0, 0, 0], "x": [1.0, 2.0, 6.0, 1.0, 3.0, 5.0],
                       "b": [1, 1, 0, 0, 1, 0]})
    w = np.array([1, 1, 1, 2, 1, 0.0])
    table = balance_table(df, "treat", ["x", "b"], w)
    sd = np.std([1.0, 2.0, 6.0], ddof=1)
    mean_c = (2 * 1 + 1 * 3) / 3
    assert table.loc["x", "smd_after"] == pytest.approx((3 - mean_c) / sd)
    assert table.loc["x", "smd_before"] == pytest.approx((3 - 3) / sd)
    p = 2 / 3
    assert table.loc["b", "smd_after"] == pytest.approx((p - 1 / 3) / math.sqrt(p * (1 - p)))
    # weighted variance of comparison x (values 1,1 weight 2 and 3 weight 1): unbiased with weights
    wc, xc = np.array([2.0, 1.0]), np.array([1.0, 3.0])
    m = np.average(xc, weights=wc)
    vc = np.sum(wc * (xc - m) ** 2) / (wc.sum() - np.sum(wc ** 2) / wc.sum())
    assert table.loc["x", "var_ratio_after"] == pytest.approx(np.var([1.0, 2.0, 6.0], ddof=1) / vc)
    assert table.sample_sizes["comparison_ess"] == pytest.approx(9 / 5)
    assert table.loc["x", "label_after"] == "poorly matched"


def test_standardised_differences_follow_the_estimand_by_hand():
    """MatchIt's denominators: the comparison group's SD for the ATC, the root mean of the two variances
    for the ATE (full sample, before matching)."""
    df = pd.DataFrame({"treat": [1, 1, 1, 0, 0, 0], "x": [1.0, 2.0, 6.0, 1.0, 3.0, 5.0],
                       "b": [1, 1, 0, 0, 1, 0]})
    w = np.array([1, 1, 1, 2, 1, 0.0])
    mean_c = (2 * 1 + 1 * 3) / 3
    atc = balance_table(df, "treat", ["x", "b"], w, estimand="ATC")
    assert atc.loc["x", "smd_after"] == pytest.approx((3 - mean_c) / 2.0)  # SD of 1, 3, 5 is 2
    assert atc.loc["b", "smd_after"] == pytest.approx((2 / 3 - 1 / 3) / math.sqrt(1 / 3 * 2 / 3))
    ate = balance_table(df, "treat", ["x", "b"], w, estimand="ATE")
    pooled = math.sqrt((7.0 + 4.0) / 2)  # variances 7 (1, 2, 6) and 4 (1, 3, 5)
    assert ate.loc["x", "smd_after"] == pytest.approx((3 - mean_c) / pooled)
    assert ate.loc["x", "smd_before"] == pytest.approx(0.0)


def test_propensity_errors_name_the_column():
    df = pd.DataFrame({"treat": [1, 0, 1, 0, 1, 0], "age": [20, 30, np.nan, 40, 22, 31],
                       "k": [1, 1, 1, 1, 1, 1], "grp": ["a", "b", "a", "b", "c", "b"]})
    with pytest.raises(JusticeLabError, match="'age' has 1 missing values \\(first at row 3\\)"):
        PropensityModel(["age"]).fit(df, "treat")
    with pytest.raises(JusticeLabError, match="'k' is constant"):
        PropensityModel(["k"]).fit(df, "treat")
    with pytest.raises(JusticeLabError, match="'grp'.*predicts treatment perfectly"):
        PropensityModel(["grp"]).fit(df, "treat")
    with pytest.raises(JusticeLabError, match="not in the data"):
        PropensityModel(["nope"]).fit(df, "treat")


def test_propensity_matches_a_plain_logistic_fit_and_supports_terms():
    rng = np.random.default_rng(3)
    n = 800
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
    lin = -0.3 + 0.8 * df["x"] + 0.5 * (df["g"] == "b") - 0.4 * df["x"] ** 2
    df["treat"] = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
    res = PropensityModel(["x", "g"], squares=["x"], interactions=[("x", "g")]).fit(df, "treat")
    import statsmodels.formula.api as smf
    ref = smf.logit("treat ~ x + C(g) + I(x**2) + x:C(g)", df).fit(disp=0)
    assert np.allclose(res.score, ref.predict(df), atol=1e-8)
    assert res.params["x^2"] == pytest.approx(ref.params["I(x ** 2)"], rel=1e-6)


def test_variable_selection_keeps_p_below_threshold():
    rng = np.random.default_rng(0)
    n = 400
    t = np.r_[np.ones(n), np.zeros(n)].astype(int)
    df = pd.DataFrame({"treat": t, "same": rng.normal(size=2 * n),
                       "differs": rng.normal(size=2 * n) + 0.5 * t,
                       "cat": np.where(rng.random(2 * n) < 0.3 + 0.3 * t, "y", "n")})
    sel = select_covariates(df, "treat", ["same", "differs", "cat"]).set_index("covariate")
    welch = stats.ttest_ind(df["same"][t == 1], df["same"][t == 0], equal_var=False).pvalue
    assert sel.loc["same", "p_value"] == pytest.approx(welch)
    assert sel.loc["differs", "selected"] and sel.loc["cat", "selected"]
    assert sel.loc["same", "selected"] == (welch < 0.2)


def test_hc1_and_withholding():
    df = pd.DataFrame({"treat": [1, 1, 1, 0, 0, 0, 0], "y": [1.0, 0, 1, 0, 0, 1, 0],
                       "weights": [1, 1, 1, 0.5, 1, 1.5, 1], "subclass": [0, 1, 2, 0, 1, 2, 2]})
    est = estimate(df, "y", se="hc1")
    t = df["treat"].to_numpy() == 1
    w, y = df["weights"].to_numpy(), df["y"].to_numpy()
    diff = y[t].mean() - np.average(y[~t], weights=w[~t])
    assert est.difference == pytest.approx(diff)
    X = np.column_stack([np.ones(7), t.astype(float)])
    beta = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (w * y))
    e = y - X @ beta
    bread = np.linalg.inv(X.T @ (w[:, None] * X))
    meat = (X * (w * e)[:, None]).T @ (X * (w * e)[:, None])
    V = bread @ meat @ bread * 7 / (7 - 2)
    assert est.se == pytest.approx(math.sqrt(V[1, 1]))
    held = estimate(df, "y", se="hc1", min_treated=30)
    assert held.withheld and held.difference is None and "fewer than 30" in held.withheld


def test_power_formula_by_hand_and_by_simulation():
    # by hand: p_t = 0.30, p_c = 0.40, unlimited comparison group, alpha 0.05, power 0.8
    a = (1.959963984540054 + 0.8416212335729143) ** 2
    assert required_treated_size_for_rates(0.30, 0.40) == math.ceil(a * 0.21 / 0.01)
    # a finite comparison group needs more treated people
    assert required_treated_size_for_rates(0.30, 0.40, n_comparison=500) > required_treated_size_for_rates(0.30, 0.40)
    assert required_treated_size(1.0, 1.0, 0.05, n_comparison=100) is None  # comparison noise alone too large
    # simulation: at that size the two-sided z-test detects the difference about 80% of the time
    n_t, n_c = required_treated_size_for_rates(0.30, 0.40, n_comparison=5000), 5000
    rng = np.random.default_rng(42)
    reps = 4000
    pt = rng.binomial(n_t, 0.30, reps) / n_t
    pc = rng.binomial(n_c, 0.40, reps) / n_c
    se = np.sqrt(pt * (1 - pt) / n_t + pc * (1 - pc) / n_c)
    power = np.mean(np.abs(pt - pc) / se > 1.959963984540054)
    assert 0.77 < power < 0.83


def test_love_plot_writes_an_image(tmp_path):
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"x": rng.normal(size=300), "g": rng.choice(["a", "b"], 300)})
    df["treat"] = (rng.random(300) < 1 / (1 + np.exp(-(df["x"] - 1)))).astype(int)
    m = matchit(df, "treat", ["x", "g"], caliper=0.25)
    path = m.love_plot(tmp_path / "love.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000
    table = m.summary()
    assert abs(table.loc["x", "smd_after"]) < abs(table.loc["x", "smd_before"])


def test_risk_set_alignment_by_hand():
    # treated A started 0 days after its index date, treated B 30 days after (so B had not reoffended by day 30);
    # control C reoffended on day 10: it may serve A but not B. Control D never reoffended: serves both.
    df = pd.DataFrame({"treat": [1, 1, 0, 0], "d": [0.50, 0.52, 0.51, 0.53],
                       "delay": [0, 30, np.nan, np.nan], "survival": [np.nan, np.nan, 10, np.nan]})
    d = df["d"].to_numpy()
    sd = np.std(d, ddof=1)
    r = matchit(df, "treat", ["d"], distance=d, method="radius", caliper=0.05 / sd, at_risk=("delay", "survival"))
    raw = np.array([0.5, 0.5 + 1.0])  # A splits between C and D; B goes wholly to D
    assert r.weights[2:] == pytest.approx(raw * 2 / raw.sum())
    plain = matchit(df, "treat", ["d"], distance=d, method="radius", caliper=0.05 / sd)
    assert plain.weights[2] == pytest.approx(plain.weights[3])  # without alignment C and D serve both alike
