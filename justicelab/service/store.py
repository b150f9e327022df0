"""The service's durable state (SQLite by default, PostgreSQL by URL), as SQLAlchemy tables.

Files (uploads, reports) live under the service's data folder; the store holds their paths. Every
status change is a row update, so a restarted service picks up exactly where it stopped.
"""
from __future__ import annotations

import fcntl
import os
import uuid
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import NullPool


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_id() -> str:
    return uuid.uuid4().hex  # unguessable: ids in URLs reveal nothing and cannot be enumerated


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # "organisation" or "analyst"
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)  # `justicelab service disable-user`


class Credential(Base):
    """A browser session or an API token: only a SHA-256 of the secret is stored."""
    __tablename__ = "credential"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "session" or "api"
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    csrf: Mapped[str] = mapped_column(String(64), default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=now)
    expires: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Submission(Base):
    __tablename__ = "submission"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    uploaded_by: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    programme: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    path: Mapped[str | None] = mapped_column(Text, nullable=True)  # None once personal data are deleted
    # received, rejected, validated, linked, analysed, in review, published, returned or failed
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    problems: Mapped[list] = mapped_column(JSON, default=list)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    report_dir: Mapped[str | None] = mapped_column(Text, nullable=True)
    headline: Mapped[dict] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    personal_data_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=now)
    updated: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)


class Job(Base):
    """Durable work queue: a job is claimed by a worker with a heartbeat; a stale heartbeat (a killed
    worker) makes it claimable again, and every stage is safe to rerun."""
    __tablename__ = "job"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str | None] = mapped_column(ForeignKey("submission.id"), index=True, nullable=True)
    # "validate" (the upload), "analyse", or "local" (a local evaluation: evaluation_id, no submission)
    kind: Mapped[str] = mapped_column(String(10), default="analyse")
    evaluation_id: Mapped[str | None] = mapped_column(ForeignKey("local_evaluation.id"), index=True, nullable=True)
    state: Mapped[str] = mapped_column(String(10), default="queued", index=True)  # queued/running/done/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(64), default="")
    heartbeat: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=now)


class LocalEvaluation(Base):
    """A local evaluation an organisation asked for (docs/local.md): predicted against actual for a cohort,
    cohort tracking for a scheme, or demand for an area. Its people file is kept until the job is done;
    its results (published figures only) stay in `results_dir`."""
    __tablename__ = "local_evaluation"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    requested_by: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(20))  # "predicted", "tracking" or "demand"
    title: Mapped[str] = mapped_column(String(200))
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)  # periods, area, the cohort's source
    people_path: Mapped[str | None] = mapped_column(Text, nullable=True)  # None once the job is done
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued, running, done, returned, failed
    comment: Mapped[str] = mapped_column(Text, default="")
    results_dir: Mapped[str | None] = mapped_column(Text, nullable=True)
    headline: Mapped[dict] = mapped_column(JSON, default=dict)
    created: Mapped[datetime] = mapped_column(DateTime, default=now)
    updated: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)


class LoginAttempt(Base):
    """Failed sign-ins counted per account ("account:EMAIL") and per address ("address:IP")."""
    __tablename__ = "login_attempt"
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first: Mapped[datetime] = mapped_column(DateTime, default=now)  # start of the counting window
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Audit(Base):
    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=now)
    user_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    submission_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    action: Mapped[str] = mapped_column(String(60))
    evaluation_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # a local evaluation


POOL_SIZE = int(os.environ.get("JUSTICELAB_POOL_SIZE", "5"))  # per process, per store; see docs/deploy.md


def _driver(url: str) -> str:
    """`postgresql://` means psycopg 3 (the `postgres` extra), whatever SQLAlchemy's own default driver is."""
    return "postgresql+psycopg://" + url[len("postgresql://"):] if url.startswith("postgresql://") else url


def connect(url: str):
    """An engine and session factory. A server database gets a small bounded pool (POOL_SIZE connections plus
    as many again at peak, so a web process and four workers stay far below PostgreSQL's default limit of
    100); SQLite gets WAL and a busy timeout for concurrent workers. SQL parameters never reach the logs."""
    url, sqlite = _driver(url), url.startswith("sqlite")
    pool = {"pool_size": 20, "max_overflow": 60} if sqlite else {"pool_size": POOL_SIZE, "max_overflow": POOL_SIZE}
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30} if sqlite else {},
                           pool_pre_ping=True, pool_timeout=120, hide_parameters=True, **pool)
    if sqlite:
        @event.listens_for(engine, "connect")
        def _pragmas(conn, _):
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    return engine, sessionmaker(engine, expire_on_commit=False)


MIGRATION_LOCK = 7_190_419  # PostgreSQL advisory lock key held while the schema is migrated


def migrate(url: str) -> None:
    """Bring the store's schema to the latest Alembic revision, under a lock, so a web process and workers
    starting together on an empty store migrate once (the others wait, then find nothing to do)."""
    from importlib import resources

    from alembic import command
    from alembic.config import Config

    url = _driver(url)
    folder = resources.files("justicelab.service").joinpath("migrations")
    cfg = Config()
    cfg.set_main_option("script_location", str(folder))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    engine = create_engine(url, poolclass=NullPool, hide_parameters=True)
    try:
        with _migration_lock(engine) as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()


@contextmanager
def _migration_lock(engine):
    """PostgreSQL: an advisory lock; SQLite: an exclusive file lock beside the database file."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
            try:
                yield connection
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    lock_path = Path(database + ".migrate.lock") if database and database != ":memory:" else None
    if lock_path:
        lock_path.parent.mkdir(parents=True, exist_ok=True)  # a first start may find no store folder yet
    with open(lock_path, "a") if lock_path else nullcontext() as handle:
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        with engine.connect() as connection:
            yield connection
