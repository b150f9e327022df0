"""Sensitivity to unmeasured confounding: E-values and Rosenbaum bounds.

E-value (VanderWeele and Ding 2017): the minimum strength of association, on the risk-ratio scale, that
an unmeasured confounder would need with both the treatment and the outcome to explain away an observed
risk ratio RR: E = RR + sqrt(RR (RR - 1)) for RR >= 1 (use 1/RR for a protective RR < 1). For the
confidence interval, the same formula on the limit nearer to 1, and 1 if the interval includes 1.

Rosenbaum bounds (Rosenbaum 2002, Observational Studies, ch. 4): in matched pairs, a hidden bias of
size Gamma lets the odds of treatment differ by up to Gamma between the two people of a pair. The
largest one-sided p-value consistent with Gamma:
* binary outcome (McNemar): of D discordant pairs, T are "in favour" of the effect; the upper bound is
  P(Binomial(D, Gamma / (1 + Gamma)) >= T);
* continuous outcome (Wilcoxon signed rank): statistic T+ over S non-zero pair differences, with the
  normal approximation E = p S(S+1)/2, Var = p(1-p) S(S+1)(2S+1)/6, p = Gamma / (1 + Gamma)
  (average ranks for ties, no continuity correction).
`gamma_at_loss` finds the smallest Gamma at which the upper bound reaches alpha: how strong hidden bias
would have to be to make the result non-significant.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from ..errors import JusticeLabError


def e_value(rr: float, ci_low: float | None = None, ci_high: float | None = None) -> dict:
    """E-values for a risk ratio and (optionally) its confidence limit nearer to 1."""
    if not rr > 0:
        raise JusticeLabError("the risk ratio must be positive for an E-value")

    def one(r: float) -> float:
        r = 1 / r if r < 1 else r
        return r + math.sqrt(r * (r - 1))

    out = {"risk_ratio": rr, "e_value": one(rr), "e_value_ci": None}
    if ci_low is not None and ci_high is not None:
        if ci_low <= 1 <= ci_high:
            out["e_value_ci"] = 1.0
        else:
            out["e_value_ci"] = one(ci_low if rr > 1 else ci_high)
    return out


def weighted_risk_ratio(y: np.ndarray, treat: np.ndarray, w: np.ndarray, confidence: float = 0.95
                        ) -> tuple[float, float, float]:
    """Risk ratio of the weighted rates of a 0/1 outcome, with a delta-method interval on log RR.

    Each group's weighted rate p has variance sum w^2 (y - p)^2 / (sum w)^2 (weights held fixed, as
    HC errors do); Var(log RR) = Var(p1)/p1^2 + Var(p0)/p0^2 (independent groups).
    """
    y, t, w = np.asarray(y, float), np.asarray(treat, bool), np.asarray(w, float)
    parts = []
    for g in (t, ~t):
        p = np.sum(w[g] * y[g]) / np.sum(w[g])
        parts.append((p, np.sum(w[g] ** 2 * (y[g] - p) ** 2) / np.sum(w[g]) ** 2))
    (p1, v1), (p0, v0) = parts
    if p1 <= 0 or p0 <= 0:
        raise JusticeLabError("a group's rate is zero: no risk ratio")
    rr = p1 / p0
    half = stats.norm.ppf(0.5 + confidence / 2) * math.sqrt(v1 / p1 ** 2 + v0 / p0 ** 2)
    return rr, rr * math.exp(-half), rr * math.exp(half)


def mcnemar_upper_p(discordant: int, in_favour: int, gamma: float) -> float:
    """Largest one-sided p-value for `in_favour` of `discordant` pairs under hidden bias Gamma."""
    if discordant == 0:
        return 1.0
    p = gamma / (1 + gamma)
    return float(stats.binom.sf(in_favour - 1, discordant, p))


def signed_rank_upper_p(differences: np.ndarray, gamma: float) -> float:
    """Largest one-sided p-value of Wilcoxon's signed-rank test (positive differences favour the effect)."""
    d = np.asarray(differences, dtype=float)
    d = d[d != 0]
    s = len(d)
    if s == 0:
        return 1.0
    ranks = stats.rankdata(np.abs(d))
    t_plus = ranks[d > 0].sum()
    p = gamma / (1 + gamma)
    mean = p * ranks.sum()
    var = p * (1 - p) * np.sum(ranks ** 2)  # = p(1-p) S(S+1)(2S+1)/6 without ties
    return float(stats.norm.sf((t_plus - mean) / math.sqrt(var)))


def gamma_at_loss(upper_p, alpha: float = 0.05, gamma_max: float = 100.0) -> float | None:
    """Smallest Gamma >= 1 at which upper_p(Gamma) >= alpha; None if not significant at Gamma = 1 (no
    sensitivity question) and gamma_max if still significant there."""
    if upper_p(1.0) >= alpha:
        return None
    if upper_p(gamma_max) < alpha:
        return gamma_max
    return float(optimize.brentq(lambda g: upper_p(g) - alpha, 1.0, gamma_max, xtol=1e-6))


def rosenbaum_pairs(treated: np.ndarray, control: np.ndarray, binary: bool, alpha: float = 0.05,
                    direction: str = "less") -> dict:
    """Rosenbaum bounds for matched pairs (outcome of each pair's treated and control person).

    direction "less": the effect of interest is a lower outcome for the treated (less reoffending).
    """
    t, c = np.asarray(treated, dtype=float), np.asarray(control, dtype=float)
    diff = (c - t) if direction == "less" else (t - c)
    if binary:
        discordant = int(np.sum(diff != 0))
        favour = int(np.sum(diff > 0))

        def upper(g):
            return mcnemar_upper_p(discordant, favour, g)

        detail = {"test": "McNemar (binary outcome)", "discordant_pairs": discordant, "pairs_in_favour": favour}
    else:
        def upper(g):
            return signed_rank_upper_p(diff, g)

        detail = {"test": "Wilcoxon signed rank", "non_zero_pairs": int(np.sum(diff != 0))}
    return {"pairs": len(t), **detail, "p_value_gamma_1": upper(1.0), "alpha": alpha,
            "gamma_at_loss": gamma_at_loss(upper, alpha), "direction": direction}
