"""`justicelab serve`: server-rendered pages and a JSON API over the store and the job table.

Access rule (one function, `_own`): an organisation's users see only their organisation's submissions;
analysts see all. Anything not visible answers 404, the same as an id that does not exist, so a guessed
URL reveals nothing. Published reports are open to everyone.
"""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from fastapi.concurrency import run_in_threadpool
from fastapi import Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import authenticate, clear_failures, issue, locked, record_failure, resolve, revoke
from .auth import bearer, check_csrf, session_user, token_user
from .guard import Guard
from .jobs import Settings, audit, problems_csv, store_upload, where
from .store import Organisation, Submission, User, connect, migrate
from ..report.public import PUBLIC_DIR, PUBLIC_FILES, publish

log = logging.getLogger("justicelab.service")
COOKIE = "jl_session"
LOGIN_COOKIE = "jl_login"  # pre-session CSRF token: a cross-site form cannot sign a victim in
UPLOADS = ("/submissions", "/api/submissions", "/casework/import", "/local/evaluations", "/api/local/evaluations")  # bodies over the form cap: checked first
REPORT_FILES = {"report.html": "text/html", "report.pdf": "application/pdf",
                "annex.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
PAGES = Environment(loader=PackageLoader("justicelab.service", "templates"), autoescape=select_autoescape(["j2"]))


def create_app(store_url: str, settings: Settings) -> FastAPI:
    migrate(store_url)
    _, factory = connect(store_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = FastAPI(title="Justice Data Lab", docs_url=None, redoc_url=None)
    app.state.factory, app.state.settings = factory, settings

    def may_upload(headers: dict[str, str]) -> bool:
        """Checked before an upload's body is read: a valid session cookie or API token."""
        from http.cookies import SimpleCookie

        cookie = SimpleCookie(headers.get("cookie", "")).get(COOKIE)
        with factory() as session:
            return (resolve(session, bearer(headers.get("authorization")), "api") is not None
                    or resolve(session, cookie.value if cookie else None, "session") is not None)
    app.add_middleware(Guard, upload_paths=UPLOADS, max_upload_bytes=settings.max_upload_bytes,
                       body_seconds=settings.body_seconds, authorised=may_upload)

    def db():
        with factory() as session:
            yield session

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(PAGES.get_template(name).render(**context), status_code=status)

    def browser_user(request: Request, session: Session = Depends(db)):
        found = session_user(session, request, COOKIE)
        session.commit()  # the connection goes back to the small pool while the request does its other work
        return found

    def api_user(request: Request, session: Session = Depends(db)) -> User:
        found = token_user(session, request)
        session.commit()
        return found[0]

    def _own(session: Session, user: User, sid: str, action: str) -> Submission:
        sub = session.get(Submission, sid) if _is_id(sid) else None
        if sub is None or (user.role != "analyst" and sub.organisation_id != user.organisation_id):
            audit(session, user.id, None, f"refused {action}")
            raise HTTPException(404, "no such submission")
        audit(session, user.id, sub.id, action)
        return sub

    async def _store_upload(session: Session, user: User, programme: str, file: UploadFile) -> Submission:
        if user.role != "organisation":
            raise HTTPException(403, "only an organisation's users submit")
        name = safe_filename(file.filename or "")
        programme = plain_text(programme, "programme")
        if Path(name).suffix.lower() not in (".csv", ".xlsx"):
            raise HTTPException(400, f"{name or 'the file'}: only .csv or .xlsx files are accepted")
        try:  # stored and queued only: validation runs in a worker, within limits
            sub = await run_in_threadpool(store_upload, session, settings, user, programme, name, file.file)
        except ValueError as exc:
            raise HTTPException(413 if "limit" in str(exc) else 400, str(exc)) from None
        log.info("submission %s received", sub.id)
        return sub

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if exc.status_code == 303:
            return RedirectResponse(exc.headers["Location"], status_code=303)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return page("error.html.j2", exc.status_code, message=exc.detail, user=None)

    @app.exception_handler(Exception)
    async def fault(request: Request, exc: Exception):  # no traceback reaches a user, no data reaches the log
        log.error("unexpected error on %s %s: %s", request.method, request.url.path, where(exc))
        return PlainTextResponse("Something went wrong on our side; it has been logged.", status_code=500)

    def login_page(status: int = 200, error: str | None = None) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        resp = page("login.html.j2", status, user=None, error=error, login_csrf=token)
        resp.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", max_age=3600, path="/login")
        return resp

    @app.get("/login", response_class=HTMLResponse)
    def login_form():
        return login_page()

    @app.post("/login")
    def login(request: Request, email: str = Form(...), password: str = Form(...), login_csrf: str = Form(""),
              session: Session = Depends(db)):
        origin = request.headers.get("origin")
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if (origin and origin != f"{request.url.scheme}://{request.url.netloc}") or not expected \
                or not secrets.compare_digest(expected, login_csrf):
            return login_page(403, "The sign-in form has expired or came from another site: sign in again here.")
        email = plain_text(email, "email")  # a NUL byte is refused here, before any query (PostgreSQL rejects it)
        address = request.client.host if request.client else "unknown"
        refused = locked(session, email, address)
        if refused:
            audit(session, None, None, "sign-in refused: locked")
            return login_page(429, refused)
        user = authenticate(session, email, password)
        if user is None:
            record_failure(session, email, address)
            return login_page(401, locked(session, email, address) or "Email or password not recognised.")
        clear_failures(session, email)
        token, _ = issue(session, user, "session")
        audit(session, user.id, None, "signed in")
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(COOKIE, token, httponly=True, samesite="lax", max_age=8 * 3600,
                        secure=settings.secure_cookies or request.url.scheme == "https")
        resp.delete_cookie(LOGIN_COOKIE, path="/login")
        return resp

    @app.post("/logout")
    def logout(request: Request, csrf: str = Form(""), who=Depends(browser_user), session: Session = Depends(db)):
        check_csrf(who[1], csrf)
        revoke(session, request.cookies.get(COOKIE, ""))
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE)
        return resp

    @app.get("/", response_class=HTMLResponse)
    def home(who=Depends(browser_user), session: Session = Depends(db)):
        user, cred = who
        if user.role == "analyst":
            return RedirectResponse("/review", status_code=303)
        if user.role in ("director", "caseworker"):  # programme case management (justicelab.casework)
            return RedirectResponse("/casework", status_code=303)
        subs = session.scalars(select(Submission).where(Submission.organisation_id == user.organisation_id)
                               .order_by(Submission.created.desc())).all()
        org = session.get(Organisation, user.organisation_id)
        return page("home.html.j2", user=user, csrf=cred.csrf, submissions=subs, organisation=org)

    @app.post("/submissions")
    async def upload(programme: str = Form(""), csrf: str = Form(""), file: UploadFile = File(...),
                     who=Depends(browser_user), session: Session = Depends(db)):
        check_csrf(who[1], csrf)
        sub = await _store_upload(session, who[0], programme, file)
        return RedirectResponse(f"/submissions/{sub.id}", status_code=303)

    @app.get("/submissions/{sid}", response_class=HTMLResponse)
    def submission_page(sid: str, who=Depends(browser_user), session: Session = Depends(db)):
        user, cred = who
        sub = _own(session, user, sid, "viewed")
        return page("submission.html.j2", user=user, csrf=cred.csrf, s=sub, files=REPORT_FILES,
                    can_download=_report_ready(sub, user))

    @app.get("/submissions/{sid}/problems.csv")
    def problems(sid: str, who=Depends(browser_user), session: Session = Depends(db)):
        sub = _own(session, who[0], sid, "downloaded problems")
        return Response(problems_csv(sub.problems), media_type="text/csv",
                        headers={"Content-Disposition": "attachment; filename=problems.csv"})

    def _report_ready(sub: Submission, user: User | None) -> bool:
        """Released reports are open to all; an analyst also sees the draft under review."""
        return sub.report_dir is not None and (sub.status == "published" or (
            user is not None and user.role == "analyst" and sub.status == "in review"))

    def _report_file(sub: Submission, user: User | None, name: str) -> FileResponse:
        if not _report_ready(sub, user):
            raise HTTPException(404, "this report is not released yet")
        base = Path(sub.report_dir).resolve()
        path = (base / name).resolve()
        if base not in path.parents or not path.is_file():
            raise HTTPException(404, "no such file")
        return FileResponse(path, media_type=REPORT_FILES.get(name), filename=None if name.startswith("charts/") else name)

    @app.get("/submissions/{sid}/report/{name:path}")
    def report(sid: str, name: str, who=Depends(browser_user), session: Session = Depends(db)):
        return _report_file(_own(session, who[0], sid, f"downloaded {name}"), who[0], name)

    @app.get("/review", response_class=HTMLResponse)
    def review_queue(who=Depends(browser_user), session: Session = Depends(db)):
        user, cred = who
        if user.role != "analyst":
            raise HTTPException(403, "the review queue is for analysts")
        subs = session.scalars(select(Submission).order_by(Submission.created)).all()
        return page("review.html.j2", user=user, csrf=cred.csrf, submissions=subs)

    @app.post("/review/{sid}")
    def decide(sid: str, action: str = Form(...), comment: str = Form(""), csrf: str = Form(""),
               who=Depends(browser_user), session: Session = Depends(db)):
        user, cred = who
        check_csrf(cred, csrf)
        if user.role != "analyst":
            raise HTTPException(403, "only analysts release or return reports")
        sub = _own(session, user, sid, action)
        if sub.status != "in review" or action not in ("release", "return"):
            raise HTTPException(409, f"a submission {sub.status} cannot be {action}d")
        comment = plain_text(comment, "comment").strip()[:2000]
        if action == "release":  # the public copy is written before the report is visible to anyone
            publish(Path(sub.report_dir))
        sub.status, sub.comment = ("published" if action == "release" else "returned"), comment
        session.commit()
        return RedirectResponse("/review", status_code=303)

    @app.get("/published", response_class=HTMLResponse)
    def published(request: Request, q: str = "", session: Session = Depends(db)):
        who = resolve(session, request.cookies.get(COOKIE), "session")
        rows = _published(session, q)
        return page("published.html.j2", user=who[0] if who else None, csrf=who[1].csrf if who else "", rows=rows, q=q)

    @app.get("/published/forest.png")
    def forest(q: str = "", session: Session = Depends(db)):
        return Response(_forest_png(_published(session, q)), media_type="image/png")

    @app.get("/published/{sid}/{name:path}")
    def published_file(sid: str, name: str, session: Session = Depends(db)):
        """Only the disclosure-controlled public artefacts (report.public), never the analyst's draft files."""
        sub = session.get(Submission, sid) if _is_id(sid) else None
        if sub is None or sub.status != "published" or sub.report_dir is None:
            raise HTTPException(404, "no such published report")
        path = Path(sub.report_dir) / PUBLIC_DIR / name
        if name not in PUBLIC_FILES and not (name.startswith("charts/") and name.count("/") == 1
                                             and name.endswith(".png") and ".." not in name):
            raise HTTPException(404, "no such file")
        if not path.is_file():
            raise HTTPException(404, "no such file")
        return FileResponse(path, media_type=PUBLIC_FILES.get(name, "image/png"),
                            filename=None if name.startswith("charts/") else name)

    @app.get("/healthz")
    def health():
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz")
    def ready(session: Session = Depends(db)):
        """Readiness: the store answers and the data folder is writable."""
        try:
            session.execute(select(1))
            ok = os.access(settings.data_dir, os.W_OK)
        except Exception as exc:  # the store is down: not ready, and the log says why without data
            log.error("readiness check failed: %s", where(exc))
            ok = False
        return JSONResponse({"status": "ready" if ok else "not ready"}, status_code=200 if ok else 503)

    def _published(session: Session, q: str) -> list[tuple[Submission, str]]:
        rows = session.execute(select(Submission, Organisation.name).join(Organisation)
                               .where(Submission.status == "published").order_by(Submission.updated.desc())).all()
        q = q.strip().lower()
        return [(s, o) for s, o in rows if not q or q in s.programme.lower() or q in o.lower()]

    # the JSON API (Bearer tokens)
    @app.post("/api/submissions")
    async def api_upload(programme: str = Form(""), file: UploadFile = File(...), user: User = Depends(api_user),
                         session: Session = Depends(db)):
        sub = await _store_upload(session, user, programme, file)
        return JSONResponse(_summary(sub), status_code=201)

    @app.get("/api/submissions")
    def api_list(user: User = Depends(api_user), session: Session = Depends(db)):
        query = select(Submission).order_by(Submission.created)
        if user.role != "analyst":
            query = query.where(Submission.organisation_id == user.organisation_id)
        return [_summary(s) for s in session.scalars(query).all()]

    @app.get("/api/submissions/{sid}")
    def api_status(sid: str, user: User = Depends(api_user), session: Session = Depends(db)):
        return _summary(_own(session, user, sid, "api status"), problems=True)

    @app.get("/api/submissions/{sid}/report/{name:path}")
    def api_report(sid: str, name: str, user: User = Depends(api_user), session: Session = Depends(db)):
        return _report_file(_own(session, user, sid, f"api downloaded {name}"), user, name)

    from .review import review_router  # clerical review of linkage (analysts)

    app.include_router(review_router(factory, settings, COOKIE))
    from ..local.service import local_router  # statistics by area (docs/local.md)

    app.include_router(local_router(factory, settings, COOKIE))
    from .casework_pages import casework_router  # programme case management

    app.include_router(casework_router(factory, settings, COOKIE))
    return app


def _is_id(sid: str) -> bool:
    """Submission ids are 32 hex characters; anything else is not found (and never reaches the database)."""
    return len(sid) == 32 and all(c in "0123456789abcdef" for c in sid)


def plain_text(value: str, field: str) -> str:
    """Text fields may not hold NUL characters (PostgreSQL refuses them): a clear 400, not a fault."""
    if "\x00" in (value or ""):
        raise HTTPException(400, f"{field}: contains a NUL character; remove it and try again")
    return value


def safe_filename(raw: str, limit: int = 200) -> str:
    """The base name, without control characters, shortened to fit the store's column (suffix kept)."""
    name = "".join(c for c in Path(raw.replace("\\", "/")).name if c.isprintable())
    stem, suffix = Path(name).stem, Path(name).suffix[:10]
    return (stem[: limit - len(suffix)] + suffix) if len(name) > limit else name


def _summary(sub: Submission, problems: bool = False) -> dict:
    out = {"id": sub.id, "programme": sub.programme, "status": sub.status, "rows": sub.rows,
           "problems": len(sub.problems or []), "comment": sub.comment, "created": sub.created.isoformat()}
    if problems:
        out["problem_list"] = sub.problems
        out["headline"] = sub.headline
    return out


def _forest_png(rows: list[tuple[Submission, str]]) -> bytes:
    import io
    import tempfile

    from ..report.charts import forest_plot

    points = [{"label": f"{s.programme} ({o})"[:60], "difference": 100 * s.headline["difference"],
               "ci_low": 100 * s.headline["ci_low"], "ci_high": 100 * s.headline["ci_high"],
               "significant": bool(s.headline["significant"]), "better": s.headline["difference"] < 0}
              for s, o in rows if s.headline and s.headline.get("difference") is not None]
    if not points:
        points = [{"label": "no published results yet", "difference": 0, "ci_low": 0, "ci_high": 0,
                   "significant": False, "better": None}]
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = forest_plot(points, "One-year proven reoffending rate: difference from the comparison group",
                              "Percentage points (negative: less reoffending)", Path(tmp) / "forest.png")
        return io.BytesIO(path.read_bytes()).getvalue()
