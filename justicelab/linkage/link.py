"""Linking a submission to people on the database.

1. A valid PNC id that agrees with the person's date of birth (exactly or with day and month swapped),
   or with both names, links directly (method "PNC").
2. Everyone else is linked probabilistically with Splink against every identity (name and aliases):
   the best-scoring person is taken when the match probability reaches LINK_PROBABILITY and beats the
   next-best person by MARGIN_BITS of match weight. Pairs scoring between REVIEW_PROBABILITY and that,
   or too close to a rival, go to the clerical review file and are not linked unless a reviewer says so.
3. One person, one row: when several rows reach the same person, the first row keeps the link and the
   others are recorded as duplicates of it.

Names are normalised the same way on both sides, in SQL: lower case, letters, apostrophes and spaces
only; forenames also get a canonical form (Bill, Billy and Will -> william).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..data.db import attach_tables
from ..data.synth.reference import nicknames
from ..engine.base import Dialect
from ..errors import JusticeLabError
from .model import U_SAMPLE_PAIRS, settings

LINK_PROBABILITY = 0.95
REVIEW_PROBABILITY = 0.50
MARGIN_BITS = 3.0


def _norm(expr: str, d: Dialect) -> str:
    hyphens = d.replace_all(f"CAST({expr} AS {d.type_name('VARCHAR')})", "-", " ")
    letters = d.replace_all(f"lower({hyphens})", "[^a-z'' ]", "")  # '' is SQL's escaped apostrophe
    return f"nullif(trim({letters}), '')"


def _identity_sql(source: str, d: Dialect) -> str:
    """Derived matching columns for a table with unique_id, person_id, row, forename, surname, dob, sex, pnc_id."""
    fore = _norm("s.forename", d)
    return f"""
        SELECT s.unique_id, s.person_id, s.row, {fore} AS forename,
               coalesce(n.canonical, {fore}) AS forename_canon,
               {_norm('s.surname', d)} AS surname, s.dob, year(s.dob) AS birth_year,
               {d.yyyymmdd('s.dob')} AS dob_text,
               CASE WHEN day(s.dob) <= 12 AND day(s.dob) <> month(s.dob)
                    THEN make_date(year(s.dob), day(s.dob), month(s.dob)) END AS dob_swapped,
               s.sex, s.pnc_id
        FROM {source} s LEFT JOIN nickname_map n ON n.name = {fore}"""


def _database_identities(d: Dialect) -> str:
    """Every identity on the database: each person's recorded name and each alias."""
    text = d.type_name("VARCHAR")
    return f"""(
    SELECT concat('p', CAST(person_id AS {text})) AS unique_id, person_id, CAST(NULL AS INTEGER) AS row, forename,
           surname, date_of_birth AS dob, gender AS sex, pnc_id FROM person
    UNION ALL
    SELECT concat('a', CAST(row_number() OVER (ORDER BY a.person_id, a.forename, a.surname, a.date_of_birth)
                            AS {text})), a.person_id, CAST(NULL AS INTEGER), a.forename, a.surname,
           a.date_of_birth, p.gender, CAST(NULL AS {text})
    FROM alias a JOIN person p ON p.person_id = a.person_id)"""


def _pnc_sql(d: Dialect) -> str:
    jw = d.jaro_winkler
    return f"""
        SELECT s.row, p.person_id FROM submission_ids s JOIN identities p
          ON p.pnc_id = s.pnc_id AND p.unique_id LIKE 'p%'
        WHERE s.dob = p.dob OR s.dob_swapped = p.dob
           OR ({jw}(s.surname, p.surname) >= 0.88 AND {jw}(s.forename_canon, p.forename_canon) >= 0.80)"""


def _nickname_frame() -> pd.DataFrame:
    rows = {}
    for canonical, alts in nicknames().items():
        for name in (canonical, *alts):
            rows.setdefault(name.lower(), canonical.lower())
    return pd.DataFrame({"name": list(rows), "canonical": list(rows.values())})


@dataclass
class LinkageResult:
    links: pd.DataFrame  # one row per usable submission row
    review: pd.DataFrame  # borderline candidate pairs for clerical review
    diagnostics: dict = field(default_factory=dict)


def _submission_frame(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "unique_id": "s" + rows["row"].astype(str), "person_id": pd.array([None] * len(rows), dtype="Int64"),
        "row": rows["row"].astype(int).to_numpy(), "forename": rows["forename"].astype(str),
        "surname": rows["surname"].astype(str), "dob": pd.to_datetime(rows["date_of_birth"]).dt.date,
        "sex": rows["sex"].astype(str),
        "pnc_id": rows["pnc_id"].astype(object).where(rows["pnc_id"].notna(), None) if "pnc_id" in rows else None})


def _prepare_duckdb(rows: pd.DataFrame, db_path: Path):
    from splink import DuckDBAPI

    con = duckdb.connect()
    try:
        attach_tables(con, db_path, ("person", "alias"))
    except duckdb.Error as exc:
        raise JusticeLabError(f"cannot open the database {db_path}: {exc}") from exc
    d = Dialect()
    con.register("nickname_frame", _nickname_frame())
    con.execute("CREATE TABLE nickname_map AS SELECT * FROM nickname_frame")
    con.register("submission_frame", _submission_frame(rows))
    con.execute(f"CREATE TABLE submission_ids AS {_identity_sql('submission_frame', d)}")
    con.execute(f"CREATE TABLE identities AS {_identity_sql(_database_identities(d), d)}")
    counts = con.execute("SELECT count(*), count(DISTINCT person_id) FROM identities").fetchall()[0]
    pnc = con.execute(_pnc_sql(d)).df()
    return DuckDBAPI(connection=con), counts, pnc, con.close


def _prepare_spark(rows: pd.DataFrame, folder: Path, spark=None):
    from splink import SparkAPI

    from ..engine.spark_engine import SparkEngine, to_pandas, to_spark

    engine = SparkEngine(spark=spark)
    session = engine.spark
    for table in ("person", "alias"):
        path = folder / f"{table}.parquet"
        if not path.exists():
            raise JusticeLabError(f"{folder} has no {table}.parquet (write one with 'justicelab export')")
        engine.register_parquet(table, str(path))
    to_spark(session, _nickname_frame()).createOrReplaceTempView("nickname_map")
    to_spark(session, _submission_frame(rows)).createOrReplaceTempView("submission_frame")
    d = engine.dialect
    session.sql(_identity_sql("submission_frame", d)).cache().createOrReplaceTempView("submission_ids")
    identities = session.sql(_identity_sql(_database_identities(d), d)).cache()
    identities.createOrReplaceTempView("identities")
    counts = session.sql("SELECT count(*), count(DISTINCT person_id) FROM identities").collect()[0]
    db_api = SparkAPI(spark_session=session, break_lineage_method="persist")  # registers Splink's similarity UDFs (jaro_winkler, ...)
    pnc = to_pandas(session.sql(_pnc_sql(d)))
    return db_api, tuple(counts), pnc, lambda: None


def link_submission(rows: pd.DataFrame, db_path: str | Path, link_probability: float = LINK_PROBABILITY,
                    review_probability: float = REVIEW_PROBABILITY, margin_bits: float = MARGIN_BITS,
                    seed: int = 1, engine: str = "duckdb", spark=None) -> LinkageResult:
    """`rows`: the usable rows of a validated submission (row, forename, surname, date_of_birth, sex, pnc_id).

    engine="duckdb": `db_path` is the DuckDB file. engine="spark": a folder of Parquet tables
    (`justicelab export`), linked with Splink's Spark backend.
    """
    from splink import Linker

    prepare = {"duckdb": _prepare_duckdb, "spark": _prepare_spark}.get(engine)
    if prepare is None:
        raise JusticeLabError("engine must be duckdb or spark")
    args = (rows, Path(db_path)) if engine == "duckdb" else (rows, Path(db_path), spark)
    db_api, (n_ids, n_people), pnc, close = prepare(*args)
    try:
        linker = Linker([db_api.register("submission_ids"), db_api.register("identities")],
                        settings(prior=1.0 / max(n_ids, 1), n_people=n_people), log_level=logging.WARNING)
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
        scored = _as_pandas(linker.inference.predict(threshold_match_weight=-10))
    finally:
        close()
    return _decide(rows, scored, pnc, link_probability, review_probability, margin_bits, n_ids)


def _as_pandas(splink_frame) -> pd.DataFrame:
    """Splink's result as pandas; Spark's goes through Arrow (its pandas path warns under pandas 3)."""
    if type(splink_frame).__name__ == "SparkDataFrame":
        from ..engine.spark_engine import to_pandas

        return to_pandas(splink_frame.as_spark_dataframe())
    return splink_frame.as_pandas_dataframe()


def _decide(rows, scored, pnc, link_p, review_p, margin, n_ids) -> LinkageResult:
    # orient every pair as (submission row, database person)
    sub_left = scored["unique_id_l"].astype(str).str.startswith("s")
    pairs = pd.DataFrame({
        "row": np.where(sub_left, scored["row_l"], scored["row_r"]).astype(int),
        "person_id": np.where(sub_left, scored["person_id_r"], scored["person_id_l"]).astype(np.int64),
        "identity": np.where(sub_left, scored["unique_id_r"], scored["unique_id_l"]),
        "match_weight": scored["match_weight"].to_numpy(), "match_probability": scored["match_probability"].to_numpy(),
    })
    best_per_person = (pairs.sort_values(["row", "match_weight", "identity"], ascending=[True, False, True])
                       .drop_duplicates(["row", "person_id"]))
    ranked = best_per_person.assign(rank=best_per_person.groupby("row").cumcount())
    top = ranked[ranked["rank"] == 0].set_index("row")
    second = ranked[ranked["rank"] == 1].set_index("row")["match_weight"]
    pnc_link = pnc.drop_duplicates("row").set_index("row")["person_id"]
    out = []
    for r in rows["row"].astype(int):
        rec = {"row": r, "person_id": None, "method": None, "match_weight": np.nan, "match_probability": np.nan,
               "runner_up_weight": second.get(r, np.nan), "status": "not_found", "reason": ""}
        if r in top.index:
            rec["match_weight"] = float(top.at[r, "match_weight"])
            rec["match_probability"] = float(top.at[r, "match_probability"])
        if r in pnc_link.index:
            rec.update(person_id=int(pnc_link[r]), method="PNC", status="linked")
        elif r in top.index:
            gap = rec["match_weight"] - (rec["runner_up_weight"] if not np.isnan(rec["runner_up_weight"]) else -np.inf)
            if rec["match_probability"] >= link_p and gap >= margin:
                rec.update(person_id=int(top.at[r, "person_id"]), method="probabilistic", status="linked")
            elif rec["match_probability"] >= review_p:
                rec.update(status="review", reason="borderline match: sent for clerical review" if gap >= margin
                           else f"two people score within {margin:g} bits: sent for clerical review")
        out.append(rec)
    links = pd.DataFrame(out)
    links["person_id"] = links["person_id"].astype("Int64")
    # one person, one row: later rows reaching the same person are duplicates
    linked = links[links["status"] == "linked"].sort_values("row")
    first = linked.drop_duplicates("person_id")
    for idx in linked.index.difference(first.index):
        keep = int(first.loc[first["person_id"] == links.at[idx, "person_id"], "row"].iloc[0])
        links.loc[idx, ["status", "reason"]] = ["duplicate", f"same person as row {keep}"]
    review_rows = links.loc[links["status"] == "review", "row"]
    review = ranked[ranked["row"].isin(review_rows) & (ranked["rank"] < 3)].drop(columns="rank")
    diagnostics = {
        "identities_searched": int(n_ids), "candidate_pairs_scored": int(len(scored)),
        "linked_by_pnc": int((links["method"] == "PNC").sum()),
        "linked_probabilistically": int((links["method"] == "probabilistic").sum()),
        "sent_for_review": int((links["status"] == "review").sum()),
        "not_found": int((links["status"] == "not_found").sum()),
        "duplicates": int((links["status"] == "duplicate").sum()),
        "thresholds": {"link_probability": link_p, "review_probability": review_p, "margin_bits": margin},
    }
    return LinkageResult(links, review.reset_index(drop=True), diagnostics)
