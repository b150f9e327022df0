"""The public version of an analysis: what the service publishes under /published.

The same results, with the disclosure rules applied to every cell a reader could count people from:
groups of fewer than `MIN_CELL` people are never shown alone. Small categories are combined (with the
next smallest, until the combined cell is large enough, so no small cell can be worked out by
subtraction); a characteristic that cannot be shown that way is left out; ages are given in bands;
fields the report does not need (file names, contact details, the validation and linkage counts) are
dropped. The public report, annex and results.json are all written from this one dictionary.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from ..analysis.config import AnalysisConfig

MIN_CELL = AnalysisConfig().min_court_outcome  # the report's own rule: a group of 10 or fewer is not shown
PUBLIC_DIR = "public"  # inside the report folder
PUBLIC_FILES = {"report.html": "text/html", "report.pdf": "application/pdf", "results.json": "application/json",
                "annex.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
COMBINED = "Other or not shown"
AGE_BANDS = (18, 21, 25, 30, 35, 40, 45, 50, 60, 70, 200)


def combine_small(cells: dict[str, int], threshold: int = MIN_CELL) -> dict[str, int]:
    """Counts per category, with every non-zero count below `threshold` merged into COMBINED (adding the
    next smallest categories while the merged cell is still small). Empty when even that cannot make a
    large enough cell (the whole characteristic is withheld)."""
    small = sorted((k for k, v in cells.items() if 0 < v < threshold), key=lambda k: (cells[k], k))
    if not small:
        return dict(cells)
    rest = sorted((k for k in cells if cells[k] >= threshold), key=lambda k: (cells[k], k))
    merged = list(small)
    while sum(cells[k] for k in merged) < threshold and rest:
        merged.append(rest.pop(0))
    if sum(cells[k] for k in merged) < threshold or not rest:
        return {}  # one cell left (or none large enough): nothing can be shown without the small ones
    out = {k: v for k, v in cells.items() if k not in merged}
    out[COMBINED] = sum(cells[k] for k in merged)
    return out


def age_band(age: int, upper: bool = False) -> int:
    """The lower (or upper) end of the band holding `age`: exact youngest and oldest ages are not shown."""
    for low, high in zip(AGE_BANDS, AGE_BANDS[1:]):
        if low <= age < high:
            return high - 1 if upper else low
    return AGE_BANDS[0]


def _shares(percent: dict[str, float], n: int) -> dict[str, int]:
    """A profile of whole percentages: combined on the counts they imply, returned as percentages."""
    counts = {k: round(v * n / 100) for k, v in percent.items()}
    kept = combine_small(counts)
    return {k: (round(sum(percent[c] for c in percent if c not in kept)) if k == COMBINED else percent[k])
            for k in kept}


def _profile(profile: dict, n: int) -> dict:
    out = {key: _shares(profile[key], n) for key in ("sex", "ethnicity", "nationality", "sentence")}
    out.update(age_min=age_band(profile["age_min"]), age_max=age_band(profile["age_max"], upper=True),
               age_mean=profile["age_mean"], assessed=0, needs={})
    assessed = profile.get("assessed", 0)
    if assessed >= MIN_CELL:  # a need is shown only if those with it and those without are both large enough
        out["assessed"] = assessed
        out["needs"] = {k: v for k, v in profile.get("needs", {}).items()
                        if min(round(v * assessed / 100), assessed - round(v * assessed / 100)) >= MIN_CELL}
    return out


def _small_share(row: dict, analysis: dict) -> bool:
    """A yes/no matching variable whose treated mean (or its complement) is a group of 1 to MIN_CELL - 1
    people: its means and standardised differences (which give the mean back) are not published."""
    if not row.get("binary"):
        return False
    for key, n in (("mean_treated_before", analysis["treated"]), ("mean_treated_after", analysis["treated_matched"])):
        count = round((row.get(key) or 0) * n)
        if 0 < count < MIN_CELL or 0 < n - count < MIN_CELL:
            return True
    return False


def _not_included(rows: list[dict], unknown: int) -> list[dict]:
    """Those not included, by characteristic; people the database does not know count as 'Not known'."""
    out = []
    for char in dict.fromkeys(r["characteristic"] for r in rows):
        cells = {r["value"]: int(r["people"]) for r in rows if r["characteristic"] == char}
        if unknown:
            cells["Not known"] = cells.get("Not known", 0) + unknown
        kept = combine_small(cells)
        total = sum(kept.values())
        out += [{"characteristic": char, "value": k, "people": v, "percent": round(100 * v / total)}
                for k, v in kept.items()]
    return out


def _attrition(rows: list[dict]) -> list[dict]:
    """Exclusion steps with fewer than MIN_CELL people are reported together as one step."""
    ends = ("submitted", "treatment_group", "could_not_be_matched")
    steps = {r["step"]: int(r["people"]) for r in rows if r["step"] not in ends}
    kept = combine_small(steps)
    if not kept and sum(steps.values()):  # too few exclusions to show even together: only the group is shown
        return [dict(r) for r in rows if r["step"] == "treatment_group"]
    submitted = next(r["people"] for r in rows if r["step"] == "submitted")
    out = []
    for r in rows:
        if r["step"] in ends or r["step"] in kept:
            out.append(dict(r))
    if COMBINED in kept:
        at = next(i for i, r in enumerate(out) if r["step"] == "treatment_group")
        out.insert(at, {"step": "combined", "people": kept[COMBINED],
                        "percent_of_submitted": round(100 * kept[COMBINED] / max(submitted, 1), 1),
                        "description": f"met one of several exclusion rules, each applying to fewer than {MIN_CELL} "
                                       "people"})
    return out


def public_results(results: dict) -> dict:
    """The disclosure-controlled copy of `results` (analyse()'s output) that may be published."""
    import pandas as pd

    from ..linkage.outputs import attrition_sentences

    out = {"programme": {k: results["programme"].get(k, "") for k in ("programme", "organisation", "description")},
           "provenance": copy.deepcopy(results["provenance"]), "disclosure": {
               "min_cell": MIN_CELL, "rules": "groups of fewer than this many people are combined or not shown; "
                                             "ages in bands; percentages of the matched group rounded"}}
    for source in out["provenance"].get("inputs", {}).values():
        source.pop("file", None)  # an uploaded file's name can hold a person's name
    out["attrition"] = _attrition(results["attrition"])
    out["attrition_sentences"] = attrition_sentences(pd.DataFrame(out["attrition"]))
    out["not_included"] = {"profile": _not_included(results["not_included"]["profile"],
                                                    int(results["not_included"].get("without_information", 0))),
                           "without_information": 0}
    out["analyses"] = []
    for a in results["analyses"]:
        public = copy.deepcopy(a)
        for key in ("reoffenders_treated", "reoffenders_comparison"):
            public[key] = "[c]" if 0 < a[key] < MIN_CELL else a[key]
        public["profile"] = _profile(a["profile"], a["treated_matched"])
        public["balance"] = [row for row in a.get("balance", []) if not _small_share(row, a)]
        public["measures"] = [m for m in a["measures"]  # a withheld court-outcome row would still show its count
                              if not (m.get("withheld") and m.get("court_outcome") and m["n_treated"] < MIN_CELL)]
        out["analyses"].append(public)
    return out


def write_public(results: dict, out: Path) -> dict[str, Path]:
    """The public report (HTML, PDF, annex) and results.json, all from public_results()."""
    from .build import write_report

    public = public_results(results)
    paths = write_report(public, out)
    paths["results"].write_text(json.dumps(public, indent=2, default=str, sort_keys=True) + "\n", encoding="utf-8")
    return paths


def publish(report_dir: Path) -> dict[str, Path]:
    """Write the public copy of an analysed report folder (from its results.json) into its PUBLIC_DIR."""
    results = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    return write_public(results, report_dir / PUBLIC_DIR)
