"""The reoffending database schema, held as data.

One definition feeds the DDL, the loader's validation and the data dictionary in docs/, so the three
cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .synth.reference import DISPOSAL_TYPES, ETHNICITY, NATIONALITY, OFFENCE_CLASSES, OUT_OF_WORK_BENEFITS


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB/Spark SQL type: BIGINT, INTEGER, DOUBLE, VARCHAR, DATE, BOOLEAN
    description: str
    required: bool = True
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None  # regular expression a VARCHAR value must match in full


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: dict[str, str] = field(default_factory=dict)  # column -> "table.column"
    synthetic_only: bool = False
    optional: bool = False  # loaded and validated when its file is there; not every extract has one

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


from ..identifiers import PNC_PATTERN
SEX = ("M", "F")
NEEDS = (
    ("need_accommodation", "Accommodation"),
    ("need_ete", "Education, training and employability"),
    ("need_finance", "Financial management and income"),
    ("need_relationships", "Relationships"),
    ("need_lifestyle", "Lifestyle and associates"),
    ("need_drugs", "Drug misuse"),
    ("need_alcohol", "Alcohol misuse"),
    ("need_emotional", "Emotional wellbeing and mental health"),
    ("need_thinking", "Thinking and behaviour"),
    ("need_problem_solving", "Thinking and behaviour: problem solving"),
    ("need_coping", "Thinking and behaviour: coping"),
    ("need_attitudes", "Attitudes"),
)


def _c(name, type_, description, **kw) -> Column:
    return Column(name, type_, description, **kw)


PERSON = Table(
    "person",
    "One row per person on the Police National Computer extract.",
    (
        _c("person_id", "BIGINT", "Internal identifier, stable across loads.", minimum=1),
        _c("pnc_id", "VARCHAR", "Police National Computer id: two-digit year, '/', serial, check letter.",
           pattern=PNC_PATTERN),
        _c("forename", "VARCHAR", "Forename as recorded."),
        _c("surname", "VARCHAR", "Surname as recorded."),
        _c("date_of_birth", "DATE", "Date of birth."),
        _c("gender", "VARCHAR", "Sex as recorded: M or F.", allowed=SEX),
        _c("ethnicity", "VARCHAR", "Officer-observed ethnicity group.", allowed=tuple(ETHNICITY)),
        _c("nationality", "VARCHAR", "UK, Non-UK or Unknown.", allowed=tuple(NATIONALITY)),
        _c("region", "VARCHAR", "Home region (England's nine regions and Wales)."),
        _c("local_authority", "VARCHAR", "Home local authority."),
    ),
    primary_key=("person_id",),
    foreign_keys={"local_authority": "area.local_authority"},
)

AREA = Table(
    "area",
    "Optional lookup: each local authority's region, police force area and probation region (for "
    "`justicelab local`).",
    (
        _c("local_authority", "VARCHAR", "Local authority, as in `person.local_authority`."),
        _c("region", "VARCHAR", "Region (England's nine regions and Wales)."),
        _c("police_force_area", "VARCHAR", "Police force area the authority lies in."),
        _c("probation_region", "VARCHAR", "Probation region (HMPPS's twelve) the authority lies in."),
    ),
    primary_key=("local_authority",),
    optional=True,
)

ALIAS = Table(
    "alias",
    "Other names and dates of birth a person has given; used by record linkage.",
    (
        _c("person_id", "BIGINT", "The person who used the alias."),
        _c("forename", "VARCHAR", "Forename used."),
        _c("surname", "VARCHAR", "Surname used."),
        _c("date_of_birth", "DATE", "Date of birth given."),
    ),
    foreign_keys={"person_id": "person.person_id"},
)

DISPOSAL = Table(
    "disposal",
    "Sentencing and caution events: one row per occasion a person was cautioned or sentenced.",
    (
        _c("disposal_id", "BIGINT", "Identifier of the occasion.", minimum=1),
        _c("person_id", "BIGINT", "The person sentenced or cautioned."),
        _c("disposal_date", "DATE", "Date of the caution or of conviction and sentence at court."),
        _c("disposal_type", "VARCHAR", "caution, fine_discharge, community_order, suspended_sentence or custody.",
           allowed=DISPOSAL_TYPES),
        _c("custodial_months", "DOUBLE", "Custodial sentence length in months (custody only).",
           required=False, minimum=0, maximum=600),
        _c("release_date", "DATE", "Release from custody (custody only; empty while still in prison).",
           required=False),
        _c("prison", "VARCHAR", "Releasing prison (custody only).", required=False),
        _c("released_from_court", "BOOLEAN",
           "Custody only: sentence already served on remand, so released straight from court.", required=False),
        _c("court", "VARCHAR", "Sentencing court, or the police force area's caution unit.", required=False),
        _c("index_offence_group", "VARCHAR", "Group of the principal (most serious) offence of the occasion."),
        _c("index_offence_class", "VARCHAR", "Class of the principal offence.", allowed=OFFENCE_CLASSES),
        _c("sexual_offence", "BOOLEAN", "Whether the principal offence is a sexual offence."),
    ),
    primary_key=("disposal_id",),
    foreign_keys={"person_id": "person.person_id"},
)

OFFENCE = Table(
    "offence",
    "Proven offences: every offence that led to a conviction or caution, with the occasion that proved it.",
    (
        _c("offence_id", "BIGINT", "Identifier of the offence.", minimum=1),
        _c("person_id", "BIGINT", "The offender."),
        _c("disposal_id", "BIGINT", "The occasion on which it was proven."),
        _c("offence_date", "DATE", "Date the offence was committed."),
        _c("proven_date", "DATE", "Date of conviction or caution."),
        _c("offence_group", "VARCHAR", "Offence group (the bulletin's groups, or breach of a court order)."),
        _c("offence_class", "VARCHAR", "indictable_only, either_way or summary.", allowed=OFFENCE_CLASSES),
        _c("is_breach", "BOOLEAN", "Breach of a court order or licence: never counted as a proven reoffence."),
        _c("led_to_custody", "BOOLEAN", "Whether the occasion that proved it imposed custody."),
    ),
    primary_key=("offence_id",),
    foreign_keys={"person_id": "person.person_id", "disposal_id": "disposal.disposal_id"},
)

ASSESSMENT = Table(
    "assessment",
    "Risk and needs assessments (OASys-like), made near sentence for people under probation or in prison.",
    (
        _c("assessment_id", "BIGINT", "Identifier of the assessment.", minimum=1),
        _c("person_id", "BIGINT", "The person assessed."),
        _c("assessment_date", "DATE", "Date completed."),
        _c("ogrs_score", "DOUBLE", "OGRS-style predicted probability of proven reoffending within two years.",
           minimum=0, maximum=1),
        *(_c(col, "BOOLEAN", f"Need identified: {label}.") for col, label in NEEDS),
    ),
    primary_key=("assessment_id",),
    foreign_keys={"person_id": "person.person_id"},
)

BENEFIT_SPELL = Table(
    "benefit_spell",
    "Out-of-work benefit spells from the DWP data share.",
    (
        _c("person_id", "BIGINT", "The claimant."),
        _c("benefit_type", "VARCHAR", "JSA, ESA, IS, IB or UC.", allowed=OUT_OF_WORK_BENEFITS),
        _c("start_date", "DATE", "First day of the spell."),
        _c("end_date", "DATE", "Last day of the spell (empty: ongoing).", required=False),
    ),
    foreign_keys={"person_id": "person.person_id"},
)

EMPLOYMENT_SPELL = Table(
    "employment_spell",
    "P45 employment spells from HMRC (start and leaving dates of employments).",
    (
        _c("person_id", "BIGINT", "The employee."),
        _c("start_date", "DATE", "Start of the employment."),
        _c("end_date", "DATE", "Leaving date (empty: ongoing).", required=False),
    ),
    foreign_keys={"person_id": "person.person_id"},
)

CLAIMANT_BENEFIT_SPELL = Table(
    "claimant_benefit_spell",
    "Optional. Out-of-work benefit spells of a sample of all JSA claimants from DWP, not linked to the PNC "
    "(mostly not offenders): the comparison population for benefit timelines (`justicelab employment "
    "timelines`). Each claimant's spells from their initial JSA claim.",
    (
        _c("claimant_id", "BIGINT", "Identifier of the claimant within the sample.", minimum=1),
        _c("benefit_type", "VARCHAR", "JSA, ESA, IS, IB or UC.", allowed=OUT_OF_WORK_BENEFITS),
        _c("start_date", "DATE", "First day of the spell."),
        _c("end_date", "DATE", "Last day of the spell (empty: ongoing).", required=False),
    ),
    optional=True,
)

# Ground truth written only by the synthetic generator: what a real database never knows.
TRUTH_PROGRAMME = Table(
    "truth_programme",
    "Synthetic only: the fictitious programmes and their planted effects.",
    (
        _c("programme", "VARCHAR", "Short name used on the command line."),
        _c("title", "VARCHAR", "Programme name as an organisation would give it."),
        _c("organisation", "VARCHAR", "Delivering organisation."),
        _c("description", "VARCHAR", "What the programme does, in its own words."),
        _c("hazard_ratio", "DOUBLE", "Planted multiplier on the reoffending hazard in the year after the index date."),
        _c("offences_ratio", "DOUBLE", "Planted multiplier on the extra offences per reoffending occasion."),
    ),
    primary_key=("programme",),
    synthetic_only=True,
)

TRUTH_PARTICIPANT = Table(
    "truth_participant",
    "Synthetic only: who took part, on which index event, and their outcomes with and without the programme.",
    (
        _c("programme", "VARCHAR", "Programme."),
        _c("person_id", "BIGINT", "Participant."),
        _c("disposal_id", "BIGINT", "The index event the intervention belongs to."),
        _c("index_date", "DATE", "Index date of that event."),
        _c("intervention_start", "DATE", "First contact."),
        _c("intervention_end", "DATE", "Last contact."),
        _c("reoffended_treated", "BOOLEAN", "Proven reoffence in the year, as it happened (with the programme)."),
        _c("reoffended_untreated", "BOOLEAN", "The same had the person not taken part (coupled simulation)."),
        _c("reoffences_treated", "INTEGER", "Proven reoffences in the year, with the programme."),
        _c("reoffences_untreated", "INTEGER", "Proven reoffences in the year, without it."),
        _c("reoffended_before_start", "BOOLEAN", "Reoffended between the index date and the intervention's start "
           "(identical in both worlds: the effect starts with the intervention)."),
        _c("reconviction_events_treated", "INTEGER", "Reconviction events (court occasions, payment-by-results "
           "measure) in the year after the index date, with the programme."),
        _c("reconviction_events_untreated", "INTEGER", "The same without it."),
    ),
    synthetic_only=True,
)

TRUTH_EFFECT = Table(
    "truth_effect",
    "Synthetic only: the true average effect on the treated of each programme on each measure.",
    (
        _c("programme", "VARCHAR", "Programme."),
        _c("measure", "VARCHAR", "Measure name; '_analysable' measures cover only participants who had not "
           "reoffended before their intervention began; '_2y' measures count two years of follow-up (six-month "
           "waiting period)."),
        _c("participants", "INTEGER", "Number of participants it averages over."),
        _c("treated_value", "DOUBLE", "Mean with the programme (empty if nobody it averages over).", required=False),
        _c("untreated_value", "DOUBLE", "Mean without it (coupled counterfactual).", required=False),
        _c("true_effect", "DOUBLE", "treated_value - untreated_value.", required=False),
    ),
    synthetic_only=True,
)

TRUTH_EMPLOYMENT = Table(
    "truth_employment",
    "Synthetic only: each person's first release from custody in the planted window (2015-19), the job that "
    "followed it, and the first reoffence in three coupled worlds (data/synth/jobs.py).",
    (
        _c("person_id", "BIGINT", "Released person."),
        _c("release_date", "DATE", "Release (the index date)."),
        _c("sentence_group", "VARCHAR", "Under 12 months, or 12 months or more."),
        _c("hazard_ratio", "DOUBLE", "Planted multiplier on the reoffending hazard while employed."),
        _c("job_start", "DATE", "First day of the job after release (empty: no job).", required=False),
        _c("job_end", "DATE", "Last day of that job as recorded.", required=False),
        _c("first_reoffence_day", "DOUBLE", "Days from release to the first proven reoffence in the year, as "
           "recorded (empty: none).", required=False),
        _c("first_reoffence_day_without_job", "DOUBLE", "The same had the job had no effect.", required=False),
        _c("first_reoffence_day_job_ended_at_landmark", "DOUBLE", "The same had the job's effect ended on day 91 "
           "(the landmark design's counterfactual).", required=False),
        _c("first_reoffence_day_not_hired_that_day", "DOUBLE", "The same had the person not been hired on the job's "
           "first day, with hiring going on from then as it would (the sequential design's counterfactual).",
           required=False),
    ),
    synthetic_only=True,
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (PERSON, AREA, ALIAS, DISPOSAL, OFFENCE, ASSESSMENT, BENEFIT_SPELL, EMPLOYMENT_SPELL,
              CLAIMANT_BENEFIT_SPELL, TRUTH_PROGRAMME, TRUTH_PARTICIPANT, TRUTH_EFFECT, TRUTH_EMPLOYMENT)
}
CORE_TABLES = [t for t in TABLES.values() if not t.synthetic_only and not t.optional]
OPTIONAL_TABLES = [t for t in TABLES.values() if t.optional]


def create_table_sql(table: Table) -> str:
    cols = ",\n  ".join(f"{c.name} {c.type}{' NOT NULL' if c.required else ''}" for c in table.columns)
    pk = f",\n  PRIMARY KEY ({', '.join(table.primary_key)})" if table.primary_key else ""
    return f"CREATE TABLE {table.name} (\n  {cols}{pk}\n)"


def data_dictionary_markdown() -> str:
    """The data dictionary in docs/, generated from this module (a test keeps the file in step)."""
    lines = [
        "# Data dictionary: the reoffending database",
        "",
        "Generated from `justicelab/data/schema.py` by `justicelab schema --out docs/data_dictionary.md`;",
        "do not edit by hand. Every table loads from a Parquet or CSV file of the same name",
        "(`justicelab load DIR --db PATH`). Dates are ISO 8601 (`YYYY-MM-DD`).",
        "",
    ]
    for t in TABLES.values():
        lines += [f"## `{t.name}`", "", t.description, ""]
        if t.optional:
            lines.append("Optional: loaded and checked when `" + t.name + ".csv` or `.parquet` is present.")
        if t.primary_key:
            lines.append(f"Primary key: `{', '.join(t.primary_key)}`.")
        for col, ref in t.foreign_keys.items():
            lines.append(f"`{col}` refers to `{ref}`.")
        lines += ["", "| column | type | required | rule | description |", "|---|---|---|---|---|"]
        for c in t.columns:
            rule = []
            if c.allowed:
                rule.append("one of " + ", ".join(f"`{a}`" for a in c.allowed))
            if c.minimum is not None:
                rule.append(f">= {c.minimum:g}")
            if c.maximum is not None:
                rule.append(f"<= {c.maximum:g}")
            if c.pattern:
                rule.append(f"matches `{c.pattern}`")
            lines.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | {'; '.join(rule)} | "
                         f"{c.description} |")
        lines.append("")
    return "\n".join(lines)
