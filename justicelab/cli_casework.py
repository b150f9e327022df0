"""`justicelab casework ...`: the programme's caseload from the command line (the same functions as the
service's pages): a synthetic caseload, bulk import, the dashboard, the Data Lab submission, the PbR
cohort check and retention."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from .errors import JusticeLabError

console = Console(highlight=False)
casework_app = typer.Typer(help="Programme case management: caseload, dashboard, submission, cohort check.",
                           no_args_is_help=True)
STORE = typer.Option("sqlite:///justicelab-service/store.db", "--store", envvar="JUSTICELAB_STORE",
                     help="SQLAlchemy URL of the service store.")
AS_OF = typer.Option(None, "--as-of", help="Measure as of this date (YYYY-MM-DD; default today).")


def _session(store: str):
    from .service.store import connect, migrate

    migrate(store)
    return connect(store)[1]()


def _day(value: Optional[str]) -> date:
    try:
        return date.fromisoformat(value) if value else date.today()
    except ValueError:
        raise JusticeLabError(f"--as-of {value!r} is not a date (YYYY-MM-DD)") from None


def _user(session, email: str):
    from sqlalchemy import select

    from .service.store import User

    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise JusticeLabError(f"no user {email} (justicelab service add-user)")
    return user


@casework_app.command()
def synth(size: int = typer.Option(1000, "--size"), seed: int = typer.Option(1, "--seed"),
          db: Optional[Path] = typer.Option(None, "--db", help="Draw the people from this database's releases "
                                            "from HMP Nenebridge (so the caseload links and checks)."),
          store: str = STORE):
    """Load a synthetic through-the-gate caseload (three providers) into the store."""
    import secrets

    from .casework.synth import load_into_store, make_caseload
    from .service.accounts import add_user
    from .service.store import User
    from sqlalchemy import select

    synthetic = make_caseload(size=size, seed=seed, db_path=db)
    with _session(store) as session:
        loader = session.scalar(select(User).where(User.email == "synthetic-loader@casework.invalid"))
        if loader is None:  # a disabled account that owns the synthetic records: nobody signs in as it
            loader = add_user(session, "synthetic-loader@casework.invalid", secrets.token_urlsafe(24), role="director")
            loader.disabled = True
            session.commit()
        n = load_into_store(session, synthetic, loader)
    console.print(f"loaded {n} synthetic cases (as of {synthetic.as_of}); providers are organisations: "
                  "add caseworkers with 'justicelab service add-user EMAIL --role caseworker --organisation NAME'")


@casework_app.command("import")
def import_file(file: Path = typer.Argument(..., exists=True, dir_okay=False),
                as_user: str = typer.Option(..., "--as", help="The caseworker or director importing."),
                kind: str = typer.Option("cases", "--kind", help="cases, or contacts (with existing cases' references)."),
                store: str = STORE):
    """Import cases or contacts from CSV or xlsx: every problem by row and column; nothing is written unless
    all rows pass."""
    from .casework.importer import import_file as load_rows

    with _session(store) as session:
        opened, problems = load_rows(session, _user(session, as_user), file, kind)
    for p in problems:
        console.print(f"row {p.row}, column {p.column or '-'}: {p.problem}"
                      + (f" ({p.value!r})" if p.value and p.value not in p.problem else ""), markup=False)
    if problems:
        raise JusticeLabError(f"{file.name}: {len(problems)} problem{'s' * (len(problems) > 1)}; nothing was imported")
    console.print(f"{opened} {kind} imported")


@casework_app.command()
def dashboard(as_of: Optional[str] = AS_OF, as_json: bool = typer.Option(False, "--json"), store: str = STORE):
    """The director's dashboard: needs against services, engagement by provider, risk band and need,
    assessments on time, contact intensity."""
    from .casework.measures import dashboard as tables_of
    from .casework.records import caseload

    with _session(store) as session:
        tables = tables_of(caseload(session), _day(as_of))
    if as_json:
        console.print_json(json.dumps({k: v.astype(object).where(v.notna(), None).to_dict("records")
                                       for k, v in tables.items()}, default=str))
        return
    for name, frame in tables.items():
        t = Table(title=name.replace("_", " "))
        for col in frame.columns:
            t.add_column(str(col))
        for row in frame.itertuples(index=False):
            t.add_row(*("" if v is None or v != v else str(v) for v in row))
        console.print(t)


@casework_app.command()
def export(out: Path = typer.Option(..., "--out", help="The Data Lab submission CSV to write."),
           as_of: Optional[str] = AS_OF, store: str = STORE):
    """The caseload as a Data Lab submission, with attendance and engagement fields for sub-analyses."""
    from .casework.export import write_submission
    from .casework.records import caseload

    with _session(store) as session:
        counts = write_submission(caseload(session, identifiers=True), _day(as_of), out)
    console.print(f"{out}: {counts['listed']} people; left out: {counts['never_seen']} never seen, "
                  f"{counts['identifiers_erased']} with identifiers erased")


@casework_app.command()
def check(contract: Path = typer.Argument(..., exists=True, dir_okay=False),
          db: Path = typer.Option(..., "--db", exists=True), store: str = STORE):
    """PbR cohort check: where each case stands in the contract's register, and each cohort's reach."""
    from .casework.export import cohort_check
    from .casework.records import caseload
    from .engine import DuckDBEngine
    from .pbr.contract import load_contract

    terms, _ = load_contract(contract)
    with _session(store) as session:
        load = caseload(session, identifiers=True)
    with DuckDBEngine(db, read_only=True) as engine:
        cases, cohorts = cohort_check(engine, terms, load)
    for status, n in cases["status"].value_counts().items():
        console.print(f"{n:6d}  {status}")
    for row in cohorts.itertuples():
        console.print(f"cohort {row.cohort}: {row.members} members, {row.on_caseload} on the caseload, "
                      f"{row.not_on_caseload} not")


@casework_app.command()
def retention(days: int = typer.Option(730, "--days", help="Keep identifiers this long after a case closes."),
              store: str = STORE):
    """Erase names, dates of birth and PNC ids of cases closed more than --days ago (audited)."""
    from .casework.records import apply_retention

    with _session(store) as session:
        console.print(f"identifiers erased from {apply_retention(session, keep_days=days)} closed cases")
