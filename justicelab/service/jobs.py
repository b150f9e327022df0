"""Submissions and the durable job table that analyses them.

An upload is only stored and queued (a "validate" job); a worker validates it within limits and, if
usable, queues its "analyse" job. A worker claims the oldest queued job (or one whose worker stopped
sending heartbeats) in a single UPDATE, so two workers never run the same job; a job's result and its
end are written in one transaction, and rerunning a stage overwrites its own outputs, so a killed
worker's job simply runs again. `sweep` recovers what a killed server leaves behind.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..errors import JusticeLabError
from .store import Audit, Job, LocalEvaluation, Submission, new_id, now

log = logging.getLogger("justicelab.service")
STALE_AFTER = timedelta(seconds=30)
MAX_ATTEMPTS = 3
PENDING = ("received", "validated", "linked", "analysed")  # a job is still to move these on
FINAL = ("rejected", "in review", "published", "returned", "failed")
ORPHAN_GRACE = timedelta(minutes=10)  # longer than any upload takes (see Settings.body_seconds)


@dataclass
class Settings:
    database: Path  # the reoffending database analyses run against
    data_dir: Path  # uploads and reports
    max_upload_bytes: int = 5_000_000
    max_rows: int = 50_000
    retention_days: int = 0  # personal data (the upload, linkage files) kept this long after analysis
    secure_cookies: bool = False  # session cookies marked Secure (always, when a request arrives over HTTPS)
    body_seconds: float = 120.0  # a request body still arriving after this is refused (slow clients)
    max_inflated_bytes: int = 60_000_000  # an xlsx once unzipped (a decompression bomb is refused unread)
    casework_retention_days: int = 730  # case management: identifiers erased this long after a case closes

    def limits(self):
        """What a worker will read of an upload: rows, cells, inflated size and problems kept."""
        from ..submission.limits import ReadLimits

        return ReadLimits(max_bytes=self.max_upload_bytes, max_rows=self.max_rows, max_cells=self.max_rows * 40,
                          max_inflated_bytes=self.max_inflated_bytes, max_problems=1000)


def checkpoint(stage: str) -> None:
    """Fault injection for the kill-anywhere test: with JUSTICELAB_CRASH_AT=stage the process SIGKILLs
    itself there, as a power cut would. Does nothing otherwise."""
    if os.environ.get("JUSTICELAB_CRASH_AT") == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def where(exc: BaseException) -> str:
    """An exception for the log: its type and where it happened, never its message (a database error's
    message can quote the row's values: names, dates of birth)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    return type(exc).__name__ + " at " + " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames))


def audit(db: Session, user_id: str | None, submission_id: str | None, action: str) -> None:
    db.add(Audit(user_id=user_id, submission_id=submission_id, action=action))
    db.commit()


def _refusal(problem: str) -> list[dict]:
    return [{"row": 0, "column": "", "value": "", "severity": "error", "problem": problem}]


def check_upload(path: Path, settings: Settings) -> tuple[str, list[dict], int]:
    """Validate an uploaded file: (status, problems, rows). Any file gets an answer: a file that cannot be
    read is rejected with the reason, never left waiting."""
    from ..submission.validate import validate

    try:
        v = validate(path, limits=settings.limits())
    except JusticeLabError as exc:
        return "rejected", _refusal(str(exc)), 0
    except Exception:  # a damaged file the validator did not foresee: logged, answered plainly
        log.exception("validation of %s failed", path.parent.name)
        return "rejected", _refusal("the file could not be read as a submission: compare it with the template "
                                    "(`justicelab template`) and upload it again"), 0
    problems = [p.__dict__ for p in v.problems]
    return ("rejected" if v.rejected else "validated"), problems, int(len(v.rows))


def store_upload(db: Session, settings: Settings, user, programme: str, name: str, source) -> Submission:
    """Copy an upload to disk in chunks (never more than the size limit), then record the submission and
    its validation job in one transaction: a crash before it leaves only a file the sweeper removes, a
    crash after it leaves a queued job. ValueError says why a file is refused."""
    suffix = Path(name).suffix.lower()
    sid = new_id()
    folder = settings.data_dir / "uploads" / sid
    folder.mkdir(parents=True)
    path = folder / ("submission" + suffix)
    size = 0
    try:
        with open(path.with_name(path.name + ".part"), "wb") as out:
            while chunk := source.read(1 << 20):
                if size == 0 and (chunk[:2] == b"PK") != (suffix == ".xlsx"):
                    raise ValueError(f"{name}: the content does not match a {suffix} file")
                size += len(chunk)
                if size > settings.max_upload_bytes:
                    raise ValueError(f"{name}: larger than the {settings.max_upload_bytes // 1_000_000} MB limit")
                if suffix == ".csv" and b"\0" in chunk:
                    raise ValueError(f"{name}: the content does not match a .csv file (it holds NUL bytes)")
                out.write(chunk)
        if size == 0 and suffix == ".xlsx":
            raise ValueError(f"{name}: the content does not match a .xlsx file")
        checkpoint("upload-written")
        os.replace(path.with_name(path.name + ".part"), path)
        sub = Submission(id=sid, organisation_id=user.organisation_id, uploaded_by=user.id, filename=name[:200],
                         programme=(programme or "").strip()[:200] or "Unnamed programme", path=str(path))
        db.add(sub)
        db.flush()
        db.add_all([Job(submission_id=sid, kind="validate"), Audit(user_id=user.id, submission_id=sid, action="uploaded")])
        db.commit()
    except BaseException:
        db.rollback()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    checkpoint("upload-committed")
    return sub


def enqueue(db: Session, submission: Submission, kind: str = "analyse") -> None:
    """Queue another run for a submission (a rerun after clerical review is an analysis job)."""
    db.add(Job(submission_id=submission.id, kind=kind))
    db.commit()


def claim(factory: sessionmaker, worker: str, kinds: tuple[str, ...] = ("validate", "analyse", "local")) -> Job | None:
    """Take the next job atomically: queued, or running with a stale heartbeat (its worker died)."""
    with factory() as db:
        stale = now() - STALE_AFTER
        candidate = db.scalar(select(Job.id).where(Job.kind.in_(kinds), or_(Job.state == "queued", (
            Job.state == "running") & (Job.heartbeat < stale))).order_by(Job.id).limit(1))
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


def _conclude(factory, job: Job, state: str, error: str | None = None, then: str | None = None, **values) -> None:
    """The submission's new values, the job's end (and the next job, `then`) in one transaction: a crash
    leaves either none or all of them."""
    with factory() as db:
        if values:
            target = (update(Submission).where(Submission.id == job.submission_id) if job.submission_id else
                      update(LocalEvaluation).where(LocalEvaluation.id == job.evaluation_id))
            db.execute(target.values(updated=now(), **values))
        if then:
            db.add(Job(submission_id=job.submission_id, kind=then))
        done = {"state": state} if error is None else {"state": state, "error": error[:2000]}
        db.execute(update(Job).where(Job.id == job.id).values(**done))
        db.commit()


def _validate(factory, settings: Settings, job: Job, sub: Submission) -> None:
    if sub.path is None or not Path(sub.path).exists():
        return _conclude(factory, job, "done", status="failed",
                         comment="the uploaded file was lost: please upload it again")
    status, problems, rows = check_upload(Path(sub.path), settings)
    checkpoint("validated")
    _conclude(factory, job, "done", then="analyse" if status == "validated" else None, status=status,
              problems=problems, rows=rows)
    log.info("submission %s %s", sub.id, status)


def _beat(factory, job_id: int, stop: threading.Event) -> None:
    while not stop.wait(5):
        with factory() as db:
            db.execute(update(Job).where(Job.id == job_id).values(heartbeat=now()))
            db.commit()


def run_job(factory: sessionmaker, settings: Settings, job: Job) -> None:
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(factory, job.id, stop), daemon=True)
    beat.start()
    sid = job.submission_id
    try:
        if job.kind == "local":
            return _local(factory, settings, job)
        with factory() as db:
            sub = db.get(Submission, sid)
        if sub.status in FINAL:  # a rerun of a job whose result was already stored
            return _conclude(factory, job, "done")
        if job.kind == "validate":
            return _validate(factory, settings, job, sub)
        from ..analysis.config import AnalysisConfig
        from ..analysis.run import analyse
        from ..report.build import write_report

        # the analysis re-reads the file, so a rerun starts cleanly
        out = settings.data_dir / "reports" / sid
        work = settings.data_dir / "work" / sid

        def progress(step: str) -> None:
            if step == "comparison pool":
                _set(factory, sid, status="linked")
                checkpoint("linked")
        results = analyse(Path(sub.path), settings.database, AnalysisConfig(), progress=progress, linkage_out=work)
        _set(factory, sid, status="analysed")
        checkpoint("analysed")
        write_report(results, out)
        checkpoint("reported")
        national = results["analyses"][0]
        rate = next(m for m in national["measures"] if m["measure"] == "rate")
        headline = {k: rate.get(k) for k in ("treated_value", "comparison_value", "difference", "ci_low",
                                             "ci_high", "p_value", "significant", "withheld")}
        headline["treated"] = national["treated_matched"]
        _conclude(factory, job, "done", status="in review", report_dir=str(out), headline=headline)
        log.info("submission %s analysed", sid)
    except JusticeLabError as exc:  # a problem with the data: the organisation is told, the file is kept
        _conclude(factory, job, "done", str(exc), status="returned", comment=str(exc))
    except Exception as exc:  # a fault: retried, then marked failed for an administrator
        log.error("job %s failed: %s", job.id, where(exc))
        try:
            with factory() as db:
                attempts = db.get(Job, job.id).attempts
            if attempts >= MAX_ATTEMPTS:
                _conclude(factory, job, "failed", repr(exc), status="failed",
                          comment="the analysis failed; the team has been told")
            else:
                _conclude(factory, job, "queued", repr(exc))
        except Exception as again:  # the store itself refuses: the job's heartbeat stops, so it is retried later
            log.error("job %s: could not record the failure: %s", job.id, where(again))
    finally:
        stop.set()


def _local(factory, settings: Settings, job: Job) -> None:
    """A local evaluation: run, write its outputs, store the headline; the people file then goes (the
    outputs hold published figures only). A data problem returns it with the reason, as for submissions."""
    from ..local.evaluation import evaluate, headline

    with factory() as db:
        ev = db.get(LocalEvaluation, job.evaluation_id)
    if ev.status in ("done", "returned"):  # a rerun of a job whose result was already stored
        return _conclude(factory, job, "done")
    with factory() as db:
        db.execute(update(LocalEvaluation).where(LocalEvaluation.id == ev.id).values(status="running", updated=now()))
        db.commit()
    people = Path(ev.people_path) if ev.people_path else None
    out = settings.data_dir / "local-evaluations" / ev.id / "results"
    try:
        results = evaluate(settings.database, ev.kind, ev.parameters, people, out, ev.title)
    except JusticeLabError:
        if people:
            people.unlink(missing_ok=True)
        raise
    checkpoint("local-written")
    _conclude(factory, job, "done", status="done", results_dir=str(out), headline=headline(ev.kind, results),
              people_path=None, comment="")
    if people:
        people.unlink(missing_ok=True)
    log.info("local evaluation %s done", ev.id)


def enqueue_evaluation(db: Session, evaluation: LocalEvaluation) -> None:
    """Queue (or queue again, after a failure) a local evaluation's job."""
    evaluation.status, evaluation.comment = "queued", ""
    db.add(Job(evaluation_id=evaluation.id, kind="local"))
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


def sweep(factory: sessionmaker, settings: Settings, grace: timedelta = ORPHAN_GRACE) -> int:
    """Recover what a killed server or worker left: a submission waiting with no job gets its job again
    (or, its file lost, is failed with a request to upload again); files of no submission, older than
    `grace` (so an upload in progress is left alone), are deleted. Returns how many things it mended."""
    mended = 0
    with factory() as db:
        active = select(Job.submission_id).where(Job.state.in_(("queued", "running")), Job.submission_id.is_not(None))
        for sub in db.scalars(select(Submission).where(Submission.status.in_(PENDING),
                                                       Submission.id.not_in(active))).all():
            if sub.path and Path(sub.path).exists():
                db.add(Job(submission_id=sub.id, kind="validate" if sub.status == "received" else "analyse"))
            else:
                sub.status, sub.comment = "failed", "the upload did not complete: please upload the file again"
            db.add(Audit(user_id=None, submission_id=sub.id, action="recovered by the sweeper"))
            mended += 1
        db.commit()
        known = set(db.scalars(select(Submission.id)).all())
    cutoff = time.time() - grace.total_seconds()
    for area in ("uploads", "work", "reports"):
        for folder in (settings.data_dir / area).glob("*"):
            if folder.name not in known and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                mended += 1
    from ..casework.records import apply_retention  # case management's retention, on the same schedule

    with factory() as db:
        mended += apply_retention(db, keep_days=settings.casework_retention_days)
    return mended


def work(factory: sessionmaker, settings: Settings, once: bool = False, poll: float = 1.0,
         stop: threading.Event | None = None, sweep_every: float = 60.0,
         kinds: tuple[str, ...] = ("validate", "analyse", "local")) -> None:
    """The worker loop: claim, run, tidy personal data and sweep orphans; `once` stops when the queue is
    empty. `kinds=("validate",)` makes a worker that only checks uploads, so answers stay quick while
    long analyses queue."""
    name = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    swept = -sweep_every
    while stop is None or not stop.is_set():
        if time.monotonic() - swept >= sweep_every:
            sweep(factory, settings)
            swept = time.monotonic()
        job = claim(factory, name, kinds)
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
