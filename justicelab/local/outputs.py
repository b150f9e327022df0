"""The outputs of `justicelab local`: results JSON (with provenance), HTML, PDF and an xlsx workbook.
Everything is written from the results dict, which holds published (disclosure-controlled) figures only."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from openpyxl import Workbook

from ..report.excel import _sheet

TEMPLATES = Environment(loader=PackageLoader("justicelab.local", "templates"), autoescape=select_autoescape())

NOTES = [
    "Counts of 1 to 10 people are shown as [c]; other counts are rounded to the nearest 5; percentages are "
    "whole numbers. Rates and their intervals are worked out before rounding.",
    "Rates are one-year proven reoffending (the official definition); intervals are 95% Wilson score "
    "intervals; an area's difference from the rest of England and Wales has Newcombe's hybrid score interval.",
    "Quarterly cohorts hold each person's first index event in each quarter, as the quarterly bulletin does.",
]


def render_html(results: dict) -> str:
    return TEMPLATES.get_template("local.html.j2").render(r=results, notes=NOTES, tables=True)


def render_body(results: dict, chart_src: str = "tracking.png", tables: bool = True) -> str:
    """The report's content without its page (the service shows it inside its own layout); without
    `tables`, the tables by area and quarter are left out (an evaluation's page leads with its result)."""
    if "series" in results:  # cohort tracking
        return TEMPLATES.get_template("tracking_body.html.j2").render(r=results, chart_src=chart_src,
                                                                     chart_alt=tracking_alt(results["series"]))
    return TEMPLATES.get_template("local_body.html.j2").render(r=results, notes=NOTES, tables=tables)


def write_workbook(results: dict, path: Path) -> Path:
    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover["A1"] = results["title"]
    cover["A2"] = f"Period: index dates {results['period'][0]} to {results['period'][1]}"
    cover["A3"] = f"Produced by {results['provenance']['code_version']}"
    for i, note in enumerate(NOTES, start=5):
        cover[f"A{i}"] = note
    _sheet(wb, "Areas", "Proven reoffending by area", pd.DataFrame(results["areas"]))
    _sheet(wb, "Trends", "Proven reoffending by quarter", pd.DataFrame(results["trends"]["rows"]))
    pred = results.get("prediction")
    if pred:
        _sheet(wb, "Model", "Prediction model coefficients", pd.DataFrame(pred["model"]["coefficients"]))
        _sheet(wb, "Calibration", "Calibration by decile of predicted risk",
               pd.DataFrame(pred["model"]["calibration"]))
        if "local" in pred:
            rows = [{"measure": label, **{k: v for k, v in pred[key].items() if k != "caveat"}}
                    for key, label in (("local", "one-year rate"), ("local_frequency", "reoffences per person"))]
            _sheet(wb, "Predicted vs actual", "Predicted against actual", pd.DataFrame(rows),
                   note=pred["local"]["caveat"])
        if pred.get("matched", {}).get("run"):
            _sheet(wb, "Matched", "The local cohort against a matched comparison",
                   pd.DataFrame([{"outcome": k, **pred["matched"][k]} for k in ("reoffended", "reoffences")]))
    if results.get("demand"):
        _sheet(wb, "Demand", f"Change in demand from {results['demand']['baseline'][0]} to "
               f"{results['demand']['baseline'][1]} (baseline)", pd.DataFrame(results["demand"]["rows"]))
    wb.save(path)
    return path


def write_outputs(results: dict, out: Path, pdf: bool = True) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"results": out / "results.json", "html": out / "local.html", "xlsx": out / "local.xlsx"}
    paths["results"].write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    html = render_html(results)
    paths["html"].write_text(html, encoding="utf-8")
    write_workbook(results, paths["xlsx"])
    if pdf:
        from ..report.build import write_pdf
        paths["pdf"] = write_pdf(html, out / "local.pdf", out)
    return paths


def write_tracking(results: dict, out: Path, pdf: bool = False) -> dict[str, Path]:
    """Cohort tracking: tracking.json, tracking.html and tracking.xlsx (and tracking.pdf)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"results": out / "tracking.json", "html": out / "tracking.html", "xlsx": out / "tracking.xlsx"}
    paths["results"].write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    paths["chart"], alt = tracking_chart(results["series"], out / "tracking.png")
    html = TEMPLATES.get_template("tracking.html.j2").render(r=results, chart_alt=alt)
    paths["html"].write_text(html, encoding="utf-8")
    if pdf:
        from ..report.build import write_pdf
        paths["pdf"] = write_pdf(html, out / "tracking.pdf", out)
    wb = Workbook()
    wb.active.title = "Cover"
    wb.active["A1"] = results["title"]
    wb.active["A2"] = results["caveat"]
    summary = {k: v for k, v in results.items() if k not in ("series", "provenance", "caveat", "title")}
    _sheet(wb, "Summary", "Offences per person per month: change from the year before to the year after",
           pd.DataFrame([summary]))
    _sheet(wb, "Monthly", "Offences per person by month from selection", pd.DataFrame(results["series"]))
    wb.save(paths["xlsx"])
    return paths


def tracking_chart(series: list[dict], path: Path) -> tuple[Path, str]:
    """The scheme's and the comparison's offences per person by month from selection (a line each)."""
    import matplotlib.pyplot as plt

    from ..report.charts import BLUE, GREY

    months = [s["month"] for s in series]
    fig, ax = plt.subplots(figsize=(6.5, 3.0), dpi=110)
    ax.plot(months, [s["scheme"] for s in series], color=BLUE, label="Scheme")
    ax.plot(months, [s["comparison"] for s in series], color=GREY, linestyle="--", label="Matched comparison")
    ax.axvline(-0.5, color="black", linewidth=0.8)
    ax.set_xlabel("months from selection")
    ax.set_ylabel("offences per person")
    _finish(fig, ax, path)
    return path, tracking_alt(series)


def tracking_alt(series: list[dict]) -> str:
    peak = max(series, key=lambda s: s["scheme"])
    return (f"Offences per person by month from selection: the scheme peaks at {peak['scheme']:.2f} in month "
            f"{peak['month']}; the matched comparison follows the same path before selection.")


def _trend_lines(results: dict) -> list[tuple[str, pd.Series, pd.Series]]:
    """England and Wales and the chosen area: (name, quarters, published rate %; a withheld quarter is NaN)."""
    rows = pd.DataFrame(results["trends"]["rows"])
    names = ["England and Wales"] + list(results.get("area", {}).values())
    return [(n, rows.loc[rows["area"] == n, "quarter"],
             pd.to_numeric(rows.loc[rows["area"] == n, "proportion_reoffending_pct"], errors="coerce")) for n in names]


def trend_alt(results: dict) -> str:
    said = [f"{n} from {r.dropna().iloc[0]:.0f}% to {r.dropna().iloc[-1]:.0f}%"
            for n, _, r in _trend_lines(results) if r.notna().any()]
    return "Proven reoffending rate by quarterly cohort: " + ("; ".join(said) or "no published rates") + "."


def trend_chart(results: dict, path: Path) -> tuple[Path, str]:
    """Proven reoffending rate by quarter, a line each for England and Wales and the chosen area."""
    import matplotlib.pyplot as plt

    from ..report.charts import BLUE, GREY

    fig, ax = plt.subplots(figsize=(6.5, 3.0), dpi=110)
    for i, (name, quarters, rate) in enumerate(_trend_lines(results)):
        ax.plot(quarters, rate, color=BLUE if i else GREY, linestyle="-" if i else "--", marker="o", label=name)
    ax.set_ylabel("reoffending rate (%)")
    ax.tick_params(axis="x", labelsize=7, rotation=45)
    _finish(fig, ax, path)
    return path, trend_alt(results)


def _finish(fig, ax, path: Path) -> None:
    """The local charts' common style (y from 0, no top or right spine, a plain legend), saved and closed."""
    import matplotlib.pyplot as plt

    ax.set_ylim(bottom=0)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
