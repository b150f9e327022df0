"""`justicelab local ...`: reoffending statistics by place and predicted-vs-actual for local schemes."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .cli_common import DRIVER_MEMORY_OPTION, ENGINE_OPTION, SPARK_MASTER_OPTION
from .errors import JusticeLabError

local_app = typer.Typer(help="Local areas: statistics by place, predicted vs actual for local schemes.",
                        no_args_is_help=True)

BY_OPTION = typer.Option("local_authority", "--by", help="local_authority, police_force_area, probation_region, "
                         "region, or a comma-separated combination.")
AREA_OPTION = typer.Option(None, "--area", help="LEVEL=NAME, e.g. local_authority=Southwark (repeatable).")


def _areas(values: list[str] | None) -> dict[str, str]:
    out = {}
    for v in values or []:
        level, sep, name = v.partition("=")
        if not sep or not name.strip():
            raise JusticeLabError(f"--area {v!r}: write LEVEL=NAME, e.g. local_authority=Southwark")
        out[level.strip()] = name.strip()
    return out


def _people(path: Optional[Path]) -> list[int] | None:
    """person_id column of a CSV or xlsx (people already linked to the database, e.g. by 'justicelab link')."""
    from .local.cohort_file import read_people

    return None if path is None else read_people(path)


@local_app.command("report")
def report(db: Path = typer.Option(..., "--db", help="Path of the DuckDB reoffending database "
                                   "(a Parquet folder with --engine spark)."),
           by: str = BY_OPTION, area: Optional[list[str]] = AREA_OPTION,
           period_from: Optional[str] = typer.Option(None, "--from", help="First index date (YYYY-MM-DD)."),
           period_to: Optional[str] = typer.Option(None, "--to", help="Last index date (YYYY-MM-DD)."),
           people: Optional[Path] = typer.Option(None, "--people", help="CSV with a person_id column: a local "
                                                 "scheme's cohort, compared with its predicted rate."),
           baseline_from: Optional[str] = typer.Option(None, "--baseline-from", help="With --area: demand in a "
                                                       "baseline period (YYYY-MM-DD) against the main period."),
           baseline_to: Optional[str] = typer.Option(None, "--baseline-to", help="End of the baseline period."),
           out: Path = typer.Option(Path("local-report"), "--out", help="Folder for the outputs."),
           predict: bool = typer.Option(True, "--predict/--no-predict", help="Fit the prediction model."),
           pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write a PDF."),
           engine_name: str = ENGINE_OPTION, spark_master: Optional[str] = SPARK_MASTER_OPTION,
           driver_memory: Optional[str] = DRIVER_MEMORY_OPTION):
    """Area statistics (bulletin by area, trends, England and Wales), predicted vs actual; HTML, xlsx, PDF, JSON."""
    from .cli import _open_engine, _parse_date, console
    from .local.geography import parse_levels
    from .local.outputs import write_outputs
    from .local.run import LocalConfig, run_local

    config = LocalConfig(levels=parse_levels(by), area=_areas(area), start=_parse_date(period_from, "--from"),
                         end=_parse_date(period_to, "--to"), predict=predict,
                         baseline_start=_parse_date(baseline_from, "--baseline-from"),
                         baseline_end=_parse_date(baseline_to, "--baseline-to"))
    if (config.start is None) != (config.end is None):
        raise JusticeLabError("give both --from and --to, or neither (the latest complete year)")
    if (config.baseline_start is None) != (config.baseline_end is None) or (config.baseline_start and not config.area):
        raise JusticeLabError("demand needs --area and both --baseline-from and --baseline-to")
    with _open_engine(db, engine_name, spark_master, driver_memory) as engine:
        results = run_local(engine, config, db, _people(people))
    if people is not None:
        from .provenance import sha256_of

        results["provenance"]["people_file_sha256"] = sha256_of(people)
    for kind, path in write_outputs(results, out, pdf=pdf).items():
        console.print(f"{kind}: {path}")
    local = results.get("prediction", {}).get("local")
    if local:
        console.print(f"Predicted vs actual: {100 * local['actual']:.1f}% actual, {100 * local['predicted']:.1f}% "
                      f"predicted: {local['verdict']} (weak evidence: see the report)", markup=False)


def _scheme(path: Path):
    """person_id and selection_date columns; one line naming the row and column of the first problem."""
    from .local.cohort_file import read_scheme

    return read_scheme(path)


@local_app.command("track")
def track_scheme(db: Path = typer.Option(..., "--db", help="Path of the DuckDB reoffending database "
                                         "(a Parquet folder with --engine spark)."),
                 people: Path = typer.Option(..., "--people", help="CSV with person_id and selection_date "
                                             "(YYYY-MM-DD): the scheme's people and when each was selected."),
                 out: Path = typer.Option(Path("local-tracking"), "--out", help="Folder for the outputs."),
                 engine_name: str = ENGINE_OPTION, spark_master: Optional[str] = SPARK_MASTER_OPTION,
                 driver_memory: Optional[str] = DRIVER_MEMORY_OPTION):
    """Cohort tracking (IOM-style): offences per month around selection, against a matched trajectory."""
    from .cli import _open_engine, console
    from .local.outputs import write_tracking
    from .local.run import run_tracking
    from .provenance import sha256_of

    scheme = _scheme(people)
    with _open_engine(db, engine_name, spark_master, driver_memory) as engine:
        results = run_tracking(engine, scheme, db, str(people))
    results["provenance"]["people_file_sha256"] = sha256_of(people)
    r = results
    for kind, path in write_tracking(results, out).items():
        console.print(f"{kind}: {path}")
    console.print(f"Naive before/after {r['naive_change']:+.3f} offences per person per month; against the matched "
                  f"comparison {r['effect']:+.3f} ({r['effect_low']:+.3f} to {r['effect_high']:+.3f})", markup=False)
