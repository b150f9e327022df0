"""Plain names for matching variables and measures, a fixed order for categories, and the adaptations
made for matching written out for the reader."""
from __future__ import annotations

NAMES = {
    "age": "Age", "previous_offences": "Previous offences", "previous_custodial_sentences": "Previous custodial "
    "sentences", "copas_rate": "Rate of previous offending (Copas)", "years_since_first_sanction": "Years since "
    "first sanction", "custodial_months": "Custodial sentence length (months)", "ogrs_score": "OGRS score",
    "has_assessment": "Had a risk and needs assessment", "days_on_benefit_2y": "Days on benefit (2 years before)",
    "days_employed_2y": "Days employed (2 years before)", "employed_at_index": "Employed at the index date",
    "on_benefit_at_index": "On benefit at the index date", "gender": "Sex", "ethnicity": "Ethnicity",
    "nationality": "Nationality", "index_offence_group": "Index offence", "sentence_group": "Sentence",
    "rate": "reoffending rate", "frequency": "reoffending frequency", "time_to_first": "time to first reoffence",
    "court_outcome_rate": "rate by court outcome", "court_outcome_frequency": "frequency by court outcome",
    "custody_rate": "custody for first reoffence", "custody_frequency": "custodial sentences",
    "employment_rate": "P45 employment", "days_employed": "days employed", "days_on_benefit": "days on benefit",
}
NEEDS = {"accommodation": "accommodation", "ete": "education, training and employment", "finance":
         "financial management", "relationships": "relationships", "lifestyle": "lifestyle and associates",
         "drugs": "drug misuse", "alcohol": "alcohol misuse", "emotional": "emotional wellbeing", "thinking":
         "thinking and behaviour", "problem_solving": "problem solving", "coping": "coping", "attitudes":
         "attitudes"}
ORDER = {"sex": ["M", "F", "Male", "Female"], "ethnicity": ["White", "Black", "Asian", "Mixed", "Other", "Unknown"],
         "nationality": ["UK", "Non-UK", "Unknown"],
         "sentence": ["Court order", "Custody under 12 months", "Custody 12 months to under 4 years",
                      "Custody 4 years or more", "Other court disposal", "Caution"]}


def plain(variable: str, need_sentence: bool = False) -> str:
    """'need_drugs' -> 'Need: drug misuse'; 'gender: F' -> 'Sex: F'; unknown names are de-snake-cased."""
    if variable.startswith("need_"):
        need = NEEDS.get(variable[5:], variable[5:].replace("_", " "))
        return f"had needs in {need}" if need_sentence else f"Need: {need}"
    if ": " in variable:
        head, level = variable.split(": ", 1)
        level = {"M": "male", "F": "female"}.get(level, level) if head == "gender" else level
        return f"{plain(head)}: {level}"
    return NAMES.get(variable, variable.replace("_", " ").capitalize())


def readable(results: dict) -> dict:
    """Results with sub-analyses named for readers: the organisation's column 'delivery_mode' reads
    'Delivery mode'. The results file itself keeps the column's own name."""
    analyses = []
    for a in results.get("analyses", []):
        if a.get("subgroup"):
            label = plain(a["subgroup"])
            a = {**a, "name": f"{label}: {a['subgroup_value']}", "subgroup_label": label.lower()}
        analyses.append(a)
    not_run = [{**s, "field": plain(s["field"]).lower()} for s in results.get("sub_analyses_not_run") or []]
    return {**results, "analyses": analyses, "sub_analyses_not_run": not_run}


def category_order(kind: str, keys: list[str]) -> list[str]:
    """Categories in the seeds' order (known first, 'Unknown' and combined ones last), whatever the JSON order."""
    known = ORDER.get(kind, [])
    return sorted(keys, key=lambda k: (known.index(k) if k in known else len(known), "(combined)" in k, k))


def adaptation_lines(analysis: dict) -> list[str]:
    """Every change made so that matching could work, in words."""
    notes = analysis.get("adaptations") or {}
    lines = []
    for var, levels in sorted((notes.get("combined_levels") or {}).items()):
        lines.append(f"{plain(var)}: categories with fewer than five participants were combined for matching "
                     f"({', '.join(levels)}).")
    for var in notes.get("exact_on") or []:
        lines.append(f"{plain(var)}: every participant had the same value, so comparison people were required to "
                     f"match it exactly.")
    if notes.get("comparison_dropped"):
        lines.append(f"{notes['comparison_dropped']:,} comparison records in categories no participant has were "
                     f"left out.")
    lines.append("Comparison people were only used for a participant if they had not reoffended by the time that "
                 "participant started (risk-set alignment), because participants who reoffended before starting "
                 "were excluded.")
    return lines
