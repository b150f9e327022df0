"""The `justicelab` command: a thin layer over the stage packages."""
from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from . import __version__
from .cli_common import DRIVER_MEMORY_OPTION, SPARK_MASTER_OPTION
from .cli_common import open_engine as _open_engine
from .cli_common import spark_errors_for as _spark_errors
from .errors import DataError, JusticeLabError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="justicelab: proven reoffending measures and impact analysis (a Justice Data Lab).")
console = Console()
if not console.is_terminal:  # piped or logged: wide enough for the bulletin table
    console = Console(width=140)
err = Console(stderr=True, soft_wrap=True)  # an error is one line, however long

DB_OPTION = typer.Option(..., "--db", help="Path of the DuckDB reoffending database.")


@contextmanager
def _steps(total: int, title: str):
    """A progress bar over named steps; yields a function that advances it."""
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=err, transient=False, disable=not err.is_terminal) as progress:
        task = progress.add_task(title, total=total)

        def advance(step: str) -> None:
            progress.update(task, advance=1, description=f"{title}: {step}")
        yield advance
        progress.update(task, completed=total, description=f"{title}: done")


@app.command()
def synth(people: int = typer.Option(100_000, "--people", min=1_000, help="Number of people to generate."),
          seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same database."),
          db: Path = DB_OPTION,
          replace: bool = typer.Option(True, "--replace/--no-replace", help="Overwrite an existing database.")):
    """Generate a synthetic national reoffending database with planted programme effects."""
    from .data.db import write_database
    from .data.synth.generator import SynthConfig, generate

    start = time.perf_counter()
    with _steps(7, "synthetic database") as advance:
        tables = generate(SynthConfig(people=people, seed=seed), progress=advance)
        advance("writing")
        write_database(db, tables, replace=replace)
    console.print(f"Wrote {db}: {people:,} people, {len(tables['disposal']):,} disposals, "
                  f"{len(tables['offence']):,} proven offences in {time.perf_counter() - start:.1f} s")


@app.command("synth-submission")
def synth_submission(programme: str = typer.Option(..., "--programme", help="link-worker, prison-mentoring, "
                                                   "through-the-gate or peer-mentoring."),
                     db: Path = DB_OPTION,
                     out: Path = typer.Option(..., "--out", help="CSV file to write."),
                     seed: int = typer.Option(1, "--seed"),
                     size: Optional[int] = typer.Option(None, "--size", help="Sample this many participants.")):
    """Write the participant list an organisation would send (with the true identities alongside)."""
    from .data.db import require_database
    from .data.synth.submission import write_submission

    paths = write_submission(require_database(db), programme, out, seed, size)
    for kind, path in paths.items():
        console.print(f"{kind}: {path}")


@app.command()
def load(folder: Path = typer.Argument(..., help="Folder with one NAME.parquet or NAME.csv per table."),
         db: Path = DB_OPTION,
         replace: bool = typer.Option(False, "--replace", help="Overwrite an existing database.")):
    """Load real data into a database, after checking every file against the schema."""
    from .data.load import load_folder

    with _steps(1, "checking and loading") as advance:
        counts = load_folder(folder, db, replace=replace)
        advance("loaded")
    for name, n in counts.items():
        console.print(f"{name}: {n:,} rows")
    console.print(f"Loaded {db}")


@app.command()
def export(db: Path = DB_OPTION, out: Path = typer.Option(..., "--out", help="Folder to write."),
           fmt: str = typer.Option("parquet", "--format", help="parquet or csv.")):
    """Write every table to Parquet or CSV (for Spark, or to edit and load again)."""
    from .data.db import require_database
    from .data.load import export_folder

    if fmt not in ("parquet", "csv"):
        raise JusticeLabError("--format must be parquet or csv")
    for path in export_folder(require_database(db), out, fmt):
        console.print(str(path))


@app.command()
def schema(out: Optional[Path] = typer.Option(None, "--out", help="Write the data dictionary here.")):
    """Print (or write) the data dictionary of the reoffending database."""
    from .data.schema import data_dictionary_markdown

    text = data_dictionary_markdown()
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {out}")
    else:
        console.print(text, markup=False)


def _parse_date(value: Optional[str], name: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise JusticeLabError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


@app.command()
def stats(db: Path = DB_OPTION,
          by: Optional[str] = typer.Option(None, "--by", help="region, sentence, quarter or sex."),
          period_from: Optional[str] = typer.Option(None, "--from", help="First index date (YYYY-MM-DD)."),
          period_to: Optional[str] = typer.Option(None, "--to", help="Last index date (YYYY-MM-DD)."),
          as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
          engine_name: str = typer.Option("duckdb", "--engine", help="duckdb or spark (reads DB as a Parquet folder)."),
          spark_master: Optional[str] = SPARK_MASTER_OPTION, driver_memory: Optional[str] = DRIVER_MEMORY_OPTION):
    """Proven reoffending statistics for an adult cohort, in the form of the official bulletin."""
    from .measures.bulletin import national_statistics

    start, end = _parse_date(period_from, "--from"), _parse_date(period_to, "--to")
    with _open_engine(db, engine_name, spark_master, driver_memory) as engine, \
            _steps(1, "proven reoffending cohort") as advance:
        table, start, end = national_statistics(engine, start, end, by)
        advance("measured")
    if as_json:
        print(json.dumps({"period": [start.isoformat(), end.isoformat()], "breakdown": by or "none",
                          "rows": table.to_dict(orient="records")}, indent=2, default=str))
        return
    _print_bulletin(table, start, end, by)


def _print_bulletin(table, start: date, end: date, by: Optional[str]) -> None:
    t = Table(title=f"Proven reoffending: adult offenders with an index date {start:%d %b %Y} to {end:%d %b %Y}")
    heads = ["", "Offenders", "Reoffenders", "% reoffending", "Reoffences", "Per reoffender", "Per offender"]
    for h in heads:
        t.add_column(h, justify="left" if not h else "right")
    for row in table.itertuples(index=False):
        t.add_row(str(row.group), f"{row.offenders:,}", f"{row.reoffenders:,}", f"{row.proportion_reoffending_pct:.1f}",
                  f"{row.reoffences:,}", f"{row.reoffences_per_reoffender:.2f}", f"{row.reoffences_per_offender:.2f}")
    console.print(t)


@app.command()
def demo(out: Path = typer.Option(Path("justicelab-demo"), "--out", help="Folder for the demo's outputs."),
         people: int = typer.Option(400_000, "--people", min=20_000, help="Size of the synthetic database."),
         programme: str = typer.Option("link-worker", "--programme", help="The programme whose report is written."),
         seed: int = typer.Option(1, "--seed")):
    """The main job on synthetic data: database, submission, linkage, matching, the full report."""
    import duckdb

    from .analysis.config import AnalysisConfig
    from .analysis.run import analyse as run_analyse
    from .data.db import write_database
    from .data.synth.generator import SynthConfig, generate
    from .data.synth.submission import write_submission
    from .engine import DuckDBEngine
    from .measures.bulletin import national_statistics
    from .report.build import results_history, write_report

    out.mkdir(parents=True, exist_ok=True)
    db = out / "reoffending.duckdb"
    timings: dict[str, tuple[float, float]] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    with _steps(7, "synthetic database") as advance:
        tables = generate(SynthConfig(people=people, seed=seed), progress=advance)
        advance("writing")
        write_database(db, tables)
    timings["synthetic database"] = (time.perf_counter() - t0, time.process_time() - c0)
    t0, c0 = time.perf_counter(), time.process_time()
    with DuckDBEngine(db, read_only=True) as engine:
        table, start, end = national_statistics(engine)
    _print_bulletin(table, start, end, None)
    timings["national statistics"] = (time.perf_counter() - t0, time.process_time() - c0)
    t0, c0 = time.perf_counter(), time.process_time()
    paths = write_submission(db, programme, out / "submission.csv", seed)
    timings["submission"] = (time.perf_counter() - t0, time.process_time() - c0)
    t0, c0 = time.perf_counter(), time.process_time()
    cfg = AnalysisConfig(seed=seed)
    with _steps(6, "analysis") as advance:
        results = run_analyse(paths["submission"], db, cfg, progress=advance, linkage_out=out / "linkage")
    timings["linkage, matching and estimates"] = (time.perf_counter() - t0, time.process_time() - c0)
    t0, c0 = time.perf_counter(), time.process_time()
    analysed = _demo_history(db, out / "results-db", programme, cfg)
    timings[f"{analysed} other programmes (results database)"] = (time.perf_counter() - t0, time.process_time() - c0)
    t0, c0 = time.perf_counter(), time.process_time()
    report = write_report(results, out / "report", history=results_history(out / "results-db"))
    timings["report (HTML, PDF, Excel)"] = (time.perf_counter() - t0, time.process_time() - c0)
    _print_headline(results)
    truth = duckdb.connect(str(db), read_only=True).execute(
        "SELECT measure, true_effect FROM truth_effect WHERE programme = ?", [programme]).df()
    truth = dict(zip(truth["measure"], truth["true_effect"]))
    national = results["analyses"][0]
    for key, measure in (("reoffending_rate_analysable", "rate"), ("reoffending_frequency_analysable", "frequency")):
        m = next(x for x in national["measures"] if x["measure"] == measure)
        covered = m["ci_low"] <= truth[key] <= m["ci_high"]
        console.print(f"Planted true effect on the {measure} (participants analysed): {truth[key]:+.3f}; national estimate "
                      f"{m['difference']:+.3f} ({m['ci_low']:+.3f} to {m['ci_high']:+.3f}): "
                      f"{'covered' if covered else 'NOT covered'}")
    t0, c0 = time.perf_counter(), time.process_time()
    statement = _demo_pbr(db, out / "pbr")
    timings["payment-by-results statement"] = (time.perf_counter() - t0, time.process_time() - c0)
    console.print("Stage times (wall / CPU of this process): " + ", ".join(
        f"{k} {wall:.1f} s / {cpu:.1f} s" for k, (wall, cpu) in timings.items()))
    console.print(f"Total: {sum(v[0] for v in timings.values()):.1f} s wall, "
                  f"{sum(v[1] for v in timings.values()):.1f} s CPU")
    console.print(f"Report: {report['html']}\n        {report.get('pdf')}\n        {report['annex']}")
    console.print(f"Outcome statement: {statement}")


def _demo_pbr(db: Path, out: Path) -> Path:
    """The Nenebridge bond on the demo database (the through-the-gate service has a planted effect)."""
    from importlib import resources

    from .pbr.statement import measure_contract
    from .report.statement import write_statement

    contract = resources.files("justicelab.pbr").joinpath("contracts/peterborough.yaml")
    with resources.as_file(contract) as path:
        statement = measure_contract(path, db, samples=out / "samples")
    _print_statement(statement)
    return write_statement(statement, out)["html"]

def _validated(submission: Path, us_dates: bool):
    from .submission.validate import validate as run_validation

    return run_validation(submission, day_first=not us_dates)


def _demo_history(db: Path, folder: Path, main_programme: str, cfg) -> int:
    """Analyse the other synthetic programmes too: the data lab's database of published results."""
    from .analysis.run import analyse as run_analyse
    from .data.synth.programmes import PROGRAMMES
    from .data.synth.submission import write_submission

    done = 0
    for prog in PROGRAMMES:
        if prog.name == main_programme:
            continue
        sub = write_submission(db, prog.name, folder / prog.name / "submission.csv", cfg.seed)
        try:
            results = run_analyse(sub["submission"], db, cfg)
        except JusticeLabError as exc:  # too few people in a small database: say so and go on
            console.print(f"{prog.title}: not analysed ({exc})")
            continue
        (folder / prog.name / "results.json").write_text(json.dumps(results, default=str, sort_keys=True),
                                                         encoding="utf-8")
        done += 1
    return done


@app.command()
def validate(submission: Path = typer.Argument(..., help="The submission: .csv (UTF-8, UTF-16 or Windows-1252) or .xlsx."),
             report: Optional[Path] = typer.Option(None, "--report", help="Write the problems to this CSV."),
             us_dates: bool = typer.Option(False, "--us-dates", help="Read 04/05/2020 as 5 April (month first).")):
    """Check a submission and list every problem by row and column.

    Exit status: 0 usable, 1 usable but rows with errors will be left out, 2 refused."""
    from .submission.read import SubmissionRefused
    from .submission.report import write_problems, write_refusal

    try:
        v = _validated(submission, us_dates)
    except SubmissionRefused as exc:  # the report, if asked for, still says why
        if report:
            write_refusal(str(exc), report)
        raise
    problems = v.report()
    if report:
        write_problems(problems, report)
    s = v.summary()
    console.print(f"{submission.name}: {s['records']} records ({s['encoding']}), {s['usable_records']} usable, "
                  f"{s['distinct_people']} distinct people; {s['errors']} errors, {s['warnings']} warnings",
                  markup=False)
    t = Table(show_lines=False)
    for col in ("row", "column", "value", "severity", "problem"):
        t.add_column(col)
    for rec in problems.head(200).itertuples(index=False):
        t.add_row(*(Text(str(x)) for x in (rec.row or "file", rec.column, rec.value, rec.severity, rec.problem)))
    if len(problems):
        console.print(t)
    if len(problems) > 200:
        console.print(f"... and {len(problems) - 200} more (use --report FILE for them all)")
    if v.rejected:
        err.print(f"error: {submission.name}: submission refused: {v.rejected}", markup=False, highlight=False)
        raise typer.Exit(2)
    if v.errors:
        raise typer.Exit(1)


@app.command()
def link(submission: Path = typer.Argument(..., help="The submission (.csv or .xlsx)."),
         db: Path = DB_OPTION,
         out: Path = typer.Option(..., "--out", help="Folder for the treatment group, exclusions and diagnostics."),
         accept_errors: bool = typer.Option(False, "--accept-errors",
                                            help="Go ahead without rows whose details could not be read."),
         us_dates: bool = typer.Option(False, "--us-dates", help="Dates are month first."),
         engine_name: str = typer.Option("duckdb", "--engine", help="duckdb, or spark (--db is a Parquet folder)."),
         spark_master: Optional[str] = SPARK_MASTER_OPTION, driver_memory: Optional[str] = DRIVER_MEMORY_OPTION):
    """Link a submission to the database and build the treatment group, counting every exclusion."""
    from .data.db import require_database
    from .linkage.link import link_submission
    from .linkage.outputs import attrition_sentences, write_outputs
    from .linkage.treatment import build_treatment_group

    require_database(db)
    v = _validated(submission, us_dates)
    if v.rejected:
        raise JusticeLabError(f"submission refused: {v.rejected}")
    if v.errors and not accept_errors:
        raise JusticeLabError(f"{len(v.errors)} problems make rows unreadable: run 'justicelab validate "
                              f"{submission}' to see them, or pass --accept-errors to exclude those rows")
    with _steps(3, "linkage") as advance:
        if engine_name not in ("duckdb", "spark"):
            raise JusticeLabError("--engine must be duckdb or spark")
        with _spark_errors(engine_name):
            spark = None
            if engine_name == "spark":
                from .engine.spark_engine import start_session

                spark = start_session(spark_master, driver_memory)
            linkage = link_submission(v.rows[v.rows["status"] == "ok"], db, engine=engine_name, spark=spark)
        advance("linked")
        group = build_treatment_group(db, v.rows, linkage.links)
        advance("treatment group")
        from .submission.validate import read_programme

        paths = write_outputs(out, v.report(), linkage, group, {**v.summary(), "programme": read_programme(submission)},
                              v.rows)
        advance("written")
    for line in attrition_sentences(group.attrition):
        console.print(line)
    console.print(f"Outputs in {out}: " + ", ".join(p.name for p in paths.values()))


@app.command()
def analyse(submission: Path = typer.Argument(..., help="The submission (.csv or .xlsx)."),
            db: Path = DB_OPTION,
            out: Path = typer.Option(..., "--out", help="Folder for results.json, the report and the annex."),
            config: Optional[Path] = typer.Option(None, "--config", help="Analysis settings (YAML or JSON)."),
            response: Optional[Path] = typer.Option(None, "--response", help="The organisation's response (text)."),
            results_db: Optional[Path] = typer.Option(None, "--results-db",
                                                      help="Folder of earlier results.json files (for the forest plot)."),
            pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write the PDF.")):
    """The Data Lab analysis: link, match nationally and by region, estimate the seven measures, write the report."""
    from .analysis.config import load_config
    from .analysis.run import analyse as run_analyse
    from .data.db import require_database
    from .report.build import results_history, write_report

    require_database(db)
    cfg = load_config(config)
    with _steps(6, "analysis") as advance:
        results = run_analyse(submission, db, cfg, progress=advance, linkage_out=out / "linkage")
        advance("report")
        paths = write_report(results, out, response.read_text(encoding="utf-8") if response else None,
                             results_history(results_db), pdf=pdf)
    _print_headline(results)
    console.print("Report: " + ", ".join(str(p) for p in paths.values()))


def _print_headline(results: dict) -> None:
    from .report import wording as w

    t = Table(title=f"Headline results: {results['programme'].get('programme') or 'programme'}")
    for col in ("Analysis", "Measure", "Treatment", "Comparison", "Difference (95% CI)", "p"):
        t.add_column(col)
    for a in results["analyses"]:
        for m in a["measures"]:
            if m["table"] > 3 or m.get("withheld"):
                continue
            t.add_row(a["name"], m["measure"], w.value(m["kind"], m["treated_value"]),
                      w.value(m["kind"], m["comparison_value"]), w.interval(m["kind"], m["ci_low"], m["ci_high"]),
                      w.p_value(m["p_value"]))
    console.print(t)


@app.command()
def pbr(contract: Path = typer.Argument(..., help="The contract file (YAML): see contracts/ and docs/pbr.md."),
        db: Path = DB_OPTION,
        out: Path = typer.Option(..., "--out", help="Folder for statement.html/.pdf/.json and register.csv."),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="Statement date (YYYY-MM-DD); default: the "
                                            "database's snapshot date. Later data are ignored."),
        balance_only: bool = typer.Option(False, "--balance-only", help="Match and report balance; count no outcome."),
        pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write the PDF."),
        samples: Optional[Path] = typer.Option(None, "--samples", help="Folder of frozen matched samples (default: "
                                               "<contract>-samples beside the contract).")):
    """Payment by results: an outcome statement for a contract, as of a date."""
    from .pbr.statement import measure_contract
    from .report.statement import write_statement

    when = _parse_date(as_of, "--as-of")
    with _steps(7, "outcome statement") as advance:
        statement = measure_contract(contract, db, when, balance_only=balance_only, progress=advance, samples=samples)
        advance("writing")
        paths = write_statement(statement, out, pdf=pdf)
    _print_statement(statement)
    console.print("Statement: " + ", ".join(str(p) for p in paths.values()))


def _print_statement(s: dict) -> None:
    console.print(f"[bold]{s['contract']['name']}[/bold]: {s['kind']} statement as of {s['as_of']}")
    for c in s.get("cohorts", []):
        if "reduction" in c:
            console.print(f"  cohort {c['cohort']} ({c['treated_matched']} people, {c['status']}): "
                          f"T {c['treated_per_100']:.1f} vs C {c['comparison_per_100']:.1f} events per 100, "
                          f"R {100 * c['reduction']:.1f}% ({100 * c['reduction_low']:.1f}% to {100 * c['reduction_high']:.1f}%)")
    if s.get("pooled"):
        console.print(f"  pooled R {100 * s['pooled']['reduction']:.1f}%")
    for r in s.get("results", []):
        fall = r.get("fall_pp", r.get("fall"))
        console.print(f"  cohort {r.get('cohort', '')} {r['measure']}: fall {fall:.2f} ({r.get('decision', '')})")
    if s.get("headline"):
        console.print(s["headline"])


from .cli_pbr import register as _register_pbr  # noqa: E402 (pbr-calc lives in its own module)

_register_pbr(app)

from .cli_local import local_app as _local_app  # noqa: E402 (justicelab local ...)

app.add_typer(_local_app, name="local")

service_app = typer.Typer(help="The data lab service: accounts and tokens.", no_args_is_help=True)
app.add_typer(service_app, name="service")

from .cli_review import review as _review  # noqa: E402  (clerical review of linkage)

app.command(name="review")(_review)
from .cli_employment import app as _employment_app  # noqa: E402  (DWP/MoJ data share)
from .cli_casework import casework_app  # noqa: E402  (programme case management)

app.add_typer(_employment_app, name="employment")
app.add_typer(casework_app, name="casework")
STORE_OPTION = typer.Option("sqlite:///justicelab-service/store.db", "--store", envvar="JUSTICELAB_STORE",
                            help="SQLAlchemy URL of the service store (SQLite file, or postgresql://...).")


def _settings(db: Path, data: Path):
    from .service.jobs import Settings

    return Settings(database=db, data_dir=data)


@app.command()
def serve(db: Path = DB_OPTION, data: Path = typer.Option(Path("justicelab-service"), "--data",
                                                           help="Folder for uploads and reports."),
          store: str = STORE_OPTION, host: str = typer.Option("127.0.0.1", "--host"),
          port: int = typer.Option(8000, "--port"), workers: int = typer.Option(1, "--workers", min=0,
                                                                                help="Analysis worker threads."),
          secure_cookies: bool = typer.Option(False, "--secure-cookies", envvar="JUSTICELAB_SECURE_COOKIES",
                                              help="Mark session cookies Secure (the service is behind HTTPS).")):
    """Run the web service (and its analysis workers) until stopped."""
    import threading

    import uvicorn

    from .data.db import require_database
    from .service.app import create_app
    from .service.guard import HeaderDeadline
    from .service.jobs import work

    require_database(db)
    data.mkdir(parents=True, exist_ok=True)
    settings = _settings(db, data)
    settings.secure_cookies = secure_cookies
    application = create_app(store, settings)
    stop = threading.Event()
    for _ in range(workers):
        threading.Thread(target=work, args=(application.state.factory, settings), kwargs={"stop": stop},
                         daemon=True).start()
    try:
        uvicorn.run(application, host=host, port=port, log_level="warning", http=HeaderDeadline)
    finally:
        stop.set()


@app.command()
def worker(db: Path = DB_OPTION, data: Path = typer.Option(Path("justicelab-service"), "--data"),
           store: str = STORE_OPTION, once: bool = typer.Option(False, "--once", help="Stop when the queue is empty.")):
    """Run one analysis worker against the service store (more can run side by side)."""
    from .service.jobs import work
    from .service.store import connect, migrate

    migrate(store)
    work(connect(store)[1], _settings(db, data), once=once)


@service_app.command("migrate")
def migrate_store(store: str = STORE_OPTION):
    """Create or upgrade the store's schema (serve and worker also do this, under a lock, when they start)."""
    from .service.store import migrate

    migrate(store)
    console.print("the store is at the latest schema")


@service_app.command("add-user")
def add_user(email: str = typer.Argument(...), role: str = typer.Option("organisation", "--role"),
             organisation: Optional[str] = typer.Option(None, "--organisation"),
             password: str = typer.Option(..., "--password", prompt=True, hide_input=True), store: str = STORE_OPTION):
    """Create a user: an organisation's user, an analyst, or for case management a director or a caseworker
    (whose --organisation is their provider)."""
    from .service.accounts import add_user as create
    from .service.store import connect, migrate

    migrate(store)
    with connect(store)[1]() as session:
        create(session, email, password, role, organisation)
    console.print(f"added {email} ({role})")


@service_app.command("token")
def token(email: str = typer.Argument(...), store: str = STORE_OPTION,
          days: int = typer.Option(90, "--days", min=1, help="Days until the token expires.")):
    """Issue an API token for a user (printed once; only its hash is kept)."""
    from sqlalchemy import select

    from .service.accounts import issue
    from .service.store import User, connect, migrate

    migrate(store)
    with connect(store)[1]() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise JusticeLabError(f"no user {email}")
        console.print(issue(session, user, "api", days=days)[0])


@service_app.command("disable-user")
def disable_user(email: str = typer.Argument(...), store: str = STORE_OPTION):
    """Stop a user signing in; their sessions and API tokens end at once."""
    from .service.accounts import disable_user as disable
    from .service.store import connect, migrate

    migrate(store)
    with connect(store)[1]() as session:
        ended = disable(session, email)
    console.print(f"disabled {email}; {ended} sessions and tokens ended")


@service_app.command("revoke-token")
def revoke_token(email: str = typer.Argument(...), store: str = STORE_OPTION):
    """Revoke every API token of a user (a token that may have leaked)."""
    from .service.accounts import revoke_tokens
    from .service.store import connect, migrate

    migrate(store)
    with connect(store)[1]() as session:
        console.print(f"revoked {revoke_tokens(session, email)} API tokens of {email}")


@app.command()
def template(out: Path = typer.Option(Path("."), "--out", help="Folder to write the templates to.")):
    """Write the blank submission template (CSV and Excel)."""
    from .submission.template import write_templates

    for path in write_templates(out):
        console.print(str(path))


@app.command()
def version():
    """Print the version."""
    console.print(__version__)


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors become one line on stderr and exit code 2; nothing prints a traceback."""
    try:
        result = app(args=argv, standalone_mode=False)  # click returns typer.Exit's code instead of raising
        return result if isinstance(result, int) and not isinstance(result, bool) else 0
    except DataError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        for problem in exc.problems[:50]:
            err.print(f"  {problem}", markup=False, highlight=False)
        return 2
    except JusticeLabError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    except (typer.Exit, SystemExit) as exc:
        return int(getattr(exc, "exit_code", getattr(exc, "code", 0)) or 0)
    except typer.Abort:
        err.print("aborted")
        return 1
    except Exception as exc:  # click usage errors and anything unexpected: one line, no traceback
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click/typer usage errors
            exc.show()
            return int(exc.exit_code)
        err.print(f"error: unexpected {type(exc).__name__}: {exc} (please report this)", markup=False)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
