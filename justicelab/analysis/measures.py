"""The seven measures of a Data Lab report (Tables 1-7), each estimated on a matched sample.

Tables 3-7 are for reoffenders only: both groups are restricted to people who reoffended, keeping
their matching weights (as the Data Lab does). Court outcomes are the class of the first reoffence.
Tables 8-10 are the employment and benefit outcomes of the follow-up year (measures/labour.py), which
the Data Lab added in 2018 from the DWP/HMRC data share; like court outcomes they are shown only if
more than 10 people in each group have the outcome (and, for the share employed, lack it).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..matching.outcomes import estimate
from ..report.wording import for_period

COURT_OUTCOMES = {"either_way": "Either way", "summary": "Summary", "indictable_only": "Indictable"}


@dataclass(frozen=True)
class Measure:
    table: int
    key: str
    title: str
    kind: str  # rate (0/1, shown as %), frequency (per person), days
    reoffenders_only: bool = False
    by_court_outcome: bool = False
    labour: bool = False  # employment and benefit outcome (Tables 8-10)


MEASURES = (
    Measure(1, "rate", "One-year proven reoffending rate", "rate"),
    Measure(2, "frequency", "One-year proven reoffending frequency (offences per person)", "frequency"),
    Measure(3, "time_to_first", "Average time to first proven reoffence (days), reoffenders only", "days", True),
    Measure(4, "court_outcome_rate", "Rate of first reoffence by court outcome, reoffenders only", "rate", True, True),
    Measure(5, "court_outcome_frequency", "Frequency of reoffences by court outcome, reoffenders only", "frequency",
            True, True),
    Measure(6, "custody_rate", "Rate of custodial sentencing for the first reoffence, reoffenders only", "rate", True),
    Measure(7, "custody_frequency", "Frequency of custodial sentencing (sentences per person), reoffenders only",
            "frequency", True),
    Measure(8, "employment_rate", "Proportion with P45 employment in the one-year period", "rate", labour=True),
    Measure(9, "days_employed", "Average days in P45 employment in the one-year period", "days", labour=True),
    Measure(10, "days_on_benefit", "Average days on out-of-work benefits in the one-year period", "days", labour=True),
)


COLUMNS = {"rate": "reoffended", "frequency": "reoffences", "time_to_first": "days_to_first_reoffence",
           "custody_rate": "first_reoffence_custody", "custody_frequency": "custodial_sentences",
           "employment_rate": "employed_after", "days_employed": "days_employed_after",
           "days_on_benefit": "days_on_benefit_after"}
COURT_FREQUENCY = {"either_way": "reoffences_either_way", "summary": "reoffences_summary",
                   "indictable_only": "reoffences_indictable"}


def _outcome_column(measure: Measure, outcome: str | None) -> str:
    if measure.key == "court_outcome_rate":
        return f"first_is_{outcome}"
    if measure.key == "court_outcome_frequency":
        return COURT_FREQUENCY[outcome]
    return COLUMNS[measure.key]


def estimate_measures(matched: pd.DataFrame, config, se: str) -> list[dict]:
    """Every measure (and court outcome) for one matched sample, with the reports' withholding rules."""
    data = matched.copy()
    for cls in COURT_OUTCOMES:
        data[f"first_is_{cls}"] = (data["first_reoffence_class"] == cls).astype(float)
    reoffenders = data[data["reoffended"] == 1]
    treated_reoffenders = int((reoffenders["treated"] == 1).sum())
    rows = []
    for m in MEASURES:
        frame = reoffenders if m.reoffenders_only else data
        outcomes = list(COURT_OUTCOMES) if m.by_court_outcome else [None]
        for outcome in outcomes:
            column = _outcome_column(m, outcome)
            withheld = None
            if m.reoffenders_only and treated_reoffenders < config.min_reoffenders_for_detail:
                withheld = (f"fewer than {config.min_reoffenders_for_detail} people in the treatment group "
                            f"reoffended ({treated_reoffenders})")
            elif outcome is not None:
                with_outcome = frame[frame["first_reoffence_class"] == outcome]
                n_t = int((with_outcome["treated"] == 1).sum())
                n_c = int((with_outcome["treated"] == 0).sum())
                if min(n_t, n_c) < config.min_court_outcome:
                    withheld = "10 or fewer people in a group had this court outcome"
            elif m.labour:
                withheld = _labour_withheld(frame, column, m.kind, config.min_court_outcome)
            if withheld:
                est = {"withheld": withheld, "n_treated": int((frame["treated"] == 1).sum()),
                       "n_comparison": int((frame["treated"] == 0).sum())}
            else:
                est = estimate(frame, column, treatment="treated", se=se, confidence=config.confidence).as_dict()
            rows.append({"table": m.table, "measure": m.key, "title": for_period(m.title, config.follow_up_years),
                         "kind": m.kind,
                         "court_outcome": COURT_OUTCOMES.get(outcome) if outcome else None, **est})
    return rows


def _labour_withheld(frame: pd.DataFrame, column: str, kind: str, minimum: int) -> str | None:
    """Employment and benefit outcomes: withheld when 10 or fewer people in a group have the outcome (or,
    for a share, lack it), so that no small count can be worked back from a percentage or an average."""
    if column not in frame:
        return "employment and benefit data are not available for this analysis"
    has = frame[column].fillna(0) > 0
    for treated in (1, 0):
        group = has[frame["treated"] == treated]
        smallest = min(int(group.sum()), int((~group).sum())) if kind == "rate" else int(group.sum())
        if smallest < minimum:
            return "10 or fewer people in a group had this outcome"
    return None
