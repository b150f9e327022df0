"""Simulation with a known true effect: intervals cover the truth 93-97% of the time (200 replications)."""
from justicelab.matching.validation import coverage_study, summarise


def test_intervals_cover_the_true_effect():
    s = summarise(coverage_study(replications=200, n=4000, seed=2024))
    for outcome in ("rate", "count"):
        row = s.loc[outcome]
        assert row.replications == 200
        assert 0.93 <= row.coverage <= 0.97, (outcome, row.coverage)
        assert abs(row.bias) < 0.3 * row.empirical_se, (outcome, row.bias)  # bias small beside noise
        assert 0.85 < row.mean_estimated_se / row.empirical_se < 1.15, outcome  # the SEs are honest
