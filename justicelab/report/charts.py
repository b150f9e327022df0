"""Charts for the report: headline measures with intervals, forest plots. PNG files with alt text."""
from __future__ import annotations

import functools
import warnings
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .wording import significant  # noqa: E402

BLUE, GREY, GREEN, RED = "#1d70b8", "#6f777b", "#00703c", "#d4351c"


def plain_text(draw):
    """Labels come from users (programme names): never read them as mathtext or LaTeX, so a `$` in a
    name is drawn as a `$` and cannot break a chart for everyone."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
            return draw(*args, **kwargs)
    return wrapper


@plain_text
def headline_chart(m: dict, title: str, kind: str, path: Path) -> tuple[Path, str]:
    scale = 100 if kind == "rate" else 1
    t, c = scale * m["treated_value"], scale * m["comparison_value"]
    lo, hi = scale * m["ci_low"], scale * m["ci_high"]
    fig, ax = plt.subplots(figsize=(3.3, 2.8), dpi=110)
    ax.bar(["Treatment group", "Comparison group"], [t, c], color=[BLUE, GREY])
    # the interval for the treatment group: comparison value plus the estimated difference's interval
    ax.errorbar([0], [t], yerr=[[t - (c + lo)], [(c + hi) - t]], fmt="none", ecolor="black", capsize=6)
    unit = {"rate": "%", "frequency": "offences per person", "days": "days"}[kind]
    ax.set_ylabel(unit)
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    note = "Significant difference between groups" if significant(m) else "Non-significant difference"
    ax.text(0.5, -0.2, note, transform=ax.transAxes, ha="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    fmt = (lambda v: f"{v:.0f}") if kind != "frequency" else (lambda v: f"{v:.2f}")
    alt = (f"{title}: treatment group {fmt(t)}, comparison group {fmt(c)} {unit}; "
           f"estimated difference {fmt(lo)} to {fmt(hi)}: {note.lower()}.")
    return path, alt


@plain_text
def forest_plot(rows: list[dict], title: str, xlabel: str, path: Path, level: int = 95,
                lines: tuple[tuple[float, str], ...] = ()) -> tuple[Path, str]:
    """rows: label, difference, ci_low, ci_high, significant, better (bool or None). lines: (x, label)
    reference lines, e.g. a contract's thresholds."""
    fig, ax = plt.subplots(figsize=(7.5, min(max(0.17 * len(rows) + 1.3, 2.4), 6.4)), dpi=110)
    ordered = list(reversed(rows))
    colours = [GREY if not r["significant"] else (GREEN if r["better"] else RED) for r in ordered]
    ax.hlines(range(len(ordered)), [r["ci_low"] for r in ordered], [r["ci_high"] for r in ordered],
              colors=colours, linewidth=2)
    for sig, marker in ((False, "o"), (True, "D")):
        idx = [i for i, r in enumerate(ordered) if bool(r["significant"]) == sig]
        if idx:
            ax.scatter([ordered[i]["difference"] for i in idx], idx, marker=marker, c=[colours[i] for i in idx],
                       zorder=3)
    for i, r in enumerate(reversed(rows)):
        if r["significant"] and r.get("better") is not None:
            ax.text(1.01, i, "better" if r["better"] else "worse", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=7, fontweight="bold", color=GREEN if r["better"] else RED)
    ax.axvline(0, color="black", linewidth=0.8)
    for x, text in lines:
        ax.axvline(x, color="#1d70b8", linestyle="--", linewidth=1)
        ax.text(x, len(rows) - 0.5, text, fontsize=7, color="#1d70b8", ha="left")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r["label"] for r in reversed(rows)], fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    with warnings.catch_warnings():  # the "better"/"worse" cues sit outside the axes on purpose
        warnings.filterwarnings("ignore", message="Tight layout not applied", category=UserWarning)
        fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    sig = [r for r in rows if r["significant"]]
    worse = [r["label"] for r in sig if r.get("better") is False]
    alt = (f"{title}: {len(rows)} estimates with {level}% intervals, {len(sig)} statistically significant"
           + (f", of which worse for participants: {'; '.join(worse)}." if worse else "."))
    return path, alt


@plain_text
def size_forest_plot(points: list[dict], path: Path) -> tuple[Path, str]:
    """Rate effect (percentage points) against treatment group size for every analysis published."""
    fig, ax = plt.subplots(figsize=(6.5, 4), dpi=120)
    for p in points:
        colour = GREY if not p["significant"] else (GREEN if p["difference"] < 0 else RED)
        ax.errorbar([p["treated"]], [p["difference"]], yerr=[[p["difference"] - p["ci_low"]],
                    [p["ci_high"] - p["difference"]]], fmt="o", color=colour, ecolor=colour, capsize=3,
                    markeredgecolor="black" if p.get("this_report") else colour)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel("Treatment group size (log scale)")
    ax.set_ylabel("Rate difference (% points)")
    ax.set_title("Reoffending rate effects of every analysis, by treatment group size", fontsize=10)
    sizes = sorted({p["treated"] for p in points})
    if sizes[-1] < 3 * sizes[0]:  # a narrow range: plain ticks at the sizes themselves
        ax.set_xscale("linear")
        ax.set_xticks(sizes[:: max(1, len(sizes) // 6)])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("Treatment group size")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    own = [p for p in points if p.get("this_report")]
    sig = sum(p["significant"] for p in points)
    return path, (f"Rate effects of {len(points)} analyses ({len(own)} from this report, outlined in black) "
                  f"against treatment group size: {sig} of {len(points)} are statistically significant, and the "
                  f"intervals narrow as groups grow.")


def summary_chart(rows: list[dict], path: Path) -> tuple[Path, str]:
    """One interval bar per headline measure (difference per 100 people, or days), the page-1 summary."""
    fig, axes = plt.subplots(len(rows), 1, figsize=(6.6, 0.62 * len(rows) + 0.4), dpi=110, squeeze=False)
    for ax, r in zip(axes[:, 0], rows):
        colour = GREY if not r["significant"] else (GREEN if r["better"] else RED)
        ax.plot([r["ci_low"], r["ci_high"]], [0, 0], color=colour, linewidth=6, solid_capstyle="butt")
        ax.plot([r["difference"]], [0], marker="|", color="black", markersize=14)
        span = max(abs(r["ci_low"]), abs(r["ci_high"]), 1) * 1.15
        ax.set_xlim(-span, span)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks([])
        ax.spines[["top", "right", "left"]].set_visible(False)
        ax.set_title(f"{r['label']}: difference ({r['unit']}), 95% interval"
                     + (" - significant" if r["significant"] else " - not significant"), fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    alt = "; ".join(f"{r['label']}: {r['treated']} for participants against {r['comparison']} for the comparison "
                    f"group, {r['range']}" + (" (significant)" if r["significant"] else " (not significant)")
                    for r in rows)
    return path, alt + "."


def love_chart(balance: list[dict], path: Path, name=lambda v: v, cap: float = 0.5) -> tuple[Path, str]:
    """Absolute standardised differences before and after matching, on a scale that shows the thresholds:
    values beyond `cap` are drawn at the edge with their value written beside them. Fits one page."""
    rows = [b for b in balance if b["variable"] != "distance"][::-1]
    fig, ax = plt.subplots(figsize=(7.0, min(0.105 * len(rows) + 1.2, 6.4)), dpi=110)
    import numpy as np

    before = np.array([abs(b["smd_before"] or 0) for b in rows])
    after = np.array([abs(b["smd_after"] or 0) for b in rows])
    y = np.arange(len(rows))
    ax.scatter(np.minimum(before, cap), y, marker="o", facecolors="none", edgecolors="#505a5f", s=18)
    ax.scatter(np.minimum(after, cap), y, marker="s", color=BLUE, s=14)
    for i in np.flatnonzero(before > cap):
        ax.text(cap * 1.01, i, f"{before[i]:.2f}", fontsize=6, va="center", color="#505a5f")
    for x, style in zip((0.05, 0.10), (":", "--")):
        ax.axvline(x, color="#505a5f", linestyle=style, linewidth=1)
    ax.set_xlim(0, cap * 1.12)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([name(b["variable"]) for b in rows], fontsize=6)
    ax.set_xlabel(f"Absolute standardised difference (values above {cap} written at the edge)", fontsize=8)
    ax.scatter([], [], marker="o", facecolors="none", edgecolors="#505a5f", label="Before matching")
    ax.scatter([], [], marker="s", color=BLUE, label="After matching")
    ax.plot([], [], color="#505a5f", linestyle=":", label="0.05: well matched below")
    ax.plot([], [], color="#505a5f", linestyle="--", label="0.10: reasonably matched below")
    ax.legend(loc="upper center", bbox_to_anchor=(0.4, -0.06 - 0.5 / max(len(rows), 1)), ncol=2, fontsize=7,
              frameon=False)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    well = sum(a < 0.05 for a in after)
    alt = (f"Balance of {len(rows)} matching variables: after matching {well} have a standardised difference "
           f"below 0.05, the largest is {max(after):.2f}; before matching the largest was "
           f"{max(abs(b['smd_before'] or 0) for b in rows):.2f}.")
    return path, alt


def overlap_chart(overlap: dict, path: Path) -> tuple[Path, str]:
    """Common support: shares of each group by propensity score band, before and after weighting."""
    import numpy as np

    edges = np.asarray(overlap["edges"])
    mids = (edges[:-1] + edges[1:]) / 2
    fig, ax = plt.subplots(figsize=(6.6, 2.6), dpi=110)
    ax.step(mids, overlap["comparison_before"], where="mid", color=GREY, linestyle="--",
            label="Comparison pool (before weighting)")
    ax.step(mids, overlap["comparison_after"], where="mid", color=BLUE, label="Comparison group (weighted)")
    ax.step(mids, overlap["treated"], where="mid", color="black", linewidth=1.6, label="Treatment group")
    ax.set_xlabel("Propensity score (logit)", fontsize=8)
    ax.set_ylabel("Share of group", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    t = np.asarray(overlap["treated"])
    covered = float(t[np.asarray(overlap["comparison_before"]) > 0].sum())
    return path, (f"Propensity score distributions: {100 * covered:.0f}% of the treatment group lies in bands where "
                  f"the comparison pool also has people, and after weighting the comparison group's distribution "
                  f"follows the treatment group's.")
