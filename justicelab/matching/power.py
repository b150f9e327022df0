"""How many people a treatment group needs before a difference of the observed size would be detected.

The Data Lab reports say, for a non-significant result, "a treatment group of N people would be needed"
(seed 001). We use the normal-approximation sample size for comparing two independent proportions
(or means) with a two-sided test at level alpha and the stated power, allowing for a comparison group
of a given (effective) size:

    Var(difference) = v_t / n_t + v_c / n_c,   needed: |d| / sqrt(Var) = z_(1 - alpha/2) + z_power

so  n_t = A v_t / (d^2 - A v_c / n_c)  with  A = (z_(1 - alpha/2) + z_power)^2,  where for a rate
v = p (1 - p). With an unlimited comparison group this is A p_t q_t / d^2. If even an infinite treatment
group could not detect d given the comparison group's own noise, the answer is None.
"""
from __future__ import annotations

import math

from scipy import stats


def required_treated_size(variance_treated: float, variance_comparison: float, difference: float,
                          n_comparison: float = math.inf, alpha: float = 0.05, power: float = 0.80) -> int | None:
    if difference == 0:
        return None
    a = (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) ** 2
    denominator = difference ** 2 - (0.0 if math.isinf(n_comparison) else a * variance_comparison / n_comparison)
    if denominator <= 0:
        return None
    return math.ceil(a * variance_treated / denominator)


def required_treated_size_for_rates(p_treated: float, p_comparison: float, n_comparison: float = math.inf,
                                    alpha: float = 0.05, power: float = 0.80) -> int | None:
    return required_treated_size(p_treated * (1 - p_treated), p_comparison * (1 - p_comparison),
                                 p_treated - p_comparison, n_comparison, alpha, power)
