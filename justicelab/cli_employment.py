"""`justicelab employment ...`: the DWP/MoJ data share analyses (docs/employment.md)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer

from .cli_common import DRIVER_MEMORY_OPTION, ENGINE_OPTION, SPARK_MASTER_OPTION, open_engine
from .errors import JusticeLabError

app = typer.Typer(help="Employment and benefits of prison leavers (DWP/MoJ data share, seed 002).",
                  no_args_is_help=True)
DB = typer.Option(..., "--db", help="Path of the DuckDB reoffending database (a Parquet folder with --engine spark).")
OUT = typer.Option(..., "--out", help="Folder for report.html, annex.xlsx, results.json and charts/.")
PDF = typer.Option(False, "--pdf", help="Also write report.pdf (WeasyPrint).")


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise JusticeLabError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _on_engine(run, db: Path, engine_name: str, spark_master: str | None, driver_memory: str | None, *args):
    """run(db, *args) on DuckDB (the database's tables attached in memory: a DuckDB file or a Parquet
    folder), or run(db, *args, engine=...) on Spark over a Parquet export."""
    from .data.db import require_database

    if engine_name == "duckdb":
        return run(require_database(db), *args)
    with open_engine(db, engine_name, spark_master, driver_memory) as engine:
        return run(db, *args, engine=engine)


def _write(results: dict, out: Path, pdf: bool) -> None:
    from .cli import console
    from .employment.report import write_employment_report

    paths = write_employment_report(results, out, pdf)
    console.print("Wrote " + ", ".join(str(p) for p in paths.values()))


@app.command()
def timelines(db: Path = DB, out: Path = OUT, start: str = typer.Option("2008-01-01", "--from"),
              end: str = typer.Option("2017-12-31", "--to"),
              claim_within: int = typer.Option(90, "--claim-within", help="Days after release a JSA claim may start."),
              pdf: bool = PDF, engine_name: str = ENGINE_OPTION, spark_master: Optional[str] = SPARK_MASTER_OPTION,
              driver_memory: Optional[str] = DRIVER_MEMORY_OPTION):
    """Claim survival, time on benefits and monthly status: prison leavers vs all JSA claimants."""
    from .cli import console
    from .employment.run import timelines as run

    if not 0 <= claim_within <= 365:
        raise JusticeLabError("--claim-within must be a number of days from 0 to 365")
    results = _on_engine(run, db, engine_name, spark_master, driver_memory, _day(start, "--from"), _day(end, "--to"),
                         claim_within)
    for name, g in results["groups"].items():
        if g.get("withheld"):
            console.print(f"{name}: not shown ({g['withheld']})")
        else:
            console.print(f"{name}: {g['people']:,} people; {100 * g['survival'][52]:.0f}% still on the initial claim "
                          f"at 52 weeks; {100 * g['share_on_benefit']:.0f}% of three years on benefits")
    _write(results, out, pdf)


@app.command()
def reoffending(db: Path = typer.Option(None, "--db", help="The database; leave out with --simulate."),
                out: Path = OUT, start: str = typer.Option("2015-01-01", "--from"),
                end: str = typer.Option("2019-12-31", "--to"),
                landmark: int = typer.Option(91, "--landmark", help="Landmark day after release."),
                simulate: bool = typer.Option(False, "--simulate", help="Simulated leavers with a planted effect."),
                people: int = typer.Option(20_000, "--people"), seed: int = typer.Option(1, "--seed"),
                pdf: bool = PDF, engine_name: str = ENGINE_OPTION, spark_master: Optional[str] = SPARK_MASTER_OPTION,
                driver_memory: Optional[str] = DRIVER_MEMORY_OPTION):
    """Employed vs matched not employed after release, naive, landmark and sequential designs, by sentence length."""
    from .cli import console
    from .employment.run import reoffending_on_database, reoffending_simulated

    if not 1 <= landmark <= 300:
        raise JusticeLabError("--landmark must be a day between 1 and 300")
    if simulate:
        if db is not None or engine_name != "duckdb":
            raise JusticeLabError("--simulate makes its own prison leavers: leave out --db and --engine")
        results = reoffending_simulated(people, seed, landmark)
    elif db is None:
        raise JusticeLabError("give --db, or --simulate for the planted-effect demonstration")
    else:
        results = _on_engine(reoffending_on_database, db, engine_name, spark_master, driver_memory,
                             _day(start, "--from"), _day(end, "--to"), landmark)
    for r in results["rows"]:
        if r.get("withheld"):
            console.print(f"{r['sentence_group']}, {r['design']}: not shown ({r['withheld']})")
            continue
        e = r["rate"]
        truth = f"; truth {100 * r['truth_rate']:.1f}" if "truth_rate" in r else ""
        console.print(f"{r['sentence_group']}, {r['design']}: {100 * e['difference']:.1f} points "
                      f"({100 * e['ci_low']:.1f} to {100 * e['ci_high']:.1f}){truth}")
    _write(results, out, pdf)
