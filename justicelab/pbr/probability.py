"""The chance a contract pays, from cohort sizes, the matching ratio and an assumed true effect.

Events per person are negative binomial (overdispersed counts, as reconviction events are). Each
simulated cohort draws its events and its matched comparison group's, and the contract's rule is applied.
The design claim of seed 004, that the 10% threshold gives 80% power at 90% significance with 1:10
matching, is checked against the normal approximation of the same model.
"""
from __future__ import annotations

import numpy as np
from scipy import stats


def event_variance(mean: float, dispersion: float) -> float:
    return mean + mean ** 2 / dispersion


def simulate_payment_probability(cohort_sizes: list[int], ratio: int, comparison_mean: float, true_reduction: float,
                                 cohort_threshold: float = 0.10, pooled_threshold: float = 0.075,
                                 dispersion: float = 2.0, simulations: int = 4000, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    k = dispersion
    sizes = np.asarray(cohort_sizes)
    reductions = np.empty((simulations, len(sizes)))
    for j, n in enumerate(sizes):
        mu_t, mu_c = comparison_mean * (1 - true_reduction), comparison_mean
        # the mean of n negative binomial draws: sum is NB(n k, p)
        t = rng.negative_binomial(n * k, k / (k + mu_t), simulations) / n
        c = rng.negative_binomial(n * ratio * k, k / (k + mu_c), simulations) / (n * ratio)
        reductions[:, j] = (c - t) / c
    cohort_pays = reductions >= cohort_threshold
    pooled = reductions @ sizes / sizes.sum()
    any_pay = cohort_pays.any(axis=1) | (pooled >= pooled_threshold)
    return {"p_each_cohort_pays": cohort_pays.mean(axis=0).tolist(), "p_pooled_pays": float((pooled >= pooled_threshold).mean()),
            "p_any_payment": float(any_pay.mean()), "simulations": simulations}


def minimum_detectable_reduction(n: int, ratio: int, comparison_mean: float, dispersion: float = 2.0,
                                 alpha_one_sided: float = 0.10, power: float = 0.80) -> float:
    """Smallest true reduction a one-sided test at alpha detects with the given power (delta method)."""
    var = event_variance(comparison_mean, dispersion)
    se_ratio = np.sqrt(var / (n * comparison_mean ** 2) + var / (n * ratio * comparison_mean ** 2))
    return float((stats.norm.ppf(1 - alpha_one_sided) + stats.norm.ppf(power)) * se_ratio)


def chance_at_zero(se: float, threshold: float, alpha_two_sided: float | None = None) -> float:
    """Chance that a measured fall with standard error `se` reaches `threshold` (and, with `alpha`, is also
    significant) when the true fall is zero: the normal approximation. A rule that pays any improvement
    (threshold 0) pays half the time with no effect at all."""
    bar = threshold if alpha_two_sided is None else max(threshold, stats.norm.ppf(1 - alpha_two_sided / 2) * se)
    return float(stats.norm.sf(bar / se)) if se > 0 else float(threshold <= 0)


def baseline_chance_at_zero(contract, results: list[dict]) -> dict:
    """For each cohort and measure of a baseline contract: the chance it would pay if nothing had changed,
    at its own sizes (binary: both years at the baseline's rate; frequency: from the measured interval)."""
    p = contract.payment
    alpha = (1 - contract.comparison.confidence) if p.significance_required else None
    rows = []
    for r in results:
        if r["measure"] == "binary_rate":
            b = r.get("expected_rate", r["baseline_rate"])
            se = float(np.sqrt(b * (1 - b) * (1 / r["cohort_size"] + 1 / r["baseline_size"])))
            threshold = (p.percentage_points or 0) / 100
        else:
            if r.get("fall_high") is None:
                continue
            z = stats.norm.ppf(0.5 + contract.comparison.confidence / 2)
            se, threshold = (r["fall_high"] - r["fall_low"]) / (2 * z), 0.0
        rows.append({"cohort": r.get("cohort"), "measure": r["measure"], "standard_error": se,
                     "threshold": threshold, "p_pays_at_zero_effect": chance_at_zero(se, threshold, alpha)})
    return {"at_zero_effect": rows}
