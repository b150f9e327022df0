"""Linking a submission to people on the database.

1. A PNC id whose number agrees (whatever its format or check letter) and whose person agrees on date
   of birth (exactly or with day and month swapped), or on both names, links directly (method "PNC").
2. Everyone else is linked probabilistically with Splink against every identity (name and aliases), with
   the database's stored model (model.py). A row's candidates compete: the chance that candidate j is the
   person is 2^w_j / (1 + sum_k 2^w_k) over the row's candidates (w: match weight, prior included), so a
   close rival lowers it. The best candidate is linked when that chance reaches LINK_PROBABILITY; between
   REVIEW_PROBABILITY and that the row goes to clerical review and is linked only if a reviewer accepts.
   Never linked without review: a forename unrelated or only loosely similar to the person's (twins and
   siblings share surname and date of birth: Ewan and Ethan), or a date of birth unrelated to theirs.
3. One person, one row: when several rows reach the same person, the first row keeps the link and the
   others are recorded as duplicates of it.

Names are normalised the same way on both sides, in SQL (names.py): transliterated, letters only, a
leading Mac as Mc; forenames also carry every formal name they can stand for (Kate: Catherine, Katherine).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..data.db import attach_tables
from ..engine.base import Dialect
from ..errors import JusticeLabError
from ..identifiers import normalise_pnc
from . import model as lm
from .names import fold_sql, key_sql, nickname_frame, token_sql

LINK_PROBABILITY = 0.95
REVIEW_PROBABILITY = 0.50


def _name_keys_sql(column: str, d: Dialect) -> str:
    """Each distinct spelling of a name on either side, normalised once (far fewer than the rows)."""
    folded = f"""SELECT raw, {fold_sql('raw', d)} AS folded FROM (
                     SELECT {column} AS raw FROM submission_raw UNION SELECT {column} FROM identities_raw) n"""
    return f"""SELECT raw, {key_sql('folded', d)} AS name_key, {token_sql('folded', 'first', d)} AS first_word,
                      {token_sql('folded', 'last', d)} AS last_word FROM ({folded}) f"""


def _identity_sql(source: str, d: Dialect) -> str:
    """Matching columns for a table with unique_id, person_id, row, forename, surname, dob, sex, pnc_id."""
    year = "year(s.dob)"
    pnc = d.replace_all(f"upper(CAST(s.pnc_id AS {d.type_name('VARCHAR')}))", "/0+", "/")
    return f"""
        SELECT s.unique_id, s.person_id, s.row, fk.name_key AS forename, sk.name_key AS surname,
               sk.first_word AS surname_first, sk.last_word AS surname_last,
               coalesce(n.canon1, fk.name_key) AS canon1, n.canon2, n.canon3,
               s.dob, {year} AS birth_year,
               CAST(floor({year} / 100) * 100 + ({year} % 10) * 10 + floor(({year} % 100) / 10) AS INTEGER)
                   AS birth_year_swapped,
               {d.days_between("DATE '1970-01-01'", "s.dob")} AS dob_days,
               substr({d.yyyymmdd('s.dob')}, 5, 4) AS dob_md, {d.yyyymmdd('s.dob')} AS dob_text,
               CASE WHEN day(s.dob) <= 12 AND day(s.dob) <> month(s.dob)
                    THEN make_date({year}, day(s.dob), month(s.dob)) END AS dob_swapped,
               s.sex, CASE WHEN regexp_extract({pnc}, '([A-Z])$', 1) <> '' THEN {pnc} END AS pnc_id,
               {d.replace_all(pnc, '[A-Z]$', '')} AS pnc_serial
        FROM {source} s
        LEFT JOIN forename_keys fk ON fk.raw = s.forename
        LEFT JOIN surname_keys sk ON sk.raw = s.surname
        LEFT JOIN nickname_map n ON n.name = fk.name_key"""


def _frequency_sql(column: str) -> str:
    """Name frequencies on the database (never the list), registered with Splink for its term-frequency
    adjustment: a shared rare surname is stronger evidence than a shared common one."""
    return f"""SELECT {column}, count(*) / (SELECT CAST(count({column}) AS DOUBLE) FROM identities) AS tf_{column}
               FROM identities WHERE {column} IS NOT NULL GROUP BY {column}"""


def _database_identities(d: Dialect) -> str:
    """Every identity on the database: each person's recorded name and each alias."""
    text = d.type_name("VARCHAR")
    return f"""(
    SELECT concat('p', CAST(person_id AS {text})) AS unique_id, person_id, CAST(NULL AS INTEGER) AS row, forename,
           surname, date_of_birth AS dob, gender AS sex, CAST(pnc_id AS {text}) AS pnc_id FROM person
    UNION ALL
    SELECT concat('a', CAST(row_number() OVER (ORDER BY a.person_id, a.forename, a.surname, a.date_of_birth)
                            AS {text})), a.person_id, CAST(NULL AS INTEGER), a.forename, a.surname,
           a.date_of_birth, p.gender, CAST(NULL AS {text})
    FROM alias a JOIN person p ON p.person_id = a.person_id)"""


def _pnc_sql(d: Dialect) -> str:
    jw = d.jaro_winkler
    return f"""
        SELECT s.row, p.person_id FROM submission_ids s JOIN identities p
          ON p.pnc_serial = s.pnc_serial AND p.unique_id LIKE 'p%'
        WHERE s.dob = p.dob OR s.dob_swapped = p.dob
           OR ({jw}(s.surname, p.surname) >= 0.88 AND ({jw}(s.forename, p.forename) >= 0.80
               OR s.canon1 IN (p.canon1, p.canon2, p.canon3)))"""


_SETUP = [  # (table, SQL): the same steps on DuckDB and Spark
    ("submission_raw", lambda d: "SELECT * FROM submission_frame"),
    ("identities_raw", lambda d: f"SELECT * FROM {_database_identities(d)}"),
    ("forename_keys", lambda d: _name_keys_sql("forename", d)),
    ("surname_keys", lambda d: _name_keys_sql("surname", d)),
    ("submission_ids", lambda d: _identity_sql("submission_raw", d)),
    ("identities", lambda d: _identity_sql("identities_raw", d)),
    ("tf_forename_db", lambda d: _frequency_sql("forename")),
    ("tf_surname_db", lambda d: _frequency_sql("surname")),
    ("people_ids", lambda d: "SELECT * FROM identities WHERE unique_id LIKE 'p%'"),
]
_FINGERPRINT = """SELECT count(*) AS identities, count(DISTINCT person_id) AS people,
                         max(person_id) AS max_person_id FROM identities"""


@dataclass
class LinkageResult:
    links: pd.DataFrame  # one row per usable submission row
    review: pd.DataFrame  # borderline candidate pairs for clerical review
    diagnostics: dict = field(default_factory=dict)


def _submission_frame(rows: pd.DataFrame) -> pd.DataFrame:
    pnc = rows["pnc_id"] if "pnc_id" in rows else pd.Series([None] * len(rows), index=rows.index)
    return pd.DataFrame({
        "unique_id": "s" + rows["row"].astype(str), "person_id": pd.array([None] * len(rows), dtype="Int64"),
        "row": rows["row"].astype(int).to_numpy(), "forename": rows["forename"].astype(str),
        "surname": rows["surname"].astype(str), "dob": pd.to_datetime(rows["date_of_birth"]).dt.date,
        "sex": rows["sex"].astype(str),
        "pnc_id": pd.Series([normalise_pnc(v)[0] if isinstance(v, str) else None for v in pnc], dtype=object,
                            index=rows.index)})


def _prepare_duckdb(rows: pd.DataFrame, db_path: Path):
    from splink import DuckDBAPI

    con = duckdb.connect()
    try:
        attach_tables(con, db_path, ("person", "alias"))
    except duckdb.Error as exc:
        raise JusticeLabError(f"cannot open the database {db_path}: {exc}") from exc
    d = Dialect()
    con.register("nickname_frame", nickname_frame())
    con.execute("CREATE TABLE nickname_map AS SELECT * FROM nickname_frame")
    con.register("submission_frame", _submission_frame(rows))
    for table, sql in _SETUP:
        con.execute(f"CREATE TABLE {table} AS {sql(d)}")
    fingerprint = con.execute(_FINGERPRINT).df().iloc[0].astype(int).to_dict()
    pnc = con.execute(_pnc_sql(d)).df()
    return DuckDBAPI(connection=con), fingerprint, pnc, con.close


def _prepare_spark(rows: pd.DataFrame, folder: Path, spark=None):
    from splink import SparkAPI

    from ..engine.spark_engine import SparkEngine, to_pandas, to_spark

    engine = SparkEngine(spark=spark)
    session = engine.spark
    if type(session).__module__.startswith("pyspark.sql.connect"):
        raise JusticeLabError("linkage needs Splink's similarity functions (Jaro-Winkler and others), which a Spark "
                              "Connect (sc://) session cannot load: link with --spark-master spark://HOST:7077, yarn "
                              "or local[*]; statistics, measures and PbR events run over sc:// (docs/spark.md)")
    for table in ("person", "alias"):
        path = folder / f"{table}.parquet"
        if not path.exists():
            raise JusticeLabError(f"{folder} has no {table}.parquet (write one with 'justicelab export')")
        engine.register_parquet(table, str(path))
    to_spark(session, nickname_frame()).createOrReplaceTempView("nickname_map")
    to_spark(session, _submission_frame(rows)).createOrReplaceTempView("submission_frame")
    d = engine.dialect
    for table, sql in _SETUP:
        session.sql(sql(d)).cache().createOrReplaceTempView(table)
    fingerprint = {k: int(v) for k, v in session.sql(_FINGERPRINT).collect()[0].asDict().items()}
    db_api = SparkAPI(spark_session=session, break_lineage_method="persist")  # registers Splink's similarity UDFs (jaro_winkler, ...)
    pnc = to_pandas(session.sql(_pnc_sql(d)))
    return db_api, fingerprint, pnc, lambda: None


def link_submission(rows: pd.DataFrame, db_path: str | Path, link_probability: float = LINK_PROBABILITY,
                    review_probability: float = REVIEW_PROBABILITY, seed: int = 1, engine: str = "duckdb",
                    spark=None) -> LinkageResult:
    """`rows`: the usable rows of a validated submission (row, forename, surname, date_of_birth, sex, pnc_id).

    engine="duckdb": `db_path` is the DuckDB file. engine="spark": a folder of Parquet tables
    (`justicelab export`), linked with Splink's Spark backend. The database's model is read from beside
    it, or estimated (once) and stored there. `seed` is kept for callers; the model's sampling seed is fixed.
    """
    from splink import Linker

    prepare = {"duckdb": _prepare_duckdb, "spark": _prepare_spark}.get(engine)
    if prepare is None:
        raise JusticeLabError("engine must be duckdb or spark")
    db_path = Path(db_path)
    args = (rows, db_path) if engine == "duckdb" else (rows, db_path, spark)
    db_api, fingerprint, pnc, close = prepare(*args)
    try:
        path = lm.model_path(db_path)
        model = lm.stored_model(path, fingerprint) or lm.estimate_model(db_api, "people_ids", fingerprint, path)
        linker = Linker([db_api.register("submission_ids"), db_api.register("identities")], lm.for_linking(model),
                        log_level=logging.WARNING)
        for column in ("forename", "surname"):
            linker.table_management.register_term_frequency_lookup(db_api.register(f"tf_{column}_db"), column)
        scored = _as_pandas(linker.inference.predict(threshold_match_weight=-10))
    finally:
        close()
    result = _decide(rows, scored, pnc, link_probability, review_probability, fingerprint["identities"])
    from .review import candidate_details

    result.review = candidate_details(db_path, result.review, rows)
    result.diagnostics["model"] = {"file": path.name, "sha256_16": lm.model_hash(model),
                                   "people": fingerprint["people"]}
    return result


def _as_pandas(splink_frame) -> pd.DataFrame:
    """Splink's result as pandas; Spark's goes through Arrow (its pandas path warns under pandas 3)."""
    if type(splink_frame).__name__ == "SparkDataFrame":
        from ..engine.spark_engine import to_pandas

        return to_pandas(splink_frame.as_spark_dataframe())
    return splink_frame.as_pandas_dataframe()


def _decide(rows, scored, pnc, link_p, review_p, n_ids) -> LinkageResult:
    # orient every pair as (submission row, database person)
    sub_left = scored["unique_id_l"].astype(str).str.startswith("s")
    pairs = pd.DataFrame({
        "row": np.where(sub_left, scored["row_l"], scored["row_r"]).astype(int),
        "person_id": np.where(sub_left, scored["person_id_r"], scored["person_id_l"]).astype(np.int64),
        "identity": np.where(sub_left, scored["unique_id_r"], scored["unique_id_l"]),
        "match_weight": scored["match_weight"].to_numpy(), "pair_probability": scored["match_probability"].to_numpy(),
        # never linked without review: a forename with no relation to the person's, or only the loosest
        # (Jaro-Winkler 0.80: not exact, a nickname, a close typo or a swap), as twins and siblings look;
        # a date of birth with no relation (a namesake)
        "forename_differs": (scored["gamma_forename"].between(0, 1)).to_numpy(),
        "dob_differs": (scored["gamma_dob"] == 0).to_numpy(),
        "other_surname": (scored["gamma_surname"] == 1).to_numpy(),  # "another surname, both women"
    })
    best_per_person = (pairs.sort_values(["row", "match_weight", "identity"], ascending=[True, False, True])
                       .drop_duplicates(["row", "person_id"]))
    # candidates compete: P(j is the person) = 2^w_j / (1 + sum_k 2^w_k), computed stably
    w = best_per_person["match_weight"].to_numpy()
    top_w = best_per_person.groupby("row")["match_weight"].transform("max").to_numpy()
    scaled = np.exp2(w - np.maximum(top_w, 0))
    total = pd.Series(scaled).groupby(best_per_person["row"].to_numpy()).transform("sum").to_numpy()
    best_per_person = best_per_person.assign(
        match_probability=scaled / (np.exp2(-np.maximum(top_w, 0)) + total))
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
            rec.update(person_id=int(pnc_link[r]), method="PNC", status="linked", match_probability=1.0)
        elif r in top.index:
            vetoed = top.at[r, "forename_differs"] or top.at[r, "dob_differs"]
            if rec["match_probability"] >= link_p and not vetoed:
                rec.update(person_id=int(top.at[r, "person_id"]), method="probabilistic", status="linked")
            elif rec["match_probability"] >= review_p or float(top.at[r, "pair_probability"]) >= review_p:
                rival = second.get(r, -np.inf) > rec["match_weight"] - 3
                rec.update(status="review", reason=(
                    "another person scores almost as well" if rival else "a different forename (a twin or sibling?)"
                    if top.at[r, "forename_differs"] else "a different date of birth (a namesake?)"
                    if top.at[r, "dob_differs"] else "another surname (married, or a namesake?)"
                    if top.at[r, "other_surname"] else "borderline match") + ": sent for clerical review")
        out.append(rec)
    links = pd.DataFrame(out)
    links["person_id"] = links["person_id"].astype("Int64")
    links = mark_duplicates(links)
    review_rows = links.loc[links["status"] == "review", "row"]
    review = ranked[ranked["row"].isin(review_rows) & (ranked["rank"] < 3)].drop(columns="rank")
    diagnostics = {
        "identities_searched": int(n_ids), "candidate_pairs_scored": int(len(scored)),
        **counts(links),
        "thresholds": {"link_probability": link_p, "review_probability": review_p},
    }
    return LinkageResult(links, review.reset_index(drop=True), diagnostics)


def mark_duplicates(links: pd.DataFrame) -> pd.DataFrame:
    """One person, one row: later rows linked to the same person become duplicates of the first."""
    links = links.copy()
    back = links["status"] == "duplicate"
    links.loc[back, "status"] = "linked"  # recomputed (clerical decisions can change who is linked)
    linked = links[links["status"] == "linked"].sort_values("row")
    first = linked.drop_duplicates("person_id")
    for idx in linked.index.difference(first.index):
        keep = int(first.loc[first["person_id"] == links.at[idx, "person_id"], "row"].iloc[0])
        links.loc[idx, ["status", "reason"]] = ["duplicate", f"same person as row {keep}"]
    return links


def counts(links: pd.DataFrame) -> dict:
    """The linkage figures the report's annex states (quality.py adds the expected false links)."""
    linked = links["status"] == "linked"
    reviewed = links["method"].astype(str).str.startswith("clerical")
    return {
        "linked_by_pnc": int((linked & (links["method"] == "PNC")).sum()),  # a duplicate row is not a link
        "linked_probabilistically": int((linked & (links["method"] == "probabilistic")).sum()),
        "linked_by_review": int((reviewed & linked).sum()),
        "sent_for_review": int(((links["status"] == "review") | reviewed).sum()),
        "not_found": int((links["status"] == "not_found").sum()),
        "duplicates": int((links["status"] == "duplicate").sum()),
        "expected_false_links": round(float((1 - links.loc[linked, "match_probability"].fillna(1.0)).sum()), 2),
    }
