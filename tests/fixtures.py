"""Hand-built reoffending databases small enough to work out the right answer by hand."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from justicelab.data.schema import NEEDS, TABLES
from justicelab.engine import Engine


def d(iso: str) -> date:
    return date.fromisoformat(iso)


def plus(day: date, n: int) -> date:
    return day + timedelta(days=n)


class Fixture:
    """Collects rows table by table; unspecified columns get neutral defaults."""

    def __init__(self):
        self.rows: dict[str, list[dict]] = {name: [] for name in TABLES if not TABLES[name].synthetic_only}
        self._ids = {"disposal": 0, "offence": 0, "assessment": 0}

    def person(self, person_id: int, dob: str = "1980-06-15", gender: str = "M", region: str = "London", **kw):
        self.rows["person"].append({
            "person_id": person_id, "pnc_id": f"99/{person_id}A", "forename": "Test", "surname": f"Person{person_id}",
            "date_of_birth": d(dob), "gender": gender, "ethnicity": "White", "nationality": "UK",
            "region": region, "local_authority": "Lambeth", **kw})
        return person_id

    def disposal(self, person_id: int, on: date, kind: str = "community_order", months: float | None = None,
                 release: date | None = None, offences: list[tuple[date, str]] | None = None,
                 group: str = "Theft offences", offence_class: str = "either_way", sexual: bool = False,
                 breach: bool = False) -> int:
        """A sentencing occasion proven on `on` with its offences [(offence date, class)]."""
        self._ids["disposal"] += 1
        did = self._ids["disposal"]
        self.rows["disposal"].append({
            "disposal_id": did, "person_id": person_id, "disposal_date": on, "disposal_type": kind,
            "custodial_months": months, "release_date": release, "prison": "HMP Wandle" if kind == "custody" else None,
            "released_from_court": False if kind == "custody" else None, "court": "Lambeth Magistrates' Court",
            "index_offence_group": "Breach of a court order" if breach else group,
            "index_offence_class": offence_class, "sexual_offence": sexual})
        for when, cls in offences or [(plus(on, -30), offence_class)]:
            self._ids["offence"] += 1
            self.rows["offence"].append({
                "offence_id": self._ids["offence"], "person_id": person_id, "disposal_id": did, "offence_date": when,
                "proven_date": on, "offence_group": "Breach of a court order" if breach else group,
                "offence_class": cls, "is_breach": breach, "led_to_custody": kind == "custody"})
        return did

    def assessment(self, person_id: int, on: date, ogrs: float = 0.5, **needs):
        self._ids["assessment"] += 1
        row = {"assessment_id": self._ids["assessment"], "person_id": person_id, "assessment_date": on,
               "ogrs_score": ogrs}
        row.update({col: bool(needs.get(col, False)) for col, _ in NEEDS})
        self.rows["assessment"].append(row)

    def benefit(self, person_id: int, start: date, end: date | None, kind: str = "JSA"):
        self.rows["benefit_spell"].append({"person_id": person_id, "benefit_type": kind, "start_date": start,
                                           "end_date": end})

    def job(self, person_id: int, start: date, end: date | None):
        self.rows["employment_spell"].append({"person_id": person_id, "start_date": start, "end_date": end})

    def frames(self) -> dict[str, pd.DataFrame]:
        out = {}
        for name, rows in self.rows.items():
            if TABLES[name].optional and not rows:  # an extract may lack an optional table altogether
                continue
            cols = TABLES[name].column_names
            frame = pd.DataFrame(rows, columns=cols)
            for c in TABLES[name].columns:
                if c.type == "DATE":
                    frame[c.name] = pd.to_datetime(frame[c.name])
                elif c.type == "BOOLEAN":
                    frame[c.name] = frame[c.name].astype("boolean")
                elif c.type in ("BIGINT", "INTEGER"):
                    frame[c.name] = frame[c.name].astype("Int64")
                elif c.type == "DOUBLE":
                    frame[c.name] = frame[c.name].astype("float64")
                else:
                    frame[c.name] = frame[c.name].astype("object")
            out[name] = frame
        return out

    def register(self, engine: Engine) -> Engine:
        for name, frame in self.frames().items():
            engine.register_typed(name, frame, {c.name: c.type for c in TABLES[name].columns})
        return engine


def synthetic_db(tmp_path_factory, people: int, seed: int):
    """A synthetic database file for a test module."""
    from justicelab.data.db import write_database
    from justicelab.data.synth.generator import SynthConfig, generate

    path = tmp_path_factory.mktemp("synth") / f"db_{people}_{seed}.duckdb"
    write_database(path, generate(SynthConfig(people=people, seed=seed)))
    return path


def exported_db(tmp_path_factory, people: int, seed: int):
    """A synthetic database file and its Parquet export (`parquet/` beside it), for the Spark tests."""
    from justicelab.data.load import export_folder

    db = synthetic_db(tmp_path_factory, people, seed)
    parquet = db.parent / "parquet"
    export_folder(db, parquet, "parquet")
    return db, parquet


def spark_on_parquet(spark_session, folder):
    """A Spark engine with every table of a Parquet export registered, as `--engine spark` does."""
    from justicelab.engine.spark_engine import SparkEngine

    engine = SparkEngine(spark=spark_session)
    for path in sorted(folder.glob("*.parquet")):
        engine.register_parquet(path.stem, str(path))
    return engine


def chromium_path() -> str:
    """Debian's Chromium for the browser suite (scripts/install-browser); the test fails without it."""
    import shutil

    import pytest

    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Chromium is needed for the browser suite: run scripts/install-browser")
    return path
