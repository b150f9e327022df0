"""The Excel annex: an accessible statistical workbook (cover, contents, notes, one table per sheet).

Follows the Analysis Function's guidance for releasing statistics in spreadsheets: no merged cells, one
table per sheet starting at A1-A3 with a title, headers in one row, notes referenced in a notes sheet,
no colour-only meaning. Text that came from a user (programme name, description) is neutralised
against formula injection.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableStyleInfo

from . import wording as w
from .disclosure import suppress, withheld_symbol
from .labels import plain, readable

P_FORMAT = '[<0.01]"<0.01";0.00'  # a number in the cell, shown as the report shows it

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value):
    """Cells a spreadsheet would run as a formula get a leading apostrophe (formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _sheet(wb: Workbook, name: str, title: str, frame: pd.DataFrame, note: str | None = None) -> None:
    ws = wb.create_sheet(name)
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = note or "This worksheet contains one table."
    start = 3
    for j, col in enumerate(frame.columns, start=1):
        ws.cell(row=start, column=j, value=str(col)).font = Font(bold=True)
    p_col = list(frame.columns).index("p-value") + 1 if "p-value" in frame.columns else None
    for i, rec in enumerate(frame.itertuples(index=False), start=start + 1):
        for j, v in enumerate(rec, start=1):
            cell = ws.cell(row=i, column=j, value=safe(None if pd.isna(v) else v) if not isinstance(v, (list, dict))
                           else str(v))
            if j == p_col and isinstance(v, float):
                cell.number_format = P_FORMAT
    if len(frame):
        ref = f"A{start}:{ws.cell(row=start + len(frame), column=len(frame.columns)).coordinate}"
        table = Table(displayName=name.replace(" ", "_"), ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
        ws.add_table(table)
    for j, col in enumerate(frame.columns, start=1):
        ws.column_dimensions[ws.cell(row=start, column=j).column_letter].width = max(12, min(50, len(str(col)) + 4))


def _measures_frame(results: dict, table: int) -> pd.DataFrame:
    rows = []
    for a in results["analyses"]:
        for m in a["measures"]:
            if m["table"] != table:
                continue
            row = {"Analysis": a["name"], "Court outcome": m.get("court_outcome") or "",
                   "Number in treatment group": m["n_treated"], "Number in comparison group": m["n_comparison"]}
            if m.get("withheld"):
                x = withheld_symbol(m["withheld"])
                row.update({"Treatment group": x, "Comparison group": x, "Difference": x, "Lower 95% limit": x,
                            "Upper 95% limit": x, "Significant": x, "p-value": x, "Note": f"Not shown: {m['withheld']}"})
            else:
                scale = 100 if m["kind"] == "rate" else 1
                row.update({"Treatment group": round(scale * m["treated_value"], 2),
                            "Comparison group": round(scale * m["comparison_value"], 2),
                            "Difference": round(scale * m["difference"], 2),
                            "Lower 95% limit": round(scale * m["ci_low"], 2),
                            "Upper 95% limit": round(scale * m["ci_high"], 2),
                            "Significant": "Yes" if w.significant(m) else "No", "p-value": float(m["p_value"]),
                            "Note": m["se_method"]})
            rows.append(row)
    frame = pd.DataFrame(rows)
    if table not in (4, 5):
        frame = frame.drop(columns=["Court outcome"], errors="ignore")  # older results have no Tables 8-10
    return frame


def _sizes_frame(results: dict) -> pd.DataFrame:
    return pd.DataFrame([{"Analysis": a["name"], "Controlled for region": "Yes" if a["region"] else "No",
                          "Treatment group size": a["treated_matched"], "Comparison group size": a["comparison"],
                          "Comparison group effective size": round(a.get("comparison_ess") or 0),
                          "Reoffenders in treatment group": a["reoffenders_treated"],
                          "Reoffenders in comparison group": a["reoffenders_comparison"],
                          "Could not be matched": a["treated"] - a["treated_matched"]} for a in results["analyses"]])


def _profile_frame(profile: dict) -> pd.DataFrame:
    rows = [{"Characteristic": char, "Category": k, "Percent": v} for char in ("sex", "ethnicity", "nationality",
                                                                             "sentence")
            for k, v in profile[char].items() if "(combined)" not in k]
    rows += [{"Characteristic": "age", "Category": label, "Percent": profile[key]}
             for key, label in (("age_min", "youngest"), ("age_max", "oldest"), ("age_mean", "average"))]
    return pd.DataFrame(rows)


def write_annex(results: dict, path: Path) -> Path:
    from .build import TABLE_TITLES
    results = readable(results)
    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    name = results["programme"].get("programme") or "the programme"
    from .build import published_date

    lines = [f"Justice Data Lab analysis: {name} (annex)", "", f"Published: {published_date()}",
             "Contact: the Justice Data Lab team" + (f"; {results['programme']['contact']}"
                                                     if results["programme"].get("contact") else ""),
             "This workbook holds the tables of the report, group characteristics and standardised differences "
             "for every analysis, and the numbers of people at each step.",
             f"Data snapshot: {results['provenance']['data_snapshot']}",
             f"Produced by justicelab {results['provenance']['package_version']} "
             f"({results['provenance']['code_version']}).",
             "Rates are percentages; differences in rates are percentage points. [x] means not shown (see Notes)."]
    for i, line in enumerate(lines, start=1):
        cover.cell(row=i, column=1, value=safe(line))
    cover["A1"].font = Font(bold=True, size=14)
    sheets = [("Sizes", "Sizes of the treatment and comparison groups, effective sizes and reoffenders"),
              ("Profile_included", "Profile of the treatment group (national analysis)"),
              ("Profile_not_included", "Profile of participants not included in the analysis")]
    sheets += [("Table_" + str(n), f"Table {n}: {t}") for n, t in TABLE_TITLES.items()]
    sheets += [(f"Balance_{i + 1}", f"Group characteristics and standardised differences: {a['name']}")
               for i, a in enumerate(results["analyses"])]
    sheets += [("Attrition", "Numbers of people at each step"), ("Notes", "Notes")]
    contents = wb.create_sheet("Contents")
    contents["A1"] = "Contents"
    contents["A1"].font = Font(bold=True, size=14)
    contents.append(["Sheet", "Title"])
    for s, t in sheets:
        contents.append([s, t])
        link = contents.cell(row=contents.max_row, column=1)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{s}'!A1", display=s)
        link.style = "Hyperlink"
    _sheet(wb, "Sizes", sheets[0][1], _sizes_frame(results))
    _sheet(wb, "Profile_included", sheets[1][1], _profile_frame(results["analyses"][0]["profile"]),
           "Percentages of the people in the national analysis's treatment group, rounded to whole numbers.")
    ni = pd.DataFrame(results["not_included"]["profile"])
    if len(ni):
        ni = ni.rename(columns={"characteristic": "Characteristic", "value": "Category", "people": "People",
                                "percent": "Percent"})
        ni["People"] = ni["People"].map(suppress)
    _sheet(wb, "Profile_not_included", sheets[2][1], ni,
           "People whose details were submitted but who were not analysed, where information is available. "
           "[c]: fewer than 11 people.")
    for n, title in TABLE_TITLES.items():
        _sheet(wb, f"Table_{n}", f"Table {n}: {title}", _measures_frame(results, n))
    for i, a in enumerate(results["analyses"]):
        bal = pd.DataFrame(a["balance"])[["variable", "mean_treated_before", "mean_comparison_before", "smd_before",
                                          "mean_treated_after", "mean_comparison_after", "smd_after", "label_after"]]
        bal["variable"] = bal["variable"].map(lambda v: "Propensity score (logit)" if v == "distance" else plain(v))
        bal = bal.rename(columns={"variable": "Variable", "mean_treated_before": "Treatment mean (before)",
                                  "mean_comparison_before": "Comparison mean (before)",
                                  "smd_before": "Standardised difference (before)",
                                  "mean_treated_after": "Treatment mean (matched)",
                                  "mean_comparison_after": "Comparison mean (weighted)",
                                  "smd_after": "Standardised difference (matched)", "label_after": "Quality"})
        _sheet(wb, f"Balance_{i + 1}", f"Group characteristics and standardised differences: {a['name']}",
               bal.round(4), "Standardised difference: difference in means over the treatment group's standard "
                             "deviation. Well matched below 0.05, reasonably below 0.10.")
    att = pd.DataFrame(results["attrition"]).rename(columns={"step": "Step", "description": "Description",
                                                             "people": "People", "percent_of_submitted": "Percent"})
    _sheet(wb, "Attrition", "Numbers of people at each step", att)
    notes = pd.DataFrame({"Note": ["[x]", "Significance", "Standard errors", "Reoffenders only", "Matching",
                                   "Employment and benefits"],
                          "Text": ["Not shown because numbers are too small (the reason is in the Note column).",
                                   "A difference is significant when p <= 0.05.",
                                   results["analyses"][0]["measures"][0].get("se_method", ""),
                                   "Tables 3 to 7 include reoffenders only.",
                                   "Kernel weighting on the logit of the propensity score; each comparison person "
                                   "is weighted by how closely they match.",
                                   "Tables 8 to 10 count days of the one-year period covered by P45 employment or "
                                   "out-of-work benefit spells (overlapping spells once); shown only if both groups "
                                   "have more than 10 people with the outcome."]})
    _sheet(wb, "Notes", "Notes", notes)
    from .build import report_period

    period = report_period(results)
    for ws in wb:  # a two-year analysis says so in every title and note
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = w.for_period(cell.value, *period)
    wb.save(path)
    return path
