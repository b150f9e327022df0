"""Group size needed and the smallest detectable effect, by the Data Lab's convention.

Seed 001 says "a treatment group of 428 people would be needed" for 43.6% vs 34.8% with a comparison
group of 13,557. That figure is reproduced by a two-sided 5% test with 95% power, the comparison
group's size held fixed and the unpooled normal approximation (matching.power); 80% power would give
about 255. The report states this convention beside the figure.
"""
from __future__ import annotations

import math

from scipy import stats

from ..matching.power import required_treated_size_for_rates

DATA_LAB_ALPHA = 0.05
DATA_LAB_POWER = 0.95


def treatment_size_needed(p_treated: float, p_comparison: float, n_comparison: float) -> int | None:
    """Treatment group size at which the observed rate difference would be significant (95% power)."""
    return required_treated_size_for_rates(p_treated, p_comparison, n_comparison, DATA_LAB_ALPHA, DATA_LAB_POWER)


def minimum_detectable_rate_difference(p_comparison: float, n_treated: float, n_comparison: float,
                                       alpha: float = DATA_LAB_ALPHA, power: float = DATA_LAB_POWER) -> float:
    """The smallest rate difference (as a proportion) these group sizes detect with the stated power,
    using the comparison rate's variance for both groups (the comparison group's effective size)."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    v = p_comparison * (1 - p_comparison)
    return float(z * math.sqrt(v / n_treated + v / n_comparison))
