"""Parity with MatchIt on its Lalonde data (tests/data/lalonde.csv; source in tests/data/README.md).

Reference: MatchIt's "Getting started" vignette (MatchIt 4.3, 2021), matchit(treat ~ age + educ +
race + married + nodegree + re74 + re75, data = lalonde, method = "nearest", distance = "glm"):
summary(m.out1, un = FALSE) and coeftest(lm(re78 ~ treat + covariates, weights), vcovCL, ~subclass).
Those printed figures are copied below as the independent reference.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from justicelab.matching import matchit
from justicelab.matching.outcomes import estimate

DATA = Path(__file__).resolve().parent / "data" / "lalonde.csv"
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]

# variable: (mean treated, mean control, std. mean diff, var ratio, eCDF mean, eCDF max), after matching
VIGNETTE = {
    "distance": (0.5774, 0.3629, 0.9739, 0.7566, 0.1321, 0.4216),
    "age": (25.8162, 25.3027, 0.0718, 0.4568, 0.0847, 0.2541),
    "educ": (10.3459, 10.6054, -0.1290, 0.5721, 0.0239, 0.0757),
    "race: black": (0.8432, 0.4703, 1.0259, None, 0.3730, 0.3730),
    "race: hispan": (0.0595, 0.2162, -0.6629, None, 0.1568, 0.1568),
    "race: white": (0.0973, 0.3135, -0.7296, None, 0.2162, 0.2162),
    "married": (0.1892, 0.2108, -0.0552, None, 0.0216, 0.0216),
    "nodegree": (0.7081, 0.6378, 0.1546, None, 0.0703, 0.0703),
    "re74": (2095.5737, 2342.1076, -0.0505, 1.3289, 0.0469, 0.2757),
    "re75": (1532.0553, 1614.7451, -0.0257, 1.4956, 0.0452, 0.2054),
}


@pytest.fixture(scope="module")
def lalonde():
    if not DATA.exists():
        pytest.fail(f"reference data missing: {DATA}")
    return pd.read_csv(DATA).drop(columns=["Unnamed: 0"], errors="ignore")


# settings -> (controls matched, treated matched, ATT, cluster SE or None), MatchIt 4.7.2
MATCHIT_472 = [
    ({}, 185, 185, 894.3675, 705.2298),
    ({"replace": True}, 82, 185, 1991.6153, None),
    ({"replace": True, "ratio": 3}, 153, 185, 1573.7489, None),
    ({"caliper": 0.2}, 113, 113, 1571.7445, 1010.9480),
]


@pytest.mark.parametrize("settings, n_control, n_treated, att, se", MATCHIT_472)
def test_current_matchit_counts_att_and_se(lalonde, settings, n_control, n_treated, att, se):
    m = matchit(lalonde, "treat", COVS, distance="ps", **settings)  # default tie rule: MatchIt 4.5+
    counts = m.counts()
    assert counts.loc["matched"].tolist() == [n_control, n_treated]
    est = estimate(m.matched_data(), "re78", treatment="treat", se="cluster")
    assert est.difference == pytest.approx(att, abs=5e-5)
    if se is not None:
        assert est.se == pytest.approx(se, abs=5e-5)


def test_identical_covariate_rows_get_identical_scores(lalonde):
    m = matchit(lalonde, "treat", COVS, distance="ps")
    key = lalonde[COVS].astype(str).agg("|".join, axis=1)
    spread = pd.Series(m.distance).groupby(key.to_numpy()).agg(lambda s: s.nunique())
    assert (spread == 1).all()
    assert len(np.unique(m.distance)) == key.nunique() == 573  # R's count of distinct scores


@pytest.fixture(scope="module")
def nn(lalonde):
    return matchit(lalonde, "treat", COVS, distance="ps", ties="data")  # MatchIt <= 4.4, the vignette


def test_balance_table_equals_matchit_vignette(nn):
    table = nn.summary()
    cols = ["mean_treated_after", "mean_comparison_after", "smd_after", "var_ratio_after",
            "ecdf_mean_after", "ecdf_max_after"]
    for var, expected in VIGNETTE.items():
        got = table.loc[var, cols].to_numpy(dtype=float)
        for g, e, col in zip(got, expected, cols):
            if e is None:
                assert np.isnan(g), (var, col)
            else:
                # the distance row differs in the 4th decimal where R's and statsmodels' scores tie differently
                tol = 5e-4 if var == "distance" else 6e-5 * max(1, abs(e))
                assert g == pytest.approx(e, abs=tol), (var, col, g, e)


def test_sample_sizes_equal_matchit(nn):
    counts = nn.counts()
    assert counts.loc["all"].tolist() == [429, 185]
    assert counts.loc["matched"].tolist() == [185, 185]
    assert counts.loc["unmatched"].tolist() == [244, 0]
    assert counts.loc["discarded"].tolist() == [0, 0]
    md = nn.matched_data()
    assert md["subclass"].nunique() == 185 and (md.groupby("subclass").size() == 2).all()
    assert (md["weights"] == 1).all()


def test_effect_and_cluster_se_equal_matchit_coeftest(nn):
    md = nn.matched_data()
    fit = smf.wls("re78 ~ treat + age + educ + race + married + nodegree + re74 + re75", md,
                  weights=md["weights"]).fit(cov_type="cluster", cov_kwds={"groups": md["subclass"]})
    assert fit.params["treat"] == pytest.approx(1344.9, abs=0.05)  # printed 1.3449e+03
    assert fit.bse["treat"] == pytest.approx(730.84, abs=0.005)  # printed 7.3084e+02


def test_unadjusted_estimate_is_the_difference_in_means_with_a_hand_computed_cr1(nn):
    md = nn.matched_data()
    est = estimate(md, "re78", se="cluster")
    t = md["treat"].to_numpy() == 1
    y = md["re78"].to_numpy()
    assert est.difference == pytest.approx(y[t].mean() - y[~t].mean(), rel=1e-12)
    # CR1 by hand: pairs are the clusters; the model is y = a + b t
    X = np.column_stack([np.ones(len(y)), t.astype(float)])
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ beta
    bread = np.linalg.inv(X.T @ X)
    g = md["subclass"].to_numpy()
    scores = np.array([(X[g == k] * e[g == k, None]).sum(0) for k in np.unique(g)])
    G, n, k = len(scores), len(y), 2
    V = bread @ scores.T @ scores @ bread * G / (G - 1) * (n - 1) / (n - k)
    assert est.se == pytest.approx(np.sqrt(V[1, 1]), rel=1e-10)
    assert est.n_treated == 185 and est.n_comparison == 185


def test_with_replacement_follows_matchit_weight_rule(lalonde):
    r = matchit(lalonde, "treat", COVS, distance="ps", replace=True, ties="data")
    ps = r.distance
    t = lalonde["treat"].to_numpy() == 1
    controls = np.flatnonzero(~t)
    # independent brute force: each treated unit's nearest control (earliest row on ties)
    nearest = np.array([controls[np.argmin(np.abs(ps[controls] - ps[i]))] for i in np.flatnonzero(t)])
    uses = pd.Series(nearest).value_counts()
    w = r.weights
    assert (w[t] == 1).all()
    assert set(np.flatnonzero(w[~t] > 0) + 0) == set(np.searchsorted(np.flatnonzero(~t), uses.index))
    expected = np.zeros(len(w))
    expected[uses.index] = uses.to_numpy() * len(uses) / uses.sum()  # counts scaled to sum to #controls
    assert np.allclose(w[~t], expected[~t])
    y = lalonde["re78"].to_numpy()
    att = y[t].mean() - np.average(y[uses.index], weights=uses.to_numpy())
    est = estimate(r.get_matches(), "re78", se="two-way")
    assert est.difference == pytest.approx(att, rel=1e-10)
    assert est.n_comparison == len(uses)
