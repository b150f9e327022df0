"""The report: HTML (Jinja2), PDF (WeasyPrint, from the same HTML) and the Excel annex, all generated."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from ..linkage.outputs import flow_diagram
from ..matching.plots import love_plot
from ..matching.balance import BalanceTable
from . import wording as w
from .charts import forest_plot, headline_chart, size_forest_plot

TABLE_TITLES = {
    1: "Proportion of people who committed a proven reoffence in a one-year period (%)",
    2: "Number of proven reoffences committed in a one-year period (offences per person)",
    3: "Average time to first proven reoffence in a one-year period, reoffenders only (days)",
    4: "Proportion with first proven reoffence by court outcome, reoffenders only (%)",
    5: "Number of proven reoffences in a one-year period by court outcome, reoffenders only (per person)",
    6: "Proportion who received a custodial sentence for their first proven reoffence, reoffenders only (%)",
    7: "Number of custodial sentences received in a one-year period, reoffenders only (per person)",
}


def _img(path: Path, alt: str) -> dict:
    return {"src": "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode(), "alt": alt,
            "file": path.name}


def _measure(analysis: dict, key: str, court: str | None = None) -> dict:
    return next(m for m in analysis["measures"] if m["measure"] == key and m.get("court_outcome") == court)


def _tables(analyses: list[dict]) -> list[dict]:
    tables = []
    for number, title in TABLE_TITLES.items():
        rows = []
        for a in analyses:
            for m in [m for m in a["measures"] if m["table"] == number]:
                row = {"analysis": a["name"], "n_t": f"{m['n_treated']:,}", "n_c": f"{m['n_comparison']:,}",
                       "court": m.get("court_outcome") or "", "withheld": m.get("withheld")}
                if not m.get("withheld"):
                    row.update(t=w.value(m["kind"], m["treated_value"]), c=w.value(m["kind"], m["comparison_value"]),
                               range=w.interval(m["kind"], m["ci_low"], m["ci_high"]),
                               sig="Yes" if w.significant(m) else "No", p=w.p_value(m["p_value"]),
                               direction=w.direction(m, lower_is_better=m["measure"] != "time_to_first"))
                rows.append(row)
        tables.append({"number": number, "title": title, "court": number in (4, 5), "rows": rows})
    return tables


def _profile_lines(p: dict) -> list[str]:
    def join(d):
        return ", ".join(f"{k} {v}%" for k, v in d.items())
    lines = [f"Sex: {join({('Male' if k == 'M' else 'Female'): v for k, v in p['sex'].items()})}",
             f"Ethnicity: {join(p['ethnicity'])}", f"Nationality: {join(p['nationality'])}",
             f"Aged {p['age_min']} to {p['age_max']} at the beginning of their one-year period (average age {p['age_mean']})",
             f"Sentence: {join(p['sentence'])}"]
    labels = {"need_finance": "had some problems with financial management", "need_coping":
              "had significant difficulties in coping", "need_problem_solving":
              "had significant issues in problem solving skills", "need_accommodation": "had accommodation needs",
              "need_ete": "had education, training or employment needs", "need_drugs": "had drug misuse needs",
              "need_alcohol": "had alcohol misuse needs"}
    if p.get("assessed"):
        lines.append(f"Information on risks and needs was available for {p['assessed']} people: " +
                     "; ".join(f"{v}% {labels[k]}" for k, v in p["needs"].items()))
    return lines


def _not_included_lines(rows: list[dict]) -> list[str]:
    frame = pd.DataFrame(rows)
    if frame.empty:
        return []
    out = []
    for char, title in (("gender", "Sex"), ("ethnicity", "Ethnicity"), ("nationality", "Nationality")):
        part = frame[frame["characteristic"] == char]
        names = {"M": "Male", "F": "Female"} if char == "gender" else {}
        out.append(f"{title}: " + ", ".join(f"{names.get(r.value, r.value)} {r.percent:.0f}%" for r in part.itertuples()))
    return out


def _matching_summary(analyses: list[dict]) -> list[str]:
    lines = []
    for a in analyses:
        model = "national model" if a["region"] is None else f"{a['region']} regional model"
        if a["all_well_matched"]:
            lines.append(f"All variables in the {model} were well matched")
        else:
            lines.append(f"Not all variables in the {model} were well matched: the largest standardised difference "
                         f"is {a['largest_smd']:.2f} ({a['largest_smd_variable']})")
    return lines


def rate_point(analysis: dict, this_report: bool = False) -> dict | None:
    """One analysis's rate effect in percentage points, for the plot against treatment group size."""
    rate = next((m for m in analysis["measures"] if m["measure"] == "rate" and not m.get("withheld")), None)
    if rate is None:
        return None
    return {"treated": analysis["treated_matched"], "difference": 100 * rate["difference"],
            "ci_low": 100 * rate["ci_low"], "ci_high": 100 * rate["ci_high"], "significant": w.significant(rate),
            "this_report": this_report}


def results_history(folder: Path | None) -> list[dict]:
    """Rate effects of every analysis in a folder of earlier results.json files (the data lab's database)."""
    if folder is None or not folder.exists():
        return []
    points = []
    for path in sorted(folder.rglob("results.json")):
        for analysis in json.loads(path.read_text(encoding="utf-8")).get("analyses", []):
            point = rate_point(analysis)
            if point:
                points.append(point)
    return points


def build_context(results: dict, assets: Path, response: str | None = None, history: list[dict] | None = None) -> dict:
    national = results["analyses"][0]
    name = results["programme"].get("programme") or "the programme"
    rate, freq = _measure(national, "rate"), _measure(national, "frequency")
    ttf = _measure(national, "time_to_first")
    charts = []
    for m, title, kind in ((rate, "One-year proven reoffending rate", "rate"),
                           (freq, "One-year proven reoffending frequency", "frequency"),
                           (ttf, "Average time to first proven reoffence", "days")):
        if not m.get("withheld"):
            charts.append(_img(*headline_chart(m, title, kind, assets / f"headline_{kind}.png")))
    forests = []
    for kinds, label, unit, fname in ((("rate",), "rates", "percentage points", "forest_rates.png"),
                                      (("frequency",), "frequencies", "per person", "forest_frequencies.png")):
        rows = []
        for a in results["analyses"]:
            for m in a["measures"]:
                if m.get("withheld") or m["kind"] not in kinds:
                    continue
                scale = 100 if m["kind"] == "rate" else 1
                name_ = f"{a['name']}: T{m['table']} {m['measure'].replace('_', ' ')}" + (
                    f" ({m['court_outcome']})" if m.get("court_outcome") else "")
                rows.append({"label": name_, "difference": scale * m["difference"], "ci_low": scale * m["ci_low"],
                             "ci_high": scale * m["ci_high"], "significant": w.significant(m),
                             "better": m["difference"] < 0})
        if rows:
            forests.append(_img(*forest_plot(rows, f"Every measure of {label} in every analysis",
                                             f"Difference ({unit}) with 95% interval", assets / fname)))
    table = BalanceTable(pd.DataFrame(national["balance"]).set_index("variable"))
    love = love_plot(table, assets / "love_plot_national.png", "Balance of the national analysis")
    flow = flow_diagram(pd.DataFrame(results["attrition"]), assets / "attrition_flow.png")
    points = [p for p in (rate_point(a, this_report=True) for a in results["analyses"]) if p] + (history or [])
    impacts = [w.impact_sentence(rate, "people"), w.impact_sentence(freq, "offences")]
    if not ttf.get("withheld"):
        impacts.append(w.impact_sentence(ttf, "days", scale=1))
    statements = []
    for m, key, about in ((rate, "rate", "the one-year reoffending rate"),
                          (freq, "frequency", "the one-year reoffending frequency"),
                          (ttf, "time_to_first", "the time to first reoffence")):
        if not m.get("withheld"):
            can, cannot = w.can_cannot_say(m, name, key)
            statements.append({"about": about, "can": can, "cannot": cannot})
    excluded = [r for r in results["attrition"] if r["step"] not in ("submitted", "treatment_group")]
    return {
        "name": name, "programme": results["programme"], "provenance": results["provenance"],
        "linkage_quality": results.get("linkage", {}),
        "config": type("C", (), results["provenance"]["configuration"]),
        "summary": (f"This analysis looked at the reoffending behaviour of {national['treated_matched']} people who "
                    f"took part in {name}."),
        "national": national, "analyses": results["analyses"], "hundred": w.hundred_people(rate, freq, ttf),
        "impacts": impacts, "rounding_note": w.ROUNDING_NOTE, "statements": statements,
        "needed": national.get("treatment_size_needed_for_rate"), "headline_charts": charts, "forests": forests,
        "tables": _tables(results["analyses"]), "se_method": rate.get("se_method", ""),
        "profile": _profile_lines(national["profile"]),
        "not_included": _not_included_lines(results["not_included"]["profile"]),
        "not_included_count": sum(r["people"] for r in excluded) - results["not_included"]["without_information"],
        "without_information": results["not_included"]["without_information"],
        "matching_summary": _matching_summary(results["analyses"]), "love": _img(love, "Absolute standardised "
        "differences of every matching variable before and after matching, national analysis."),
        "attrition": results["attrition_sentences"] + [
            f"{national['could_not_be_matched']} people could not be matched in the national analysis"],
        "flow": _img(flow, "Flow of people from submission to the treatment group, with the number excluded at "
                           "each step."),
        "size_forest": _img(*size_forest_plot(points, assets / "rate_effects_by_size.png")),
        "response": response,
    }


TEMPLATES = Environment(loader=PackageLoader("justicelab.report", "templates"),
                        autoescape=select_autoescape(["j2", "html"]))


def render_html(context: dict) -> str:
    return TEMPLATES.get_template("report.html.j2").render(**context)


def write_report(results: dict, out: Path, response: str | None = None, history: list[dict] | None = None,
                 pdf: bool = True) -> dict[str, Path]:
    from .excel import write_annex

    out.mkdir(parents=True, exist_ok=True)
    assets = out / "charts"
    assets.mkdir(exist_ok=True)
    context = build_context(results, assets, response, history)
    html = render_html(context)
    paths = {"html": out / "report.html", "annex": out / "annex.xlsx", "results": out / "results.json"}
    paths["html"].write_text(html, encoding="utf-8")
    paths["results"].write_text(json.dumps(results, indent=2, default=str, sort_keys=True) + "\n", encoding="utf-8")
    write_annex(results, paths["annex"])
    if pdf:
        from weasyprint import HTML

        paths["pdf"] = out / "report.pdf"
        HTML(string=html, base_url=str(out)).write_pdf(paths["pdf"])
    return paths
