"""`justicelab employment timelines|reoffending` and `justicelab local report|track` on Spark (a Parquet export
of a small synthetic database) give DuckDB's results: every figure equal to 1e-9, every table equal. The CLI's
`--engine spark` path is run once per command group (its results.json against DuckDB's), and its errors are
one line."""
from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from justicelab.cli import main
from justicelab.employment.run import reoffending_on_database
from justicelab.engine import DuckDBEngine
from justicelab.local.tracking import build_tracking, scheme_and_pool, track
from tests.fixtures import exported_db, spark_on_parquet

pytestmark = pytest.mark.spark

TOLERANCE = 1e-9
# London is a sixth of the synthetic population: enough people for the model, the matched comparison and demand
REPORT = ["--by", "police_force_area", "--area", "region=London", "--from", "2019-01-01", "--to", "2019-12-31",
          "--baseline-from", "2017-01-01", "--baseline-to", "2017-12-31", "--no-pdf"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return exported_db(tmp_path_factory, 20_000, 9)


@pytest.fixture(scope="module")
def spark(spark_session, data):
    return spark_on_parquet(spark_session, data[1])


def _number(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def assert_same(duck, spark, path: str = "") -> None:
    """Equal structure and values; numbers equal to 1e-9 (relative above 1), everything else exactly."""
    if isinstance(duck, dict):
        assert isinstance(spark, dict) and sorted(duck) == sorted(spark), path
        for key in duck:
            assert_same(duck[key], spark[key], f"{path}/{key}")
    elif isinstance(duck, (list, tuple)):
        assert isinstance(spark, (list, tuple)) and len(duck) == len(spark), path
        for i, (a, b) in enumerate(zip(duck, spark)):
            assert_same(a, b, f"{path}[{i}]")
    elif _number(duck) and _number(spark):
        if math.isnan(duck):
            assert math.isnan(spark), path
        else:
            assert abs(duck - spark) <= TOLERANCE * max(1.0, abs(duck)), (path, duck, spark)
    else:
        assert duck == spark and type(duck) is type(spark), (path, duck, spark)


def _without_inputs(results: dict) -> dict:
    """Results minus what names the input itself (the DuckDB file or the Parquet folder and their hashes)."""
    out = dict(results, provenance=dict(results["provenance"]))
    for key in ("inputs", "database_sha256"):
        out["provenance"].pop(key, None)
    return out


def _cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_employment_timelines_cli_on_spark_equals_duckdb(data, spark, tmp_path, capsys):
    db, parquet = data
    outs = {}
    for name, source, engine in (("duckdb", db, []), ("spark", parquet, ["--engine", "spark"])):
        code, out, err = _cli(["employment", "timelines", "--db", str(source), "--out", str(tmp_path / name)] + engine,
                              capsys)
        assert code == 0, err
        outs[name] = out
    duck, on_spark = (json.loads((tmp_path / name / "results.json").read_text()) for name in ("duckdb", "spark"))
    assert all("withheld" not in g and g["people"] >= 30 for g in duck["groups"].values())  # real curves compared
    assert_same(_without_inputs(duck), _without_inputs(on_spark))
    assert outs["duckdb"].splitlines()[:2] == outs["spark"].splitlines()[:2]  # the printed summary lines


def test_employment_reoffending_on_spark_equals_duckdb(data, spark):
    db, parquet = data
    args = (date(2015, 1, 1), date(2019, 12, 31), 91)
    duck = reoffending_on_database(db, *args)
    assert sum("rate" in row for row in duck["rows"]) >= 3  # estimates, not only withheld rows
    assert_same(_without_inputs(duck), _without_inputs(reoffending_on_database(parquet, *args, engine=spark)))


def test_local_report_cli_on_spark_equals_duckdb(data, spark, tmp_path, capsys):
    db, parquet = data
    for name, source, engine in (("duckdb", db, []), ("spark", parquet, ["--engine", "spark"])):
        code, _, err = _cli(["local", "report", "--db", str(source), "--out", str(tmp_path / name)] + REPORT + engine,
                            capsys)
        assert code == 0, err
    duck, on_spark = (json.loads((tmp_path / name / "results.json").read_text()) for name in ("duckdb", "spark"))
    assert duck["prediction"]["matched"]["run"] and len(duck["demand"]["rows"]) == 3  # every part compared
    assert len(duck["trends"]["rows"]) > 8
    assert_same(_without_inputs(duck), _without_inputs(on_spark))


def _dates_as_timestamps(frame: pd.DataFrame) -> pd.DataFrame:
    """DuckDB returns dates as datetime64, Spark as datetime.date."""
    return frame.assign(event_date=pd.to_datetime(frame["event_date"]).astype("datetime64[ns]"))


def test_local_tracking_on_spark_equals_duckdb(data, spark):
    db, _ = data
    with DuckDBEngine(db, read_only=True) as duck:
        pool = build_tracking(duck, date(2015, 1, 1), date(2016, 12, 31), date(2021, 12, 31))
        burst = pool[[-3, -2, -1]].sum(axis=1) >= 3
        chosen = pool[burst & (np.random.default_rng(9).random(len(pool)) < 0.5)]
        scheme = chosen.reset_index()[["person_id", "event_date"]]
        frame, treated = scheme_and_pool(duck, scheme, date(2021, 12, 31))
    frame_s, treated_s = scheme_and_pool(spark, scheme, date(2021, 12, 31))
    pd.testing.assert_frame_equal(_dates_as_timestamps(frame), _dates_as_timestamps(frame_s), check_dtype=False)
    pd.testing.assert_series_equal(treated, treated_s)
    expected, got = track(frame, treated), track(frame_s, treated_s)
    assert expected["matched_people"] >= 20
    pd.testing.assert_frame_equal(expected.pop("series"), got.pop("series"), rtol=TOLERANCE)
    assert_same(expected, got)


def test_cli_errors_with_spark_are_one_line(data, spark, tmp_path, capsys):
    db, parquet = data
    no_claimants = tmp_path / "no_claimants"
    no_claimants.mkdir()
    broken = tmp_path / "broken"
    broken.mkdir()
    strangers = tmp_path / "strangers.csv"
    strangers.write_text("person_id,selection_date\n999999991,2015-06-01\n999999992,2015-06-01\n")
    for path in parquet.glob("*.parquet"):
        if path.stem != "claimant_benefit_spell":
            (no_claimants / path.name).symlink_to(path)
        (broken / path.name).write_bytes(b"not parquet" if path.stem == "offence" else path.read_bytes())
    cases = [
        (["employment", "timelines", "--db", str(no_claimants)], "has no claimant_benefit_spell table"),
        (["employment", "reoffending", "--db", str(db)], "with --engine spark, --db is a folder of Parquet files"),
        (["local", "report", "--db", str(broken), "--no-pdf"], "broken/offence.parquet"),
        (["local", "track", "--db", str(parquet), "--people", str(strangers)], "2 of the scheme's people are not on"),
    ]
    # the CLI reuses this process's Spark session, where the other tests registered the full export's tables
    spark.spark.catalog.dropTempView("claimant_benefit_spell")
    for args, message in cases:
        code, _, err = _cli(args + ["--out", str(tmp_path / "out"), "--engine", "spark"], capsys)
        assert code == 2 and message in err, (args, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
