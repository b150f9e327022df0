"""Proven reoffending as a pipeline of SQL steps that runs unchanged on DuckDB or Spark.

Inputs are the database tables (person, disposal, offence, assessment, benefit_spell,
employment_spell). Steps:

  index_events      every qualifying event with its index date (rule R1)
  cohort            each person's first index event in a period (or any supplied index-event table)
  reoffences        proven reoffences of each cohort member (rules R2-R4, R6)
  outcomes          the seven measures' per-person values (R7, R8)
  labour_outcomes   employment and benefit outcomes in the follow-up year (measures/labour.py, E1-E3)
  characteristics   matching characteristics as of the index date
  cohort_measures   outcomes joined to characteristics: one row per cohort member
"""
from __future__ import annotations

from datetime import date

from ..engine import Engine, Step, run_steps
from ..engine.base import Dialect
from .labour import LABOUR_COLUMNS, labour_steps
from .rules import BREACH_GROUP, Rules

NEEDS_COLUMNS = (
    "need_accommodation", "need_ete", "need_finance", "need_relationships", "need_lifestyle", "need_drugs",
    "need_alcohol", "need_emotional", "need_thinking", "need_problem_solving", "need_coping", "need_attitudes",
)


def age_in_years(dob: str, at: str) -> str:
    """Completed years of age, exactly (not days/365.25)."""
    return (f"(year({at}) - year({dob}) - CASE WHEN month({at}) < month({dob}) OR "
            f"(month({at}) = month({dob}) AND day({at}) < day({dob})) THEN 1 ELSE 0 END)")


def follow_up_complete(index_date: str, snapshot: str, d: Dialect, rules: Rules = Rules()) -> str:
    """The one-year follow-up and the waiting period have both ended by the snapshot."""
    return f"({d.add_days(index_date, rules.last_proven_day)} <= {snapshot})"


def sexual_offence_by(person_id: str, at: str) -> str:
    """A sexual offence (index or previous) on or before `at`: the Data Lab excludes these people."""
    return (f"EXISTS (SELECT 1 FROM disposal sx WHERE sx.person_id = {person_id} "
            f"AND sx.disposal_date <= {at} AND sx.sexual_offence)")


def index_events_step() -> Step:
    return Step("index_events", f"""
        SELECT d.disposal_id, d.person_id, d.disposal_date, d.disposal_type,
               CASE WHEN d.disposal_type = 'custody' THEN d.release_date ELSE d.disposal_date END AS index_date,
               coalesce(d.custodial_months, 0.0) AS custodial_months, d.prison, d.released_from_court,
               d.index_offence_group, d.index_offence_class, d.sexual_offence
        FROM disposal d
        WHERE d.index_offence_group <> '{BREACH_GROUP}'
          AND NOT (d.disposal_type = 'custody' AND d.release_date IS NULL)""")


def period_cohort_step(start: date, end: date, rules: Rules = Rules(), per_quarter: bool = False) -> Step:
    """Each person's first index event in the period (per_quarter: in each calendar quarter of it, as the
    quarterly bulletin counts quarterly cohorts)."""
    adult = f"AND {age_in_years('p.date_of_birth', 'e.index_date')} >= 18" if rules.adults_only else ""
    quarter = ", year(e.index_date), quarter(e.index_date)" if per_quarter else ""
    return Step("cohort", f"""
        SELECT person_id, disposal_id, index_date FROM (
          SELECT e.person_id, e.disposal_id, e.index_date,
                 row_number() OVER (PARTITION BY e.person_id{quarter} ORDER BY e.index_date, e.disposal_id) AS rn
          FROM index_events e
          WHERE e.index_date BETWEEN DATE '{start.isoformat()}' AND DATE '{end.isoformat()}'
        ) e JOIN person p USING (person_id)
        WHERE e.rn = 1 {adult}""")


def _reoffences(rules: Rules):
    def sql(d: Dialect) -> str:
        return f"""
        SELECT c.person_id, c.disposal_id AS index_disposal_id, o.offence_id, o.offence_date, o.proven_date,
               o.offence_class, o.disposal_id, o.led_to_custody,
               {d.days_between('c.index_date', 'o.offence_date')} AS days_after_index
        FROM cohort c JOIN offence o ON o.person_id = c.person_id
        WHERE NOT o.is_breach
          AND o.offence_date > c.index_date
          AND o.offence_date <= {d.add_days('c.index_date', rules.follow_up_days)}
          AND o.proven_date <= {d.add_days('c.index_date', rules.last_proven_day)}"""
    return sql


OUTCOMES_SQL = """
    WITH ranked AS (
      SELECT r.*, row_number() OVER (PARTITION BY person_id, index_disposal_id
                                     ORDER BY offence_date, proven_date, offence_id) AS k
      FROM reoffences r),
    per_person AS (
      SELECT person_id, index_disposal_id,
             count(*) AS reoffences,
             count(DISTINCT CASE WHEN led_to_custody THEN disposal_id END) AS custodial_sentences,
             sum(CASE WHEN offence_class = 'either_way' THEN 1 ELSE 0 END) AS reoffences_either_way,
             sum(CASE WHEN offence_class = 'summary' THEN 1 ELSE 0 END) AS reoffences_summary,
             sum(CASE WHEN offence_class = 'indictable_only' THEN 1 ELSE 0 END) AS reoffences_indictable,
             max(CASE WHEN k = 1 THEN days_after_index END) AS days_to_first_reoffence,
             max(CASE WHEN k = 1 THEN offence_class END) AS first_reoffence_class,
             max(CASE WHEN k = 1 AND led_to_custody THEN 1 ELSE 0 END) AS first_reoffence_custody
      FROM ranked GROUP BY person_id, index_disposal_id)
    SELECT c.person_id, c.disposal_id, c.index_date,
           CASE WHEN p.reoffences > 0 THEN 1 ELSE 0 END AS reoffended,
           coalesce(p.reoffences, 0) AS reoffences,
           p.days_to_first_reoffence, p.first_reoffence_class, p.first_reoffence_custody,
           coalesce(p.custodial_sentences, 0) AS custodial_sentences,
           coalesce(p.reoffences_either_way, 0) AS reoffences_either_way,
           coalesce(p.reoffences_summary, 0) AS reoffences_summary,
           coalesce(p.reoffences_indictable, 0) AS reoffences_indictable
    FROM cohort c LEFT JOIN per_person p
      ON p.person_id = c.person_id AND p.index_disposal_id = c.disposal_id"""


def _characteristics(rules: Rules):
    def sql(d: Dialect) -> str:
        win_start = d.add_days("c.index_date", -rules.history_days)

        def overlap(table: str, alias: str) -> str:
            end = f"least(coalesce({alias}.end_date, c.index_date), c.index_date)"
            start = f"greatest({alias}.start_date, {win_start})"
            return f"""(SELECT c.person_id, c.disposal_id,
                  sum(greatest({d.days_between(start, end)}, 0)) AS days,
                  max(CASE WHEN {alias}.start_date <= c.index_date AND
                      coalesce({alias}.end_date, c.index_date) >= c.index_date THEN 1 ELSE 0 END) AS at_index
                FROM cohort c JOIN {table} {alias} ON {alias}.person_id = c.person_id
                WHERE {alias}.start_date < c.index_date
                  AND coalesce({alias}.end_date, c.index_date) >= {win_start}
                GROUP BY c.person_id, c.disposal_id)"""

        needs = ",\n               ".join(f"a.{n}" for n in NEEDS_COLUMNS)
        career_days = d.days_between("coalesce(h.first_sanction_date, ix.disposal_date)", "ix.index_date")
        career_years = f"(CAST({career_days} AS DOUBLE) / 365.25)"
        return f"""
        WITH ix AS (
          SELECT c.person_id, c.disposal_id, c.index_date, e.disposal_date, e.disposal_type, e.custodial_months,
                 e.index_offence_group, e.index_offence_class, e.sexual_offence, e.prison, e.released_from_court
          FROM cohort c JOIN index_events e ON e.disposal_id = c.disposal_id),
        history AS (
          SELECT ix.person_id, ix.disposal_id,
                 count(DISTINCT h.disposal_id) AS previous_sanctions,
                 count(DISTINCT CASE WHEN h.disposal_type = 'custody' THEN h.disposal_id END) AS previous_custodial_sentences,
                 min(h.disposal_date) AS first_sanction_date
          FROM ix JOIN disposal h ON h.person_id = ix.person_id AND h.disposal_date < ix.disposal_date
          GROUP BY ix.person_id, ix.disposal_id),
        prev_offences AS (
          SELECT ix.person_id, ix.disposal_id, count(*) AS previous_offences
          FROM ix JOIN offence o ON o.person_id = ix.person_id
          WHERE o.proven_date < ix.disposal_date AND NOT o.is_breach
          GROUP BY ix.person_id, ix.disposal_id),
        latest_assessment AS (
          SELECT * FROM (
            SELECT ix.person_id, ix.disposal_id, a.assessment_id, a.assessment_date, a.ogrs_score,
                   {", ".join("a." + n for n in NEEDS_COLUMNS)},
                   row_number() OVER (PARTITION BY ix.person_id, ix.disposal_id
                                      ORDER BY a.assessment_date DESC, a.assessment_id DESC) AS rn
            FROM ix JOIN assessment a ON a.person_id = ix.person_id
            WHERE a.assessment_date <= ix.index_date
              AND a.assessment_date >= {d.add_days('ix.disposal_date', -rules.assessment_lookback_days)}) t
          WHERE rn = 1),
        benefits AS {overlap('benefit_spell', 'b')},
        employment AS {overlap('employment_spell', 'w')}
        SELECT ix.person_id, ix.disposal_id, ix.index_date, ix.disposal_date,
               {age_in_years('p.date_of_birth', 'ix.index_date')} AS age,
               p.gender, p.ethnicity, p.nationality, p.region, p.local_authority,
               ix.disposal_type, ix.custodial_months, ix.prison, ix.released_from_court,
               ix.index_offence_group, ix.index_offence_class, ix.sexual_offence,
               coalesce(po.previous_offences, 0) AS previous_offences,
               coalesce(h.previous_sanctions, 0) AS previous_sanctions,
               coalesce(h.previous_custodial_sentences, 0) AS previous_custodial_sentences,
               {career_years} AS years_since_first_sanction,
               ln(CAST(coalesce(h.previous_sanctions, 0) + 1 AS DOUBLE) / ({career_years} + 10)) AS copas_rate,
               CASE WHEN a.assessment_id IS NULL THEN 0 ELSE 1 END AS has_assessment,
               a.ogrs_score,
               {needs},
               coalesce(b.days, 0) AS days_on_benefit_2y, coalesce(b.at_index, 0) AS on_benefit_at_index,
               coalesce(w.days, 0) AS days_employed_2y, coalesce(w.at_index, 0) AS employed_at_index
        FROM ix JOIN person p ON p.person_id = ix.person_id
        LEFT JOIN history h ON h.person_id = ix.person_id AND h.disposal_id = ix.disposal_id
        LEFT JOIN prev_offences po ON po.person_id = ix.person_id AND po.disposal_id = ix.disposal_id
        LEFT JOIN latest_assessment a ON a.person_id = ix.person_id AND a.disposal_id = ix.disposal_id
        LEFT JOIN benefits b ON b.person_id = ix.person_id AND b.disposal_id = ix.disposal_id
        LEFT JOIN employment w ON w.person_id = ix.person_id AND w.disposal_id = ix.disposal_id"""
    return sql


SENTENCE_GROUP_SQL = """
    CASE WHEN c.disposal_type = 'custody' AND c.custodial_months < 12 THEN 'Custody under 12 months'
         WHEN c.disposal_type = 'custody' AND c.custodial_months < 48 THEN 'Custody 12 months to under 4 years'
         WHEN c.disposal_type = 'custody' THEN 'Custody 4 years or more'
         WHEN c.disposal_type IN ('community_order', 'suspended_sentence') THEN 'Court order'
         WHEN c.disposal_type = 'caution' THEN 'Caution'
         ELSE 'Other court disposal' END"""


def characteristics_step(rules: Rules = Rules()) -> Step:
    """Matching characteristics alone (no outcome is computed): for outcome-blind matching."""
    return Step("characteristics", _characteristics(rules))


def measures_steps(rules: Rules = Rules()) -> list[Step]:
    """Steps from a `cohort` table (person_id, disposal_id, index_date) to `cohort_measures`."""
    return [
        Step("reoffences", _reoffences(rules)),
        Step("outcomes", OUTCOMES_SQL),
        characteristics_step(rules),
        *labour_steps(rules),
        Step("cohort_measures", f"""
            SELECT c.*, {SENTENCE_GROUP_SQL} AS sentence_group,
                   o.reoffended, o.reoffences, o.days_to_first_reoffence, o.first_reoffence_class,
                   o.first_reoffence_custody, o.custodial_sentences, o.reoffences_either_way,
                   o.reoffences_summary, o.reoffences_indictable,
                   {", ".join("l." + col for col in LABOUR_COLUMNS)}
            FROM characteristics c JOIN outcomes o
              ON o.person_id = c.person_id AND o.disposal_id = c.disposal_id
            JOIN labour_outcomes l ON l.person_id = c.person_id AND l.disposal_id = c.disposal_id"""),
    ]


def build_period_cohort(engine: Engine, start: date, end: date, rules: Rules = Rules()) -> None:
    """Official-style cohort for a period: leaves `cohort_measures` in the engine."""
    run_steps(engine, [index_events_step(), period_cohort_step(start, end, rules), *measures_steps(rules)])


def build_measures_for(engine: Engine, rules: Rules = Rules()) -> None:
    """Measures for a supplied `cohort` table of index events (e.g. a treatment group)."""
    run_steps(engine, [index_events_step(), *measures_steps(rules)])
