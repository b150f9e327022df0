"""Confidence intervals for local figures.

Rates use Wilson's score interval (good coverage even for small areas and rates near 0 or 1); a
difference of two independent rates uses Newcombe's hybrid score interval built from the two Wilson
intervals (Newcombe 1998, method 10); means use the normal approximation with the sample variance.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import norm

Z95 = float(norm.ppf(0.975))


def wilson(k, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes out of n (arrays allowed; n = 0 gives NaN)."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def newcombe(k1, n1, k2, n2, z: float = Z95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p1 - p2 and its hybrid score interval (independent samples)."""
    k1, n1, k2, n2 = (np.asarray(a, float) for a in (k1, n1, k2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = k1 / n1, k2 / n2
        l1, u1 = wilson(k1, n1, z)
        l2, u2 = wilson(k2, n2, z)
        d = p1 - p2
        low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high


def mean_interval(total, total_sq, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean of a count per person from its sum and sum of squares, with a normal interval."""
    total, total_sq, n = (np.asarray(a, float) for a in (total, total_sq, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        var = np.maximum(total_sq / n - mean ** 2, 0.0) * n / np.maximum(n - 1, 1)
        half = z * np.sqrt(var / n)
    return mean, mean - half, mean + half
