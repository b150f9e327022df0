"""The report: HTML (Jinja2), PDF (WeasyPrint, tagged PDF/UA from the same HTML) and the Excel annex.

Everything here reads results.json only, so a report can be rebuilt from any earlier analysis.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from ..linkage.outputs import flow_diagram
from ..matching.balance import THRESHOLDS
from . import wording as w
from .charts import forest_plot, headline_chart, love_chart, overlap_chart, size_forest_plot, summary_chart
from .disclosure import whole_percent, withheld_symbol
from .labels import adaptation_lines, category_order, plain, readable

TABLE_TITLES = {
    1: "Proportion of people who committed a proven reoffence in a one-year period (%)",
    2: "Number of proven reoffences committed in a one-year period (offences per person)",
    3: "Average time to first proven reoffence in a one-year period, reoffenders only (days)",
    4: "Proportion with first proven reoffence by court outcome, reoffenders only (%)",
    5: "Number of proven reoffences in a one-year period by court outcome, reoffenders only (per person)",
    6: "Proportion who received a custodial sentence for their first proven reoffence, reoffenders only (%)",
    7: "Number of custodial sentences received in a one-year period, reoffenders only (per person)",
    8: "Proportion with P45 employment in the one-year period (%)",
    9: "Average number of days in P45 employment in the one-year period (days)",
    10: "Average number of days on out-of-work benefits in the one-year period (days)",
}
MEASURE_LIST = ["Rate of reoffending", "Frequency of reoffending", "Time to first reoffence",
                "Rate of first reoffence by court outcome", "Frequency of reoffences by court outcome",
                "Rate of custodial sentencing for first reoffence", "Frequency of custodial sentencing",
                "Employment: share in P45 employment", "Employment: days in P45 employment",
                "Benefits: days on out-of-work benefits"]
SIZE_CONVENTION = "a two-sided test at the 5% level with 95% power, the comparison group's size held fixed"


def _img(path: Path, alt: str, caption: str | None = None) -> dict:
    return {"src": "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode(), "alt": alt,
            "caption": caption or alt, "file": path.name}


def _measure(analysis: dict, key: str, court: str | None = None) -> dict:
    return next(m for m in analysis["measures"] if m["measure"] == key and m.get("court_outcome") == court)


def status(analysis: dict, m: dict) -> str:
    """Primary: the national one-year rate, fixed before the analysis; secondary: the other national
    measures; exploratory: every regional analysis and sub-analysis."""
    if analysis.get("region") is None and not analysis.get("subgroup"):
        return "primary" if m["measure"] == "rate" else "secondary"
    return "exploratory"


def _tables(analyses: list[dict]) -> list[dict]:
    tables = []
    for number, title in TABLE_TITLES.items():
        rows = []
        for a in analyses:
            mine = []
            for m in [m for m in a["measures"] if m["table"] == number]:
                row = {"analysis": a["name"], "n_t": f"{m['n_treated']:,}", "n_c": f"{m['n_comparison']:,}",
                       "court": m.get("court_outcome") or "", "withheld": m.get("withheld"),
                       "symbol": withheld_symbol(m.get("withheld")), "status": status(a, m)}
                if not m.get("withheld"):
                    row.update(t=w.value(m["kind"], m["treated_value"]), c=w.value(m["kind"], m["comparison_value"]),
                               low=w.value(m["kind"], m["ci_low"]), high=w.value(m["kind"], m["ci_high"]),
                               sig="Yes" if w.significant(m) else "No", p=w.p_value(m["p_value"]),
                               direction=w.direction(m))
                mine.append(row)
            # every court outcome of an analysis withheld for one reason: one row says so, not three
            if len(mine) > 1 and len({(r["withheld"], r["n_t"], r["n_c"]) for r in mine}) == 1 and mine[0]["withheld"]:
                mine = [{**mine[0], "court": "All"}]
            rows += mine
        if any(not r["withheld"] for r in rows) or number <= 3:
            tables.append({"number": number, "title": title, "court": number in (4, 5), "rows": rows})
    return tables


def _shares(d: dict, kind: str) -> str:
    keys = category_order(kind, [k for k in d if "(combined)" not in k or d[k]])
    names = {"M": "Male", "F": "Female"}
    return ", ".join(f"{names.get(k, k)} {d[k]}%" for k in keys)


def _profile(p: dict) -> list[str]:
    return [_shares(p["sex"], "sex"), _shares(p["ethnicity"], "ethnicity"), _shares(p["nationality"], "nationality"),
            f"Aged {p['age_min']} to {p['age_max']} at the beginning of their one-year period (average age "
            f"{p['age_mean']})", "Sentence: " + _shares(p["sentence"], "sentence")]


def _needs(p: dict, treated: int) -> dict:
    if not p.get("assessed"):
        return {}
    order = sorted(p["needs"].items(), key=lambda kv: -kv[1])
    return {"assessed": p["assessed"], "share": whole_percent(p["assessed"] / max(treated, 1)),
            "lines": [f"{v}% {plain(k, need_sentence=True)}" for k, v in order]}


def _not_included(rows: list[dict]) -> tuple[list[str], int]:
    frame = pd.DataFrame(rows)
    if frame.empty:
        return [], 0
    lines = []
    for char, kind in (("gender", "sex"), ("ethnicity", "ethnicity"), ("nationality", "nationality")):
        part = frame[frame["characteristic"] == char]
        lines.append(_shares({r.value: f"{r.percent:.0f}" for r in part.itertuples()}, kind))
    # the count the percentages are based on (people with information), not records
    return lines, int(frame.loc[frame["characteristic"] == "gender", "people"].sum())


def _analysis_name(a: dict) -> str:
    return "national analysis" if a["region"] is None and not a.get("subgroup") else f"{a['name']} analysis"


def _matching_summary(a: dict) -> dict:
    bal = pd.DataFrame(a["balance"])
    bal = bal[bal["variable"] != "distance"]
    smd = bal["smd_after"].abs()
    well, fair, poor = (bal[smd < THRESHOLDS[0]], bal[(smd >= THRESHOLDS[0]) & (smd < THRESHOLDS[1])],
                        bal[smd >= THRESHOLDS[1]])
    model = _analysis_name(a)
    if len(well) == len(bal):
        text = f"In the {model}, all {len(bal)} variables were well matched."
    else:
        text = f"In the {model}, {len(well)} of {len(bal)} variables were well matched."
        if len(fair):
            text += (f" {len(fair)} {'was' if len(fair) == 1 else 'were'} reasonably matched: "
                     + ", ".join(plain(v) for v in fair["variable"]) + ".")
        if len(poor):
            text += (f" {len(poor)} {'was' if len(poor) == 1 else 'were'} poorly matched: "
                     + ", ".join(f"{plain(v)} ({abs(s):.2f})" for v, s in zip(poor["variable"], poor["smd_after"]))
                     + ".")
    return {"text": text, "adaptations": adaptation_lines(a)}


def _matching_summaries(analyses: list[dict]) -> dict:
    """Each analysis's balance in words; adaptations made in every analysis are listed once, not per analysis."""
    matching = [_matching_summary(a) for a in analyses]
    if len(matching) < 2:
        return {"matching": matching, "common_adaptations": []}
    common = [line for line in matching[0]["adaptations"] if all(line in m["adaptations"] for m in matching)]
    for m in matching:
        m["adaptations"] = [line for line in m["adaptations"] if line not in common]
    return {"matching": matching, "common_adaptations": common}


def _people_flow(results: dict) -> list[str]:
    """Records and people kept apart: '301 records were submitted ..., corresponding to 296 people'."""
    steps = {r["step"]: r["people"] for r in results["attrition"]}
    sub = results.get("submission", {})
    records, people = sub.get("records", steps["submitted"]), sub.get("distinct_people", steps["submitted"])
    org = results["programme"].get("organisation") or "the organisation"
    out = [f"{w.count(records, 'records')} {'was' if records == 1 else 'were'} submitted for analysis by {org}" +
           (f", corresponding to {w.count(people, 'people')}." if people != records else ".")]

    def pct(n):
        share = 100 * n / max(people, 1)
        return "<1%" if 0 < share < 0.5 else f"{whole_percent(n / max(people, 1))}%"
    for r in results["attrition"]:
        n, step = r["people"], r["step"]
        if not n or step in ("submitted", "treatment_group", "could_not_be_matched"):
            continue
        if step == "duplicate":
            out.append(f"{w.count(n, 'records')} {'was a further record' if n == 1 else 'were further records'} "
                       f"of people already listed, and {'was' if n == 1 else 'were'} not counted twice.")
        elif step == "invalid":
            out.append(f"{w.count(n, 'records')} could not be used because {'its' if n == 1 else 'their'} details "
                       f"could not be read.")
        else:
            verb = "was" if n == 1 else "were"
            out.append(f"{w.count(n, 'people')} ({pct(n)}) {verb} excluded because they {r['description']}.")
    group = steps.get("treatment_group", 0)
    out.append(f"{w.count(group, 'people')} ({pct(group)} of the people submitted) remained in the treatment "
               f"group before matching.")
    for a in results["analyses"]:
        lost = a["treated"] - a["treated_matched"]
        where = _analysis_name(a)
        if lost:
            out.append(f"{w.count(lost, 'people')} could not be matched to similar people in the {where} "
                       f"({a['treated_matched']:,} of {a['treated']:,} analysed).")
        elif a.get("subgroup"):
            out.append(f"The {where} included all {w.count(a['treated'], 'people')} recorded with that value.")
        elif a["region"] is not None:
            out.append(f"The {where} included all {w.count(a['treated'], 'people')} from the region.")
        else:
            out.append("Every person in the treatment group was matched in the national analysis.")
    national = results["analyses"][0]
    out.append(f"The national treatment group contains {pct(national['treated_matched'])} of the people submitted.")
    return out


def significant_results(analyses: list[dict]) -> dict:
    groups, tests = [], 0
    for a in analyses:
        items = []
        for m in a["measures"]:
            if m.get("withheld"):
                continue
            tests += 1
            if w.significant(m) and (m["ci_high"] < 0 or m["ci_low"] > 0):
                d = w.direction(m)
                items.append({"text": w.finding(m), "adverse": d == "worsening", "status": status(a, m),
                              "figures": f"{w.value(m['kind'], m['treated_value'])}"
                                         f"{'%' if m['kind'] == 'rate' else ''} vs "
                                         f"{w.value(m['kind'], m['comparison_value'])}"
                                         f"{'%' if m['kind'] == 'rate' else ''}"})
        if items:
            groups.append({"analysis": a["name"], "items": items})
    count = sum(len(g["items"]) for g in groups)
    adverse = [f"{g['analysis']}: {i['text'].lower()} ({i['figures']})" for g in groups for i in g["items"]
               if i["adverse"]]
    return {"groups": groups, "count": count, "tests": tests, "expected_false": round(0.05 * tests, 1),
            "adverse": adverse}


def _summary_rows(rate: dict, freq: dict, ttf: dict) -> list[dict]:
    rows = []
    for m, label, unit, scale in ((rate, "People reoffending, per 100", "people", 100),
                                  (freq, "Reoffences, per 100 people", "offences", 100),
                                  (ttf, "Days to first reoffence (reoffenders)", "days", 1)):
        if m.get("withheld"):
            continue
        up, down = ("longer", "shorter") if unit == "days" else ("higher", "lower")
        rows.append({"label": label, "treated": round(scale * m["treated_value"]),
                     "comparison": round(scale * m["comparison_value"]),
                     "range": w.range_words(scale * m["ci_low"], scale * m["ci_high"], unit, up, down),
                     "significant": w.significant(m), "difference": scale * m["difference"],
                     "ci_low": scale * m["ci_low"], "ci_high": scale * m["ci_high"], "unit": unit,
                     "better": w.direction(m) == "improvement"})
    return rows


def _forest_rows(analyses: list[dict], kind: str) -> list[dict]:
    rows = []
    for a in analyses:
        for m in a["measures"]:
            if m.get("withheld") or m["kind"] != kind:
                continue
            scale = 100 if kind == "rate" else 1
            label = f"{a['name']}: T{m['table']} {plain(m['measure'])}" + (
                f" ({m['court_outcome']})" if m.get("court_outcome") else "")
            rows.append({"label": label, "difference": scale * m["difference"], "ci_low": scale * m["ci_low"],
                         "ci_high": scale * m["ci_high"], "significant": w.significant(m),
                         "better": w.direction(m) == "improvement"})
    return rows


def _flow_frame(results: dict) -> pd.DataFrame:
    """The attrition steps for the flow diagram, with records and people kept apart."""
    frame = pd.DataFrame(results["attrition"])
    sub = results.get("submission", {})
    records, people = sub.get("records"), sub.get("distinct_people")
    frame = frame[frame["step"] != "duplicate"].copy()
    if records and people:
        first = frame["step"] == "submitted"
        frame.loc[first, "people"] = records
        frame.loc[first, "description"] = (f"records were submitted for analysis, corresponding to {people:,} people"
                                           if records != people else "people were submitted for analysis")
        frame["percent_of_submitted"] = (100 * frame["people"] / max(people, 1)).round(1)
    return frame


def published_day() -> dt.date:
    """Today, or SOURCE_DATE_EPOCH's date (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date() if epoch else dt.date.today()


def published_date() -> str:
    day = published_day()
    return f"{day.day} {day:%B %Y}"


def report_period(results: dict) -> tuple[int, int]:
    """(follow-up years, waiting days) of an analysis; results from before the option are one year, 183 days."""
    config = results["provenance"]["configuration"]
    return int(config.get("follow_up_years", 1)), int(config.get("waiting_days", 183))


def build_context(results: dict, assets: Path, response: str | None = None, history: list[dict] | None = None) -> dict:
    results = readable(results)
    national = results["analyses"][0]
    follow_up = report_period(results)
    name = results["programme"].get("programme") or "the programme"
    rate, freq = _measure(national, "rate"), _measure(national, "frequency")
    ttf = _measure(national, "time_to_first")
    headline = [rate, freq, ttf]
    charts = []
    for m, title, kind in ((rate, "One-year proven reoffending rate", "rate"),
                           (freq, "One-year proven reoffending frequency", "frequency"),
                           (ttf, "Average time to first proven reoffence", "days")):
        if not m.get("withheld"):
            charts.append(_img(*headline_chart(m, w.for_period(title, *follow_up), kind, assets / f"headline_{kind}.png")))
    forests = []
    for kind, label, unit in (("rate", "rates", "percentage points"), ("frequency", "frequencies", "per person")):
        rows = _forest_rows(results["analyses"], kind)
        if rows:
            path, alt = forest_plot(rows, f"Every measure of {label} in every analysis",
                                    f"Difference ({unit}) with 95% interval", assets / f"forest_{label}.png")
            forests.append(_img(path, alt, f"Differences in {label} between the groups, with 95% intervals. "
                                           "Significant results are marked 'better' or 'worse' beside the row "
                                           "(and drawn as diamonds); grey circles are not significant."))
    summary_rows = _summary_rows(rate, freq, ttf)
    summary_img = _img(*summary_chart(summary_rows, assets / "summary.png"))
    love = _img(*love_chart(national["balance"], assets / "love_plot_national.png", plain))
    overlap = _img(*overlap_chart(national["overlap"], assets / "overlap_national.png")) \
        if national.get("overlap") else None
    flow = flow_diagram(_flow_frame(results), assets / "attrition_flow.png")
    this = [p for p in (rate_point(a, this_report=True) for a in results["analyses"]) if p]
    size_forest = _img(*size_forest_plot(this + history, assets / "rate_effects_by_size.png")) if history else None
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
    not_included, not_included_count = _not_included(results["not_included"]["profile"])
    mde = national.get("minimum_detectable_rate_difference")
    period = results["programme"].get("support_period")
    return {
        "name": name, "programme": results["programme"], "provenance": results["provenance"],
        "config": type("C", (), results["provenance"]["configuration"]), "published": published_date(), "published_iso": published_day().isoformat(),
        "draft": response is None, "support_period": period,
        "verdict": w.verdict(headline, name), "national": national, "analyses": results["analyses"],
        "sub_analyses_not_run": results.get("sub_analyses_not_run", []),
        "comparison_ess": round(national.get("comparison_ess") or 0),
        "hundred": w.hundred_people(rate, freq, ttf), "summary_rows": summary_rows, "summary_chart": summary_img,
        "impacts": impacts, "rounding_note": w.ROUNDING_NOTE, "statements": statements,
        "needed": national.get("treatment_size_needed_for_rate"), "size_convention": SIZE_CONVENTION,
        "mde": None if mde is None else round(100 * mde, 1),
        "significant": significant_results(results["analyses"]),
        # Tables 8-10 (employment and benefits) only in results that have them (older results do not)
        "labour": (labour := any(m["table"] >= 8 for a in results["analyses"] for m in a["measures"])),
        "measure_list": MEASURE_LIST if labour else MEASURE_LIST[:7],
        "headline_charts": charts, "forests": forests, "tables": _tables(results["analyses"]),
        "se_method": rate.get("se_method", ""), "profile": _profile(national["profile"]),
        "needs": _needs(national["profile"], national["treated_matched"]),
        "not_included": not_included, "not_included_count": not_included_count,
        "without_information": results["not_included"]["without_information"],
        **_matching_summaries(results["analyses"]), "thresholds": THRESHOLDS,
        "love": love, "overlap": overlap, "attrition": _people_flow(results),
        "flow": _img(flow, "Flow of people from submission to the treatment group: "
                     + "; ".join(_people_flow(results)[:3])[:400],
                     "Numbers of people from submission to the treatment group."),
        "size_forest": size_forest, "response": response, "linkage_quality": results.get("linkage", {}),
        "follow_up": follow_up,
    }


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


TEMPLATES = Environment(loader=PackageLoader("justicelab.report", "templates"),
                        autoescape=select_autoescape(["j2", "html"]))


def render_html(context: dict) -> str:
    html = TEMPLATES.get_template("report.html.j2").render(**context)
    return w.for_period(html, *context.get("follow_up", (1, 183)))  # a two-year analysis says so throughout


def write_pdf(html: str, path: Path, base: Path) -> Path:
    """A tagged PDF (PDF/UA-1): headings, tables and images with their alt text reach screen readers."""
    from weasyprint import HTML

    HTML(string=html, base_url=str(base)).write_pdf(path, pdf_variant="pdf/ua-1")
    return path


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
        paths["pdf"] = write_pdf(html, out / "report.pdf", out)
    return paths
