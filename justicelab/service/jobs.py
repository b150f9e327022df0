"""Submissions and the durable job table that analyses them.

A worker claims the oldest queued job (or one whose worker stopped sending heartbeats) in a single
UPDATE, so two workers never run the same job; each stage writes its result before the status moves on,
and rerunning a stage overwrites its own outputs, so a killed worker's job simply runs again.
"""
from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..errors import JusticeLabError
from .store import Audit, Job, Submission, now

log = logging.getLogger("justicelab.service")
STALE_AFTER = timedelta(seconds=30)
MAX_ATTEMPTS = 3


@dataclass
class Settings:
    database: Path  # the reoffending database analyses run against
    data_dir: Path  # uploads and reports
    max_upload_bytes: int = 5_000_000
    max_rows: int = 50_000
    retention_days: int = 0  # personal data (the upload, linkage files) kept this long after analysis
    secure_cookies: bool = False  # session cookies marked Secure (always, when a request arrives over HTTPS)


def where(exc: BaseException) -> str:
    """An exception for the log: its type and where it happened, never its message (a database error's
    message can quote the row's values: names, dates of birth)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    return type(exc).__name__ + " at " + " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames))


def audit(db: Session, user_id: str | None, submission_id: str | None, action: str) -> None:
    db.add(Audit(user_id=user_id, submission_id=submission_id, action=action))
    db.commit()


def check_upload(path: Path, settings: Settings) -> tuple[str, list[dict], int]:
    """Validate an uploaded file: (status, problems, rows). Refused files are kept with their problems."""
    from ..submission.validate import validate

    try:
        v = validate(path)
    except JusticeLabError as exc:
        return "rejected", [{"row": 0, "column": "", "value": "", "severity": "error", "problem": str(exc)}], 0
    problems = [p.__dict__ for p in v.problems]
    if len(v.rows) > settings.max_rows:
        problems.insert(0, {"row": 0, "column": "", "value": str(len(v.rows)), "severity": "error",
                            "problem": f"{len(v.rows)} rows: the service takes at most {settings.max_rows}"})
        return "rejected", problems, int(len(v.rows))
    return ("rejected" if v.rejected else "validated"), problems, int(len(v.rows))


def enqueue(db: Session, submission: Submission) -> None:
    db.add(Job(submission_id=submission.id))
    db.commit()


def claim(factory: sessionmaker, worker: str) -> Job | None:
    """Take the next job atomically: queued, or running with a stale heartbeat (its worker died)."""
    with factory() as db:
        stale = now() - STALE_AFTER
        candidate = db.scalar(select(Job.id).where(or_(Job.state == "queued", (Job.state == "running") &
                                                       (Job.heartbeat < stale))).order_by(Job.id).limit(1))
        if candidate is None:
            return None
        taken = db.execute(update(Job).where(Job.id == candidate).where(
            or_(Job.state == "queued", (Job.state == "running") & (Job.heartbeat < stale)))
            .values(state="running", worker=worker, heartbeat=now(), attempts=Job.attempts + 1))
        db.commit()
        return db.get(Job, candidate) if taken.rowcount == 1 else None


def _set(factory, submission_id: str, **values) -> None:
    with factory() as db:
        db.execute(update(Submission).where(Submission.id == submission_id).values(updated=now(), **values))
        db.commit()


def _beat(factory, job_id: int, stop: threading.Event) -> None:
    while not stop.wait(5):
        with factory() as db:
            db.execute(update(Job).where(Job.id == job_id).values(heartbeat=now()))
            db.commit()


def run_job(factory: sessionmaker, settings: Settings, job: Job) -> None:
    from ..analysis.config import AnalysisConfig
    from ..analysis.run import analyse
    from ..report.build import write_report

    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(factory, job.id, stop), daemon=True)
    beat.start()
    sid = job.submission_id
    try:
        with factory() as db:
            sub = db.get(Submission, sid)
            path = Path(sub.path)
        # validated at upload; the analysis re-reads the file, so a rerun starts cleanly
        out = settings.data_dir / "reports" / sid
        work = settings.data_dir / "work" / sid

        def progress(step: str) -> None:
            if step == "comparison pool":
                _set(factory, sid, status="linked")
        results = analyse(path, settings.database, AnalysisConfig(), progress=progress, linkage_out=work)
        _set(factory, sid, status="analysed")
        write_report(results, out)
        national = results["analyses"][0]
        rate = next(m for m in national["measures"] if m["measure"] == "rate")
        headline = {k: rate.get(k) for k in ("treated_value", "comparison_value", "difference", "ci_low",
                                             "ci_high", "p_value", "significant", "withheld")}
        headline["treated"] = national["treated_matched"]
        _set(factory, sid, status="in review", report_dir=str(out), headline=headline)
        log.info("submission %s analysed", sid)
        _finish(factory, job.id, "done")
    except JusticeLabError as exc:  # a problem with the data: the organisation is told, the file is kept
        _set(factory, sid, status="returned", comment=str(exc))
        _finish(factory, job.id, "done", str(exc))
    except Exception as exc:  # a fault: retried, then marked failed for an administrator
        log.error("job %s failed: %s", job.id, where(exc))
        with factory() as db:
            attempts = db.get(Job, job.id).attempts
        if attempts >= MAX_ATTEMPTS:
            _set(factory, sid, status="failed", comment="the analysis failed; the team has been told")
            _finish(factory, job.id, "failed", repr(exc))
        else:
            _finish(factory, job.id, "queued", repr(exc))
    finally:
        stop.set()


def _finish(factory, job_id: int, state: str, error: str | None = None) -> None:
    """Set the job's state (and its error, when given; a success leaves any earlier attempt's error)."""
    values = {"state": state} if error is None else {"state": state, "error": error[:2000]}
    with factory() as db:
        db.execute(update(Job).where(Job.id == job_id).values(**values))
        db.commit()


def delete_personal_data(factory: sessionmaker, settings: Settings) -> int:
    """Remove uploads and linkage files of analysed submissions past the retention period."""
    cutoff = now() - timedelta(days=settings.retention_days)
    done = 0
    with factory() as db:
        subs = db.scalars(select(Submission).where(
            Submission.status.in_(("in review", "published", "returned", "rejected")),
            Submission.personal_data_deleted.is_(False), Submission.updated <= cutoff)).all()
        for sub in subs:
            if sub.status == "rejected" and settings.retention_days == 0:
                continue  # a rejected upload is kept with its error report until the organisation replaces it
            if sub.path:
                Path(sub.path).unlink(missing_ok=True)
            shutil.rmtree(settings.data_dir / "work" / sub.id, ignore_errors=True)
            sub.path, sub.personal_data_deleted = None, True
            db.add(Audit(user_id=None, submission_id=sub.id, action="personal data deleted"))
            done += 1
        db.commit()
    return done


def work(factory: sessionmaker, settings: Settings, once: bool = False, poll: float = 1.0,
         stop: threading.Event | None = None) -> None:
    """The worker loop: claim, run, tidy personal data; `once` stops when the queue is empty."""
    name = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    while stop is None or not stop.is_set():
        job = claim(factory, name)
        if job is None:
            delete_personal_data(factory, settings)
            if once:
                return
            time.sleep(poll)
            continue
        run_job(factory, settings, job)


def problems_csv(problems: list[dict]) -> str:
    """Validation problems as CSV, every cell neutralised against formula injection."""
    import csv
    import io

    from ..report.excel import safe

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["row", "column", "value", "severity", "problem"])
    for p in problems:
        w.writerow([safe(str(p.get(k, ""))) for k in ("row", "column", "value", "severity", "problem")])
    return buf.getvalue()
