"""Charts for the employment reports: claim survival, stacked monthly benefit status, design forest plot."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..report.charts import BLUE, GREEN, GREY, RED, plain_text, plt

BENEFIT_COLOURS = {"JSA": "#1d70b8", "ESA": "#d4351c", "IS": "#f47738", "IB": "#912b88", "UC": "#00703c"}


@plain_text
def survival_chart(groups: dict, path: Path) -> tuple[Path, str]:
    fig, ax = plt.subplots(figsize=(6.5, 3.4), dpi=110)
    parts = []
    for (name, g), colour, style in zip(groups.items(), (RED, BLUE), ("--", "-")):
        if g.get("withheld"):
            continue
        s = 100 * np.asarray(g["survival"])  # the curves nearly coincide (as seed 002 found): dashes tell them apart
        ax.step(range(len(s)), s, where="post", color=colour, linestyle=style, linewidth=1.6, label=name,
                zorder=3 if style == "--" else 2)
        parts.append(f"{name} {s[52]:.0f}% at 52 weeks, {s[-1]:.0f}% at 156 weeks")
    ax.axvline(52, color=GREY, linestyle=":", linewidth=1)
    ax.text(53, 92, "52 weeks", fontsize=7, color=GREY)
    ax.set_xlabel("Weeks from the start of the initial JSA claim")
    ax.set_ylabel("Still on the initial claim (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, 156)
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path, "Duration of the initial JSA claim over three years: " + "; ".join(parts) + "."


@plain_text
def monthly_chart(groups: dict, path: Path) -> tuple[Path, str]:
    shown = {k: g for k, g in groups.items() if not g.get("withheld")}
    fig, axes = plt.subplots(1, len(shown), figsize=(7.5, 3.4), dpi=110, sharey=True, squeeze=False)
    parts = []
    for ax, (name, g) in zip(axes[0], shown.items()):
        kinds = [b for b in BENEFIT_COLOURS if b in g["monthly"]]
        values = [100 * np.asarray(g["monthly"][b]) for b in kinds]
        ax.stackplot(range(36), values, labels=kinds, colors=[BENEFIT_COLOURS[b] for b in kinds])
        ax.set_title(f"{name}: {100 * g['share_on_benefit']:.0f}% of the time", fontsize=9)
        ax.set_xlabel("Months from the initial JSA claim")
        ax.set_ylim(0, 100)
        ax.spines[["top", "right"]].set_visible(False)
        parts.append(f"{name} on an out-of-work benefit {100 * g['share_on_benefit']:.0f}% of the three years")
    axes[0][0].set_ylabel("On benefit (%)")
    axes[0][-1].legend(frameon=False, fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path, "Out-of-work benefit status by month, stacked by benefit: " + "; ".join(parts) + "."


@plain_text
def design_forest(rows: list[dict], path: Path) -> tuple[Path, str]:
    """Difference in one-year reoffending (points) by sentence group and design; truths as crosses."""
    shown = [r for r in rows if "rate" in r]
    fig, ax = plt.subplots(figsize=(7.0, 0.5 * len(shown) + 1.4), dpi=110)
    labels, parts = [], []
    for i, r in enumerate(reversed(shown)):
        e = r["rate"]
        colour = {"sequential": GREEN, "landmark": BLUE}.get(r["design"], RED)
        ax.hlines(i, 100 * e["ci_low"], 100 * e["ci_high"], color=colour, linewidth=2)
        ax.plot(100 * e["difference"], i, "o", color=colour)
        if "truth_rate" in r:
            ax.plot(100 * r["truth_rate"], i, "kx", markersize=8)
        labels.append(f"{r['sentence_group']}: {r['design']}")
        parts.append(f"{r['sentence_group']}, {r['design']}: {100 * e['difference']:.1f} points "
                     f"({100 * e['ci_low']:.1f} to {100 * e['ci_high']:.1f})"
                     + (f", truth {100 * r['truth_rate']:.1f}" if "truth_rate" in r else ""))
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("Employed minus matched not employed: reoffending (points, 95% interval)")
    if any("truth_rate" in r for r in shown):
        ax.set_title("Crosses: the planted true effect", fontsize=8)
    ax.xaxis.label.set_size(8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path, "Employment and reoffending by sentence length and design: " + "; ".join(parts) + "."
