"""Property tests of nearest-neighbour matching over random inputs (hypothesis), checked by brute force,
and the MatchIt rules for calipers after `discard` and for the logistic fit."""
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from justicelab.errors import JusticeLabError
from justicelab.matching import PropensityModel, matchit
from justicelab.matching.logistic import fit_logit, linear_predictor

# coarse distances (multiples of 0.25) make exact ties between controls, and between sides, common
distances = st.lists(st.integers(0, 8).map(lambda k: k / 4), min_size=1, max_size=25)


def _frame(treated, controls):
    d = np.array(list(treated) + list(controls), float)
    return pd.DataFrame({"treat": [1] * len(treated) + [0] * len(controls)}), d


@settings(max_examples=150, deadline=None)
@given(treated=distances, controls=distances, ratio=st.integers(1, 4), replace=st.booleans(),
       ties=st.sampled_from(["left", "data", "all"]), caliper=st.sampled_from([None, 0.3, 1.0]))
def test_a_control_never_appears_twice_in_one_match_set(treated, controls, ratio, replace, ties, caliper):
    if ties == "all" and not replace:
        ties = "left"
    df, d = _frame(treated, controls)
    m = matchit(df, "treat", [], distance=d, ratio=ratio, replace=replace, ties=ties, caliper=caliper)
    sd = np.std(d, ddof=1) if len(d) > 1 else np.nan
    used = []
    for t_row, c_rows in m.matches.items():
        assert len(c_rows) == len(set(c_rows)), (t_row, c_rows)
        assert all(d[c] is not None and df["treat"][c] == 0 for c in c_rows)
        if ties != "all":
            assert len(c_rows) <= ratio
        if caliper is not None:
            assert all(abs(d[c] - d[t_row]) <= caliper * sd + 1e-12 for c in c_rows)
        used += c_rows
    if not replace:
        assert len(used) == len(set(used))  # without replacement a control serves one treated person


@settings(max_examples=150, deadline=None)
@given(treated=distances, controls=distances, ratio=st.integers(1, 4), ties=st.sampled_from(["left", "data"]))
def test_with_replacement_each_treated_gets_its_k_nearest(treated, controls, ratio, ties):
    """Brute force: the gaps of a treated unit's matches are exactly its `ratio` smallest gaps."""
    df, d = _frame(treated, controls)
    m = matchit(df, "treat", [], distance=d, ratio=ratio, replace=True, ties=ties)
    c_rows = np.flatnonzero(df["treat"] == 0)
    for t_row in range(len(treated)):
        gaps = np.sort(np.abs(d[c_rows] - d[t_row]))[:ratio]
        got = np.sort([abs(d[c] - d[t_row]) for c in m.matches[t_row]])
        assert np.array_equal(got, gaps)
        if ties == "data":  # MatchIt <= 4.4: among equally close controls, the earliest rows
            order = sorted(c_rows, key=lambda c: (abs(d[c] - d[t_row]), c))[:ratio]
            assert sorted(m.matches[t_row]) == sorted(order)


def test_caliper_is_in_sds_of_the_distance_after_discard():
    # control 50 lies outside the treated range and is discarded; SD over the kept units is about 0.49,
    # so a 0.5 SD caliper is about 0.245: treated 0 (nearest control 0.3 away) stays unmatched.
    df, d = _frame([0.0, 1.0], [0.3, 0.95, 50.0])
    m = matchit(df, "treat", [], distance=d, caliper=0.5, discard="control")
    kept_sd = np.std([0.0, 1.0, 0.3, 0.95], ddof=1)
    assert 0.5 * kept_sd < 0.3 < 0.5 * np.std(d, ddof=1)
    assert m.counts().loc["matched", "Treated"] == 1
    assert m.matches == {1: [3]}


def test_irls_equals_statsmodels_to_1e8_and_scores_of_identical_rows_agree():
    rng = np.random.default_rng(11)
    n, k = 3000, 6
    base = rng.integers(0, 3, size=(n // 3, k)).astype(float)  # repeated rows: identical people
    X = np.column_stack([np.ones(n), np.vstack([base, base, base])])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ rng.normal(0, 0.4, k + 1))))).astype(float)
    ours = fit_logit(X, y)
    ref = sm.Logit(y, X).fit(method="newton", tol=1e-14, disp=0)
    assert ours.converged
    assert np.max(np.abs(ours.params - ref.params)) < 1e-8
    assert np.allclose(ours.bse, ref.bse, rtol=1e-6)
    warm = fit_logit(X, y, start=ours.params + 0.05)
    assert np.max(np.abs(warm.params - ref.params)) < 1e-8
    lin = linear_predictor(np.asfortranarray(X), ours.params)
    first, again = lin[: n // 3], lin[n // 3: 2 * n // 3]
    assert np.array_equal(first, again)  # bit for bit


def test_a_numeric_covariate_that_separates_the_groups_is_a_clear_error():
    df = pd.DataFrame({"x": [0, 1, 2, 3, 4, 5.0, 6, 7], "treat": [0, 0, 0, 0, 1, 1, 1, 1]})
    with pytest.raises(JusticeLabError, match="did not converge"):
        PropensityModel(["x"]).fit(df, "treat")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 6).map(float), min_size=1, max_size=60))
def test_fast_sort_equals_a_stable_sort(values):
    from justicelab.matching.nearest import sort_by_value_then_row

    v = np.array(values)
    order, ordered = sort_by_value_then_row(v)
    assert np.array_equal(order, np.argsort(v, kind="stable")) and np.array_equal(ordered, np.sort(v))


NEAR_TIES = st.sampled_from([0.0, -0.0, 1.0, -1.0, 1 + 2 ** -52, 1 - 2 ** -53, -1 - 2 ** -52, 0.3, 0.1 + 0.2,
                             5e-324, -5e-324, 1e-300, -1e300, 1e300, 2.0 ** 40, 2.0 ** 40 + 2 ** -12])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(NEAR_TIES, st.floats(-1e6, 1e6, allow_nan=False)), min_size=0, max_size=300))
def test_fast_sort_orders_near_ties_signed_zeros_and_extremes_as_a_stable_sort(values):
    """Values equal to about nine digits but not exactly (1 and 1 + 2^-52) go through the slow path."""
    from justicelab.matching.nearest import sort_by_value_then_row

    v = np.array(values, dtype=float)
    order, ordered = sort_by_value_then_row(v)
    assert np.array_equal(order, np.argsort(v, kind="stable"))
    assert np.array_equal(ordered, np.sort(v))
