"""Local areas in the web service (docs/local.md), inside the service's layout.

GET  /local?by=LEVELS[&area=LEVEL=NAME][&start=&end=]  area statistics (tables and trends), for signed-in users
GET  /api/local?...                                  the same as results JSON (API token)
GET  /local/evaluations                              an organisation's local evaluations and the form to ask for one
POST /local/evaluations                              predicted vs actual, cohort tracking or demand: queued as a job
GET  /local/evaluations/{id}[/files/NAME]            the result in the layout; JSON, HTML, xlsx, PDF downloads
POST /local/evaluations/{id}/rerun                   a failed job queued again
/api/local/evaluations[...]                          the same with an API token (submit, poll, fetch results)

Area statistics are computed once per database file and query, then cached. Evaluations run in the
worker (`justicelab.service.jobs`), never in the request. An organisation sees only its own evaluations:
another's answers 404 on every URL, like an id that does not exist, and views and refusals are audited.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import select

from ..errors import JusticeLabError
from .evaluation import KINDS, output_files
from .geography import LEVELS, parse_levels

DONE = ("in review", "published")  # submissions whose linked people a local evaluation may use
FIELDS = ("kind", "title", "submission", "from", "to", "level", "area", "baseline_from", "baseline_to")


def _day(form: dict, key: str) -> str | None:
    text = str(form.get(key) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise JusticeLabError(f"{key.replace('_', ' ')}: {text!r} is not a date (YYYY-MM-DD)") from None


def _pair(form: dict, a: str, b: str, required: bool = False) -> dict:
    got = {a: _day(form, a), b: _day(form, b)}
    if (got[a] is None) != (got[b] is None) or (required and got[a] is None):
        raise JusticeLabError(f"give both {a.replace('_', ' ')} and {b.replace('_', ' ')}"
                              + ("" if required else ", or neither (the latest complete year)"))
    if got[a] and got[a] > got[b]:
        raise JusticeLabError(f"{a.replace('_', ' ')} {got[a]} is after {b.replace('_', ' ')} {got[b]}")
    return {k: v for k, v in got.items() if v}


def parameters(form: dict) -> tuple[str, dict]:
    """The evaluation's kind and choices, checked; a JusticeLabError names the field."""
    kind = str(form.get("kind") or "")
    if kind not in KINDS:
        raise JusticeLabError(f"kind: choose one of {', '.join(KINDS)}")
    params = _pair(form, "from", "to")
    if kind == "demand":
        level, area = str(form.get("level") or ""), str(form.get("area") or "").strip()
        if level not in LEVELS or not area:
            raise JusticeLabError(f"demand needs an area: a level ({', '.join(LEVELS)}) and its name")
        params.update(level=level, area=area, **_pair(form, "baseline_from", "baseline_to", required=True))
    return kind, params


def local_router(factory, settings, cookie: str) -> APIRouter:
    import pandas as pd

    from ..engine import DuckDBEngine
    from ..service.app import PAGES, _is_id, plain_text, safe_filename
    from ..service.auth import check_csrf, session_user, token_user
    from ..service.jobs import enqueue_evaluation
    from ..service.store import Audit, LocalEvaluation, Submission, new_id
    from .cohort_file import read_people, read_scheme
    from .outputs import render_body, trend_alt
    from .run import LocalConfig, run_local

    router = APIRouter()
    folder = settings.data_dir / "local-evaluations"

    def signed_in(request: Request, session, kind: str = "session", form=None):
        found = token_user(session, request) if kind == "api" else session_user(session, request, cookie)
        session.commit()
        if form is not None:
            check_csrf(found[1], str(form.get("csrf") or ""))
        return found

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(PAGES.get_template(name).render(**context), status_code=status)

    def note(session, user, eid: str | None, action: str) -> None:
        session.add(Audit(user_id=user.id, evaluation_id=eid, action=action[:60]))
        session.commit()

    def own(session, user, eid: str, action: str) -> LocalEvaluation:
        """The evaluation if the user's organisation asked for it; else 404 (and the refusal audited)."""
        ev = session.get(LocalEvaluation, eid) if _is_id(eid) else None
        if ev is None or user.organisation_id is None or ev.organisation_id != user.organisation_id:
            note(session, user, None, f"refused local evaluation {action}")
            raise HTTPException(404, "no such local evaluation")
        note(session, user, ev.id, f"local evaluation {action}")
        return ev

    # ------------------------------------------------------------------------------- area statistics

    def results(by: str, area: str | None, start: str | None = None, end: str | None = None) -> dict:
        try:
            levels = parse_levels(by)
            chosen = {}
            if area:
                level, sep, name = area.partition("=")
                if not sep or not name.strip():
                    raise JusticeLabError(f"area {area!r}: write LEVEL=NAME, e.g. local_authority=Southwark")
                chosen = {level.strip(): name.strip()}
            period = _pair({"from": start, "to": end}, "from", "to")
            stat = settings.database.stat()
            key = hashlib.sha256(json.dumps([str(settings.database), stat.st_size, stat.st_mtime_ns, levels, chosen]
                                            + ([period] if period else [])).encode()).hexdigest()[:24]
            cache = settings.data_dir / "local" / f"{key}.json"
            if cache.exists():
                return json.loads(cache.read_text(encoding="utf-8"))
            config = LocalConfig(levels=levels, area=chosen, predict=False,
                                 start=date.fromisoformat(period["from"]) if period else None,
                                 end=date.fromisoformat(period["to"]) if period else None)
            with DuckDBEngine(settings.database, read_only=True) as engine:
                out = run_local(engine, config, settings.database)
        except JusticeLabError as exc:
            raise HTTPException(400, str(exc)) from None
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(out, default=str), encoding="utf-8")  # key order kept: the tables' column order
        tmp.replace(cache)  # readers see a whole file or none
        return json.loads(cache.read_text(encoding="utf-8"))

    @router.get("/local", response_class=HTMLResponse)
    def local_page(request: Request, by: str = "local_authority", area: str | None = None,
                   start: str | None = None, end: str | None = None):
        with factory() as session:
            user, cred = signed_in(request, session)
        query = {"by": by, "area": area or "", "start": start or "", "end": end or ""}
        try:
            r = results(by, area, start, end)
            body, error, status = render_body(r), None, 200
            chart = {"src": "/local/trend.png?" + urlencode({k: v for k, v in query.items() if v}),
                     "alt": trend_alt(r)}
        except HTTPException as exc:
            if exc.status_code != 400:
                raise
            body, error, status, chart = "", exc.detail, 400, None
        return page("local_areas.html.j2", status, user=user, csrf=cred.csrf, body=body, error=error, q=query,
                    levels=LEVELS, chart=chart)

    @router.get("/local/trend.png")
    def trend_png(request: Request, by: str = "local_authority", area: str | None = None,
                  start: str | None = None, end: str | None = None):
        import tempfile

        from fastapi.responses import Response

        from .outputs import trend_chart

        with factory() as session:
            signed_in(request, session)
        with tempfile.TemporaryDirectory() as tmp:
            path, _ = trend_chart(results(by, area, start, end), Path(tmp) / "trend.png")
            return Response(path.read_bytes(), media_type="image/png")

    @router.get("/api/local")
    def local_api(request: Request, by: str = "local_authority", area: str | None = None,
                  start: str | None = None, end: str | None = None):
        with factory() as session:
            signed_in(request, session, "api")
        return JSONResponse(results(by, area, start, end))

    # ------------------------------------------------------------------------------- local evaluations

    def linked_people(sub: Submission) -> pd.DataFrame:
        """A completed submission's treatment group (person_id, selection date = intervention start)."""
        path = settings.data_dir / "work" / sub.id / "treatment_group.csv"
        if sub.personal_data_deleted or not path.is_file():
            raise JusticeLabError(f"submission {sub.programme!r}: its linked people were deleted under the retention "
                                  "policy; upload a file of person_id instead")
        group = pd.read_csv(path, dtype=str)
        return pd.DataFrame({"person_id": pd.to_numeric(group["person_id"]),
                             "selection_date": group.get("intervention_start")})

    def usable_submissions(session, user) -> list[Submission]:
        subs = session.scalars(select(Submission).where(Submission.organisation_id == user.organisation_id,
                                                        Submission.status.in_(DONE))
                               .order_by(Submission.created.desc())).all()
        return [s for s in subs if not s.personal_data_deleted
                and (settings.data_dir / "work" / s.id / "treatment_group.csv").is_file()]

    def cohort(session, user, kind: str, form: dict, upload: tuple[str, bytes] | None, work: Path) -> Path | None:
        """The cohort file the job reads (person_id, and selection_date for tracking), from the chosen
        submission and/or the upload, checked here so a bad file is refused at once by row and column."""
        sid = str(form.get("submission") or "")
        if kind == "demand":
            if upload is not None or sid:
                raise JusticeLabError("demand is for an area, not a cohort: leave the submission and the file empty")
            return None
        parts = []
        if upload is not None:
            name, data = upload
            raw = work / ("upload" + Path(name).suffix.lower())
            raw.write_bytes(data)
            try:
                if kind == "tracking":
                    scheme = read_scheme(raw, name)
                    parts.append(pd.DataFrame({"person_id": scheme["person_id"],
                                               "selection_date": scheme["event_date"].dt.strftime("%Y-%m-%d")}))
                else:
                    parts.append(pd.DataFrame({"person_id": read_people(raw, name)}))
            finally:
                raw.unlink(missing_ok=True)
        if sid:
            sub = session.get(Submission, sid) if _is_id(sid) else None
            if sub is None or sub.organisation_id != user.organisation_id or sub.status not in DONE:
                raise JusticeLabError("submission: choose one of your organisation's analysed submissions")
            parts.append(linked_people(sub))
        if not parts:
            raise JusticeLabError("cohort: choose a submission or upload a file of person_id"
                                  + (" and selection_date" if kind == "tracking" else ""))
        people = pd.concat(parts).drop_duplicates("person_id")  # an uploaded row wins over the submission's
        path = work / "people.csv"
        people[["person_id", "selection_date"] if kind == "tracking" else ["person_id"]].to_csv(path, index=False)
        return path

    async def create(request: Request, session, user, form, file: UploadFile | None) -> LocalEvaluation:
        if user.role != "organisation" or user.organisation_id is None:
            raise HTTPException(403, "only an organisation's users ask for local evaluations")
        fields = {k: plain_text(str(form.get(k) or ""), k) for k in FIELDS}
        upload = None
        if file is not None and file.filename:
            name = safe_filename(file.filename)
            if Path(name).suffix.lower() not in (".csv", ".xlsx"):
                raise JusticeLabError(f"{name}: only .csv or .xlsx files are accepted")
            data = await file.read(settings.max_upload_bytes + 1)
            if len(data) > settings.max_upload_bytes:
                raise HTTPException(413, f"{name}: larger than the {settings.max_upload_bytes // 1_000_000} MB limit")
            upload = (name, data)
        kind, params = parameters(fields)
        eid = new_id()
        work = folder / eid
        work.mkdir(parents=True)
        try:
            people = await run_in_threadpool(cohort, session, user, kind, fields, upload, work)
        except BaseException:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
            raise
        if fields["submission"]:
            params["submission"] = fields["submission"]
        ev = LocalEvaluation(id=eid, organisation_id=user.organisation_id, requested_by=user.id, kind=kind,
                             title=fields["title"].strip()[:200] or KINDS[kind], parameters=params,
                             people_path=str(people) if people else None)
        session.add(ev)
        session.flush()
        enqueue_evaluation(session, ev)
        note(session, user, ev.id, "local evaluation requested")
        return ev

    def evaluations(session, user) -> list[LocalEvaluation]:
        return list(session.scalars(select(LocalEvaluation).where(LocalEvaluation.organisation_id == user.organisation_id)
                                    .order_by(LocalEvaluation.created.desc())).all()) if user.organisation_id else []

    def list_page(session, user, cred, status=200, error=None, typed=None):
        typed = {k: str(v) for k, v in (typed or {}).items() if k in FIELDS}
        return page("local_evaluations.html.j2", status, user=user, csrf=cred.csrf, evaluations=evaluations(session, user),
                    submissions=usable_submissions(session, user) if user.organisation_id else [], kinds=KINDS,
                    levels=LEVELS, error=error, typed=typed)

    @router.get("/local/evaluations", response_class=HTMLResponse)
    def evaluations_page(request: Request):
        with factory() as session:
            user, cred = signed_in(request, session)
            return list_page(session, user, cred)

    @router.post("/local/evaluations")
    async def request_evaluation(request: Request, file: UploadFile | None = File(None)):
        form = await request.form()
        with factory() as session:
            user, cred = signed_in(request, session, form=form)
            try:
                ev = await create(request, session, user, form, file)
            except JusticeLabError as exc:
                session.rollback()
                note(session, user, None, "refused local evaluation request")
                return list_page(session, user, cred, 400, str(exc), dict(form))
            return RedirectResponse(f"/local/evaluations/{ev.id}", status_code=303)

    def stored_results(ev: LocalEvaluation) -> dict | None:
        if ev.status != "done" or not ev.results_dir:
            return None
        name = next(iter(output_files(ev.kind)))
        return json.loads((Path(ev.results_dir) / name).read_text(encoding="utf-8"))

    @router.get("/local/evaluations/{eid}", response_class=HTMLResponse)
    def evaluation_page(eid: str, request: Request):
        with factory() as session:
            user, cred = signed_in(request, session)
            ev = own(session, user, eid, "viewed")
            r = stored_results(ev)
            body = render_body(r, chart_src=f"/local/evaluations/{ev.id}/files/tracking.png",
                               tables=False) if r else ""
            return page("local_evaluation.html.j2", user=user, csrf=cred.csrf, e=ev, body=body, kinds=KINDS,
                        files=output_files(ev.kind) if r else {})

    @router.post("/local/evaluations/{eid}/rerun")
    async def rerun(eid: str, request: Request):
        form = await request.form()
        with factory() as session:
            user, _ = signed_in(request, session, form=form)
            ev = own(session, user, eid, "rerun")
            if ev.status != "failed":
                raise HTTPException(409, f"a local evaluation {ev.status} cannot be run again")
            enqueue_evaluation(session, ev)
            return RedirectResponse(f"/local/evaluations/{ev.id}", status_code=303)

    def output(ev: LocalEvaluation, name: str) -> FileResponse:
        files = {**output_files(ev.kind), **({"tracking.png": "image/png"} if ev.kind == "tracking" else {})}
        if ev.status != "done" or not ev.results_dir or name not in files:
            raise HTTPException(404, "no such file")
        return FileResponse(Path(ev.results_dir) / name, media_type=files[name],
                            filename=None if name.endswith(".png") else name)

    @router.get("/local/evaluations/{eid}/files/{name}")
    def download(eid: str, name: str, request: Request):
        with factory() as session:
            user, _ = signed_in(request, session)
            return output(own(session, user, eid, f"downloaded {name}"), name)

    # ------------------------------------------------------------------------------- the same by API

    def summary(ev: LocalEvaluation) -> dict:
        return {"id": ev.id, "kind": ev.kind, "title": ev.title, "status": ev.status, "comment": ev.comment,
                "parameters": ev.parameters, "headline": ev.headline, "created": ev.created.isoformat(),
                "files": list(output_files(ev.kind)) if ev.status == "done" else []}

    @router.post("/api/local/evaluations")
    async def api_request(request: Request, file: UploadFile | None = File(None)):
        form = await request.form()
        with factory() as session:
            user, _ = signed_in(request, session, "api")
            try:
                ev = await create(request, session, user, form, file)
            except JusticeLabError as exc:
                session.rollback()
                note(session, user, None, "refused local evaluation request")
                raise HTTPException(400, str(exc)) from None
            return JSONResponse(summary(ev), status_code=201)

    @router.get("/api/local/evaluations")
    def api_list(request: Request):
        with factory() as session:
            user, _ = signed_in(request, session, "api")
            return [summary(e) for e in evaluations(session, user)]

    @router.get("/api/local/evaluations/{eid}")
    def api_status(eid: str, request: Request):
        with factory() as session:
            user, _ = signed_in(request, session, "api")
            return summary(own(session, user, eid, "api status"))

    @router.get("/api/local/evaluations/{eid}/results")
    def api_results(eid: str, request: Request):
        with factory() as session:
            user, _ = signed_in(request, session, "api")
            r = stored_results(own(session, user, eid, "api results"))
            if r is None:
                raise HTTPException(404, "no results yet: poll the evaluation's status")
            return JSONResponse(r)

    @router.get("/api/local/evaluations/{eid}/files/{name}")
    def api_download(eid: str, name: str, request: Request):
        with factory() as session:
            user, _ = signed_in(request, session, "api")
            return output(own(session, user, eid, f"api downloaded {name}"), name)

    return router
