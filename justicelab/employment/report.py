"""The employment reports: HTML (and PDF through the Data Lab report's WeasyPrint path), an Excel annex,
results.json and the charts, all built from the results dict alone."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from openpyxl import Workbook

from ..report.build import _img, published_date, write_pdf
from ..report.disclosure import whole_percent
from ..report.excel import _sheet
from .charts import design_forest, monthly_chart, survival_chart
from .run import jsonable

TEMPLATES = Environment(loader=ChoiceLoader([PackageLoader("justicelab.employment", "templates"),
                                             PackageLoader("justicelab.report", "templates")]),
                        autoescape=select_autoescape(["j2", "html"]))
TITLES = {"benefit_timelines": "Prison leavers and all JSA claimants: benefit timelines over three years",
          "employment_and_reoffending": "Employment after release and reoffending: naive, landmark and sequential designs"}


def _timeline_rows(groups: dict) -> dict:
    out = {}
    for name, g in groups.items():
        if g.get("withheld"):
            out[name] = {"withheld": g["withheld"], "people_shown": "[c]" if 0 < g["people"] < 11 else g["people"]}
            continue
        out[name] = {"people": g["people"], "at52": whole_percent(g["survival"][52]),
                     "share": whole_percent(g["share_on_benefit"]), "low": whole_percent(g["share_ci"][0]),
                     "high": whole_percent(g["share_ci"][1])}
    return out


def _design_rows(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        row = {"sentence_group": r["sentence_group"], "design": r["design"], "people": r["people"],
               "withheld": r.get("withheld")}
        if not r.get("withheld"):
            e, d = r["rate"], r["days_free"]
            row.update(employed=f"{r['n_treated']:,}", t=whole_percent(e["treated_value"]),
                       c=whole_percent(e["comparison_value"]), diff=f"{100 * e['difference']:.1f}",
                       low=f"{100 * e['ci_low']:.1f}", high=f"{100 * e['ci_high']:.1f}",
                       days=f"{d['difference']:.0f}", days_low=f"{d['ci_low']:.0f}", days_high=f"{d['ci_high']:.0f}")
            if "truth_rate" in r:
                row.update(truth=f"{100 * r['truth_rate']:.1f}", covers="Yes" if r.get("covers_truth") else "No")
        out.append(row)
    return out


def _annex(results: dict, path: Path) -> Path:
    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    for i, line in enumerate([TITLES[results["analysis"]], f"Published: {published_date()}",
                              f"Produced by {results['provenance']['code_version']}",
                              "Shares are proportions (0-1); differences in reoffending are proportions; group sizes "
                              "are rounded to 5."], start=1):
        cover.cell(row=i, column=1, value=line)
    if results["analysis"] == "benefit_timelines":
        shown = {k: g for k, g in results["groups"].items() if not g.get("withheld")}
        survival = pd.DataFrame({"Week": range(157), **{k: g["survival"] for k, g in shown.items()}})
        _sheet(wb, "Survival", "Share still on the initial JSA claim, by week", survival)
        for i, (name, g) in enumerate(shown.items(), start=1):
            monthly = pd.DataFrame({"Month": range(36), **g["monthly"]})
            _sheet(wb, f"Monthly_{i}", f"Share on each out-of-work benefit by month: {name}", monthly)
        summary = pd.DataFrame([{"Group": k, "People (rounded)": g["people"],
                                 "Share of three years on benefit": g.get("share_on_benefit"),
                                 "Lower 95% limit": (g.get("share_ci") or [None])[0],
                                 "Upper 95% limit": (g.get("share_ci") or [None, None])[1],
                                 "Note": g.get("withheld") or ""} for k, g in results["groups"].items()])
        _sheet(wb, "Time_on_benefit", "Share of the three years on any out-of-work benefit", summary)
    else:
        rows = []
        for r in results["rows"]:
            base = {"Sentence": r["sentence_group"], "Design": r["design"], "People (rounded)": r["people"]}
            for key, label in (("rate", "Reoffending"), ("days_free", "Days free of reoffending")):
                e = r.get(key) or {}
                rows.append({**base, "Measure": label, "Employed": e.get("treated_value"),
                             "Not employed (weighted)": e.get("comparison_value"), "Difference": e.get("difference"),
                             "Lower 95% limit": e.get("ci_low"), "Upper 95% limit": e.get("ci_high"),
                             "p-value": e.get("p_value"),
                             "True effect": r.get("truth_rate") if key == "rate" else r.get("truth_days_free"),
                             "Note": r.get("withheld") or ""})
        _sheet(wb, "Designs", "Employed minus matched not employed, by sentence length and design", pd.DataFrame(rows))
    wb.save(path)
    return path


def write_employment_report(results: dict, out: Path, pdf: bool = False) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    assets = out / "charts"
    assets.mkdir(exist_ok=True)
    context = {"title": TITLES[results["analysis"]], "published": published_date(),
               "provenance": results["provenance"], "source": results.get("source"),
               "timelines": None, "timeline_charts": [], "design_rows": None, "design_charts": []}
    if results["analysis"] == "benefit_timelines":
        context["timelines"] = _timeline_rows(results["groups"])
        if any(not g.get("withheld") for g in results["groups"].values()):
            context["timeline_charts"] = [
                _img(*survival_chart(results["groups"], assets / "claim_survival.png")),
                _img(*monthly_chart(results["groups"], assets / "monthly_benefits.png"))]
    else:
        context["design_rows"] = _design_rows(results["rows"])
        context["has_truth"] = any("truth_rate" in r for r in results["rows"])
        if any("rate" in r for r in results["rows"]):
            context["design_charts"] = [_img(*design_forest(results["rows"], assets / "forest_by_sentence.png"))]
    html = TEMPLATES.get_template("employment.html.j2").render(**context)
    paths = {"html": out / "report.html", "annex": out / "annex.xlsx", "results": out / "results.json"}
    paths["html"].write_text(html, encoding="utf-8")
    paths["results"].write_text(json.dumps(jsonable(results), indent=2, sort_keys=True, default=str) + "\n",
                                encoding="utf-8")
    _annex(results, paths["annex"])
    if pdf:
        paths["pdf"] = write_pdf(html, out / "report.pdf", out)
    return paths
