"""The outcome arithmetic of a payment-by-results contract, from summary numbers.

Reduction in reconviction events: R = (C - T) / C, with C and T the comparison and cohort events per
100 people. Pooled across cohorts: the mean of the cohort reductions weighted by cohort size. The
Peterborough bond (seed 004) pays if a cohort's R reaches 10%, or else if the pooled R over all
cohorts reaches 7.5%. Payment: a price per event avoided, capped. Investors' return: the internal rate
of return of the investment and the payments.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import numpy as np
from scipy import optimize, stats


def reduction(treated_per_100: float, comparison_per_100: float) -> float:
    if comparison_per_100 <= 0:
        raise ValueError("the comparison group must have events for a reduction to be defined")
    return (comparison_per_100 - treated_per_100) / comparison_per_100


def reduction_interval(t_mean: float, t_var: float, n_t: float, c_mean: float, c_var: float, n_c: float,
                       confidence: float = 0.95) -> tuple[float, float, float]:
    """Delta-method interval for R = 1 - T/C from group means and variances of events per person.

    Var(T/C) ~ (T/C)^2 (Var(T)/(n_t T^2) + Var(C)/(n_c C^2)). Returns (R, low, high)."""
    ratio = t_mean / c_mean
    se = ratio * np.sqrt(t_var / (n_t * t_mean ** 2) + c_var / (n_c * c_mean ** 2))
    z = stats.norm.ppf(0.5 + confidence / 2)
    return 1 - ratio, 1 - ratio - z * se, 1 - ratio + z * se


def pooled_reduction(reductions: list[float], sizes: list[int]) -> float:
    """Cohort reductions weighted by cohort size."""
    return float(np.average(reductions, weights=sizes))


def to_decimal(x) -> Decimal:
    """A figure as a decimal: a Fraction (computed from counts) exactly to 28 digits; a float or string as
    written (0.1 is 1/10, not the binary number nearest to it)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, Fraction):
        with localcontext() as ctx:
            ctx.prec = 28
            return Decimal(x.numerator) / Decimal(x.denominator)
    return Decimal(str(x))


_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}


def compared_figure(value, places: int | None = None, mode: str = "half_up", scale: int = 100) -> Decimal:
    """The figure a threshold is tested on: `value` x `scale` (a share in per cent or points), rounded to
    the contract's decimal places (None: exact)."""
    x = to_decimal(value) * scale
    return x if places is None else x.quantize(Decimal(1).scaleb(-places), rounding=_MODES[mode])


def reaches(value, threshold, places: int | None = None, mode: str = "half_up", scale: int = 100) -> bool:
    """value >= threshold, compared in decimals after the contract's rounding (threshold in value's units)."""
    return compared_figure(value, places, mode, scale) >= to_decimal(threshold) * scale


@dataclass(frozen=True)
class Thresholds:
    cohort: float = 0.10
    pooled: float = 0.075
    places: int | None = None
    mode: str = "half_up"


def decide(reductions: list, sizes: list[int], thresholds: Thresholds = Thresholds()) -> dict:
    """Which cohorts pay on their own, and whether the pooled result pays the rest (Peterborough rules).
    Reductions may be Fractions or decimal strings; the comparison is in decimals."""
    t = thresholds
    cohort_pays = [reaches(r, t.cohort, t.places, t.mode) for r in reductions]
    exact = sum(to_decimal(r) * n for r, n in zip(reductions, sizes)) / sum(sizes)
    return {"cohort_pays": cohort_pays, "pooled_reduction": float(exact),
            "pooled_pays": reaches(exact, t.pooled, t.places, t.mode)}


def payment(events_avoided: float, price_per_event: float, cap: float | None = None) -> float:
    """Outcome payment for events avoided (never negative), capped."""
    amount = max(events_avoided, 0.0) * price_per_event
    return min(amount, cap) if cap is not None else amount


def irr(cash_flows: list[float], times_years: list[float]) -> float | None:
    """Internal rate of return: the rate r with sum(cf / (1 + r)^t) = 0; None if there is none."""
    cf, t = np.asarray(cash_flows, float), np.asarray(times_years, float)

    def npv(r):
        return float(np.sum(cf / (1 + r) ** t))
    lo, hi = -0.99, 10.0
    if np.sign(npv(lo)) == np.sign(npv(hi)):
        return None
    return float(optimize.brentq(npv, lo, hi))
