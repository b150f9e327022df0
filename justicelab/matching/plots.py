"""The Love plot: absolute standardised differences before and after matching, one row per covariate."""
from __future__ import annotations

from pathlib import Path

from .balance import THRESHOLDS, BalanceTable


def love_plot(table: BalanceTable, path: str | Path, title: str = "Covariate balance") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = table.loc[table.index != "distance"].iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.6), dpi=120)
    y = range(len(rows))
    ax.scatter(rows["smd_before"].abs(), y, marker="o", facecolors="none", edgecolors="#505a5f",
               label="Before matching")
    ax.scatter(rows["smd_after"].abs(), y, marker="s", color="#1d70b8", label="After matching")
    for x, style in zip(THRESHOLDS, (":", "--")):
        ax.axvline(x, color="#b1b4b6", linestyle=style, linewidth=1)
    ax.set_yticks(list(y))
    ax.set_yticklabels(rows.index, fontsize=8)
    ax.set_xlabel("Absolute standardised mean difference")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
