"""A gaming provider, planted in a generated database (seeds 003 and 004: cherry-picking and parking).

Opt-in and applied after generation, so the ordinary synthetic database is unchanged. Deterministic (a
rule on person ids, no random draw). Two behaviours a payment-by-results provider controls:

* cherry-picking at a prison: from `from_year`, men whose latest assessment before release puts their
  risk (OGRS-style score) at `high_risk` or more are transferred to another prison before release, seven
  in ten of them: the prison's cohort becomes lower-risk and its outcome better, with no service effect;
* inflated assessments in a probation region: from `from_year`, the provider's assessments score people
  `inflate` higher, which raises a case-mix contract's expected rate and so the measured "fall".
"""
from __future__ import annotations

import duckdb

GAMING_PRISON, TRANSFER_TO, GAMING_REGION = "HMP Sowe Park", "HMP Rea Valley", "Yorkshire and the Humber"


def plant_gaming(db_path, prison: str = GAMING_PRISON, transfer_to: str = TRANSFER_TO, region: str = GAMING_REGION,
                 from_year: int = 2016, high_risk: float = 0.6, inflate: float = 0.12) -> dict:
    """Rewrite the database at `db_path` in place; returns how many releases and assessments changed."""
    con = duckdb.connect(str(db_path))
    try:
        transferred = con.execute(f"""
            UPDATE disposal SET prison = ? WHERE disposal_id IN (
              SELECT d.disposal_id FROM disposal d
              JOIN assessment a ON a.person_id = d.person_id AND a.assessment_date <= d.release_date
              WHERE d.prison = ? AND year(d.release_date) >= {from_year} AND d.person_id % 10 < 7
              QUALIFY row_number() OVER (PARTITION BY d.disposal_id ORDER BY a.assessment_date DESC,
                                         a.assessment_id DESC) = 1 AND a.ogrs_score >= {high_risk})""",
                                  [transfer_to, prison]).fetchall()[0][0]
        inflated = con.execute(f"""
            UPDATE assessment SET ogrs_score = least(ogrs_score + {inflate}, 0.99)
            WHERE year(assessment_date) >= {from_year}
              AND person_id IN (SELECT person_id FROM person WHERE region = ?)""", [region]).fetchall()[0][0]
    finally:
        con.close()
    return {"releases_transferred": int(transferred), "assessments_inflated": int(inflated)}
