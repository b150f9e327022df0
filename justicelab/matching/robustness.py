"""The robustness pack for one matched analysis: what statisticians ask for beside the matched difference.

* a regression-adjusted (doubly robust, g-computation) estimate of each chosen outcome (effects.py);
* the E-value of the rate's risk ratio (sensitivity.py);
* Rosenbaum bounds on 1:1 nearest-neighbour pairs matched on the same score (0.2 SD caliper): the
  hidden bias Gamma at which the rate difference would stop being significant.
Each part that cannot be computed records why (`unavailable`) instead of failing the analysis.
The `sentences` say the same in plain English for the report's annex.
"""
from __future__ import annotations

import numpy as np

from ..errors import JusticeLabError
from .effects import g_computation
from .matchit import MatchResult, matchit
from .sensitivity import e_value, rosenbaum_pairs, weighted_risk_ratio


def robustness_summary(result: MatchResult, outcomes: dict[str, str], rate: str, alpha: float = 0.05,
                       pair_caliper: float = 0.2) -> dict:
    """outcomes: name -> column for the regression-adjusted estimates; rate: the 0/1 column for the
    E-value and the Rosenbaum bounds."""
    treatment = result.treatment
    matched = result.matched_data()
    kernel_like = result.settings["method"] in ("kernel", "radius")
    out: dict = {"regression_adjusted": {}, "alpha": alpha}
    for name, column in outcomes.items():
        try:
            est = g_computation(matched, column, result.covariates, treatment=treatment,
                                cluster=None if kernel_like else "subclass", confidence=1 - alpha)
            out["regression_adjusted"][name] = est.as_dict()
        except (JusticeLabError, np.linalg.LinAlgError, ValueError) as exc:
            out["regression_adjusted"][name] = {"unavailable": str(exc)}
    t = matched[treatment].to_numpy().astype(bool)
    y = matched[rate].to_numpy(dtype=float)
    try:
        rr, low, high = weighted_risk_ratio(y, t, matched["weights"].to_numpy(), confidence=1 - alpha)
        out["e_value"] = e_value(rr, low, high) | {"ci_low": low, "ci_high": high, "outcome": rate}
    except JusticeLabError as exc:
        out["e_value"] = {"unavailable": str(exc)}
    try:
        pairs = matchit(result.data, treatment, result.covariates, distance=result.distance,
                        caliper=pair_caliper, discard=result.settings["discard"])
        rows = sorted(pairs.matches.items())
        yt = result.data[rate].to_numpy(dtype=float)
        treated = np.array([yt[i] for i, _ in rows])
        control = np.array([yt[c[0]] for _, c in rows])
        direction = "less" if treated.mean() <= control.mean() else "greater"
        out["rosenbaum"] = rosenbaum_pairs(treated, control, binary=True, alpha=alpha, direction=direction) | {
            "outcome": rate, "matching": f"1:1 nearest neighbour on the same score, caliper {pair_caliper} SD"}
    except JusticeLabError as exc:
        out["rosenbaum"] = {"unavailable": str(exc)}
    out["sentences"] = sentences(out)
    return out


def sentences(r: dict) -> list[str]:
    """The robustness results in words (no figures about individuals)."""
    lines = []
    for name, est in r["regression_adjusted"].items():
        if "unavailable" in est:
            lines.append(f"A regression-adjusted estimate of the {name} could not be computed ({est['unavailable']}).")
            continue
        scale, unit = (100, " percentage points") if name == "rate" else (1, "")
        lines.append(
            f"Adjusting for the matching variables in a regression on the matched groups (a 'doubly robust' "
            f"estimate) gives a difference in the {name} of {scale * est['difference']:+.1f}{unit} "
            f"(95% interval {scale * est['ci_low']:+.1f} to {scale * est['ci_high']:+.1f}), beside the matched "
            f"difference in the tables.")
    e = r.get("e_value", {})
    if "e_value" in e:
        lines.append(
            f"E-value: to explain away the observed ratio of reoffending rates ({e['risk_ratio']:.2f}), an unmeasured "
            f"factor (such as motivation to change, or how people were referred) would have to make both taking "
            f"part and reoffending about {e['e_value']:.2f} times as likely, beyond the matching variables; "
            + ("the interval already includes no difference, so no such factor is needed to explain away "
               "significance." if e["e_value_ci"] == 1.0 else
               f"to make the difference non-significant, about {e['e_value_ci']:.2f} times."))
    ro = r.get("rosenbaum", {})
    if "gamma_at_loss" in ro:
        g = ro["gamma_at_loss"]
        if g is None:
            lines.append("Rosenbaum bounds: in pairs matched one to one, the difference in the rate is not "
                         "significant even with no hidden bias, so there is no significance to lose.")
        else:
            lines.append(f"Rosenbaum bounds: in {ro['pairs']} pairs matched one to one, the difference in the rate "
                         f"stays significant unless hidden bias made one person of a pair up to {g:.2f} times as "
                         f"likely to take part as the other (Gamma = {g:.2f}); values near 1 mean the finding is "
                         f"sensitive to hidden bias.")
    return lines
