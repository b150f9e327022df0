"""Payment-by-results arithmetic against the published Peterborough figures (seed 004) and by hand."""
import numpy as np
import pytest

from justicelab.pbr.arithmetic import decide, irr, payment, pooled_reduction, reduction, reduction_interval


def test_peterborough_first_cohort_does_not_pay():
    r = reduction(142, 155)  # events per 100: cohort 142, matched comparison 155
    assert round(100 * r, 1) == 8.4
    assert decide([r], [1000])["cohort_pays"] == [False]


def test_peterborough_pooled_result_triggers_payment():
    r1 = reduction(142, 155)
    pooled = pooled_reduction([r1, 0.097], [1000, 802])
    assert round(100 * pooled, 1) == 9.0
    d = decide([r1, 0.097], [1000, 802])
    assert d["cohort_pays"] == [False, False] and d["pooled_pays"]


def test_payment_and_cap():
    assert payment(130.0, 2000.0) == 260_000
    assert payment(130.0, 2000.0, cap=200_000) == 200_000
    assert payment(-5.0, 2000.0) == 0


def test_irr_by_hand():
    # invest 100 now, receive 121 in two years: (1 + r)^2 = 1.21 -> r = 10%
    assert irr([-100, 121], [0, 2]) == pytest.approx(0.10)
    assert irr([-100, 50], [0, 1]) == pytest.approx(-0.5)
    assert irr([-100, -1], [0, 1]) is None


def test_reduction_interval_by_simulation():
    rng = np.random.default_rng(7)
    n_t, n_c, lam_c, true_r = 1000, 10000, 1.55, 0.10
    covered = 0
    for _ in range(400):
        t = rng.negative_binomial(2, 2 / (2 + lam_c * (1 - true_r)), n_t)
        c = rng.negative_binomial(2, 2 / (2 + lam_c), n_c)
        r, lo, hi = reduction_interval(t.mean(), t.var(ddof=1), n_t, c.mean(), c.var(ddof=1), n_c)
        covered += lo <= true_r <= hi
    assert 0.92 <= covered / 400 <= 0.98
