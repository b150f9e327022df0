"""Charts for the report: headline measures with intervals, forest plots. PNG files with alt text."""
from __future__ import annotations

import functools
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
    fig, ax = plt.subplots(figsize=(4.2, 3.2), dpi=120)
    ax.bar(["Treatment group", "Comparison group"], [t, c], color=[BLUE, GREY])
    # the interval for the treatment group: comparison value plus the estimated difference's interval
    ax.errorbar([0], [t], yerr=[[t - (c + lo)], [(c + hi) - t]], fmt="none", ecolor="black", capsize=6)
    unit = {"rate": "%", "frequency": "offences per person", "days": "days"}[kind]
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    note = "Significant difference between groups" if significant(m) else "Non-significant difference"
    ax.text(0.5, -0.2, note, transform=ax.transAxes, ha="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    fmt = (lambda v: f"{v:.0f}") if kind != "frequency" else (lambda v: f"{v:.2f}")
    alt = (f"{title}: treatment group {fmt(t)}, comparison group {fmt(c)} {unit}; "
           f"estimated difference {fmt(lo)} to {fmt(hi)}. {note}.")
    return path, alt


@plain_text
def forest_plot(rows: list[dict], title: str, xlabel: str, path: Path, level: int = 95,
                lines: tuple[tuple[float, str], ...] = ()) -> tuple[Path, str]:
    """rows: label, difference, ci_low, ci_high, significant, better (bool or None). lines: (x, label)
    reference lines, e.g. a contract's thresholds."""
    fig, ax = plt.subplots(figsize=(7.5, max(0.32 * len(rows) + 1.4, 2.4)), dpi=120)
    for i, r in enumerate(reversed(rows)):
        colour = GREY if not r["significant"] else (GREEN if r["better"] else RED)
        ax.plot([r["ci_low"], r["ci_high"]], [i, i], color=colour, linewidth=2)
        ax.plot([r["difference"]], [i], marker="D" if r["significant"] else "o", color=colour)
    ax.axvline(0, color="black", linewidth=0.8)
    for x, text in lines:
        ax.axvline(x, color="#1d70b8", linestyle="--", linewidth=1)
        ax.text(x, len(rows) - 0.5, text, fontsize=7, color="#1d70b8", ha="left")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r["label"] for r in reversed(rows)], fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    sig = sum(r["significant"] for r in rows)
    alt = f"{title}: {len(rows)} estimates with {level}% intervals, {sig} statistically significant."
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
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path, (f"Rate effects for {len(points)} analyses against treatment group size; intervals narrow as "
                  f"groups grow. This report's analyses are outlined in black.")
