"""Writing what `justicelab link` produces: the treatment group, every exclusion, the diagnostics."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..submission.report import write_problems

from .link import LinkageResult
from .treatment import TreatmentGroup

# columns of the treatment group file: identifiers inside the database only, no names
MEMBER_COLUMNS = ["row", "person_id", "disposal_id", "index_date", "intervention_start", "intervention_end"]


def flow_diagram(attrition: pd.DataFrame, path: Path, title: str = "Numbers of people in the treatment group") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    boxes = flow_boxes(attrition)
    # half an inch a step at the width of a page's text, so that the words print at about 8pt
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * len(boxes) + 0.5), dpi=120)
    ax.set_axis_off()
    n = len(boxes)
    for i, (text, main) in enumerate(boxes):
        y = n - i - 0.5
        ax.text(0.02 if main else 0.08, y, text, va="center", ha="left", fontsize=9, wrap=True,
                bbox={"boxstyle": "round,pad=0.4", "fc": "#d2e2f1" if main else "#f3f2f1",
                      "ec": "#1d70b8" if main else "#b1b4b6"})
        if i < n - 1:
            ax.annotate("", xy=(0.04, y - 0.7), xytext=(0.04, y - 0.3), arrowprops={"arrowstyle": "->"})
    ax.set_xlim(0, 1)
    ax.set_ylim(0, n)
    ax.set_title(title, fontsize=11, loc="left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def flow_boxes(attrition: pd.DataFrame) -> list[tuple[str, bool]]:
    """The flow diagram's boxes: (words, on the main line) for each step that lost or kept anyone."""
    steps = attrition[(attrition["people"] > 0) | attrition["step"].isin(["submitted", "treatment_group"])]
    boxes = []
    for rec in steps.itertuples():
        main = rec.step in ("submitted", "treatment_group")
        pct = "" if rec.step == "submitted" else f" ({_pct(rec.percent_of_submitted)})"
        who = "person" if rec.people == 1 else "people"
        boxes.append((f"{rec.people:,} {rec.description}{pct}" if main
                      else f"{rec.people:,} {who}{pct} excluded: {rec.description}", main))
    return boxes


def _pct(p: float) -> str:
    return "<1%" if 0 < p < 1 else f"{p:.0f}%"


def attrition_sentences(attrition: pd.DataFrame) -> list[str]:
    """The seed reports' wording: '619 people were submitted ... 2 people (<1%) were excluded because ...'."""
    out = []
    for rec in attrition.itertuples():
        if rec.step == "submitted":
            out.append(f"{rec.people:,} people were submitted for analysis")
        elif rec.step == "treatment_group":
            out.append(f"{rec.people:,} people ({_pct(rec.percent_of_submitted)} of those submitted) "
                       f"remained in the treatment group before matching")
        elif rec.people:
            who, verb = ("person", "was") if rec.people == 1 else ("people", "were")
            out.append(f"{rec.people:,} {who} ({_pct(rec.percent_of_submitted)}) {verb} excluded because they "
                       f"{rec.description}")
    return out


def write_outputs(out: Path, validation_report: pd.DataFrame, linkage: LinkageResult, group: TreatmentGroup,
                  summary: dict, records: pd.DataFrame | None = None) -> dict[str, Path]:
    """`records`: every submitted row's status and dates (kept, without names, so that clerical review
    can rebuild the treatment group)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "treatment_group": out / "treatment_group.csv", "exclusions": out / "exclusions.csv",
        "linkage": out / "linkage.csv", "clerical_review": out / "clerical_review.csv",
        "validation_report": out / "validation_report.csv", "attrition": out / "attrition.csv",
        "not_included_profile": out / "not_included_profile.csv", "flow_diagram": out / "attrition_flow.png",
        "diagnostics": out / "linkage_diagnostics.json", "cohort_measures": out / "treatment_measures.parquet",
    }
    group.members[[c for c in MEMBER_COLUMNS if c in group.members]].to_csv(paths["treatment_group"], index=False)
    group.members.to_parquet(paths["cohort_measures"], index=False)
    group.exclusions.to_csv(paths["exclusions"], index=False)
    linkage.links.to_csv(paths["linkage"], index=False)
    if records is not None:
        from .review import RECORD_COLUMNS, RECORDS

        records.reindex(columns=RECORD_COLUMNS).to_csv(out / RECORDS, index=False)
    linkage.review.to_csv(paths["clerical_review"], index=False)
    write_problems(validation_report, paths["validation_report"])  # values defused: no live formulas
    group.attrition.to_csv(paths["attrition"], index=False)
    group.not_included_profile.to_csv(paths["not_included_profile"], index=False)
    flow_diagram(group.attrition, paths["flow_diagram"])
    diagnostics = {"submission": summary, "linkage": linkage.diagnostics, "snapshot": group.snapshot,
                   "attrition": attrition_sentences(group.attrition),
                   "not_included_without_information": group.not_included_profile.attrs.get("no_information", 0)}
    paths["diagnostics"].write_text(json.dumps(diagnostics, indent=2, default=str) + "\n", encoding="utf-8")
    return paths
