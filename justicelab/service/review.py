"""Clerical review of linkage in the web service, for analysts: the same decisions as `justicelab review`.

GET  /linkage-review/{sid}        the next undecided row: the submitted details beside each candidate
POST /linkage-review/{sid}/{row}  accept a candidate, reject all, or skip (CSRF-checked like every form)
POST /linkage-review/{sid}/rerun  run the analysis again: the decisions feed its treatment group
Decisions go to clerical_decisions.csv in the submission's linkage folder (linkage/review.py).
"""
from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from ..errors import JusticeLabError
from ..linkage import review as clerical
from .auth import check_csrf, session_user
from .jobs import audit, enqueue
from .store import Submission

PAGES = Environment(loader=PackageLoader("justicelab.service", "templates"), autoescape=select_autoescape(["j2"]))


def review_router(factory, settings, cookie: str) -> APIRouter:
    router = APIRouter()

    def analyst(request: Request, session, csrf: str | None = None):
        user, cred = session_user(session, request, cookie)
        if csrf is not None:
            check_csrf(cred, csrf)
        if user.role != "analyst":
            raise HTTPException(403, "clerical review of linkage is for analysts")
        return user, cred

    def folder(session, user, sid: str, action: str):
        sub = session.get(Submission, sid)
        work = settings.data_dir / "work" / sid
        if sub is None or not (work / "linkage.csv").exists():
            raise HTTPException(404, "no linkage to review for this submission")
        audit(session, user.id, sub.id, action)
        return sub, work

    @router.get("/linkage-review/{sid}", response_class=HTMLResponse)
    def next_row(sid: str, request: Request):
        with factory() as session:
            user, cred = analyst(request, session)
            sub, work = folder(session, user, sid, "viewed linkage review")
            todo = clerical.pending(work)
            row = todo[0] if todo else None
            cands = clerical.candidates(work, row) if row is not None else None
            html = PAGES.get_template("linkage_review.html.j2").render(
                user=user, csrf=cred.csrf, s=sub, row=row, left=len(todo), fields=clerical.FIELDS,
                candidates=[] if cands is None else cands.to_dict("records"),
                decided=len(clerical.decisions(work)))
        return HTMLResponse(html)

    @router.post("/linkage-review/{sid}/rerun")
    def rerun(sid: str, request: Request, csrf: str = Form("")):
        with factory() as session:
            user, _ = analyst(request, session, csrf)
            sub, _ = folder(session, user, sid, "re-ran analysis after clerical review")
            sub.status = "validated"
            session.commit()
            enqueue(session, sub)
        return RedirectResponse(f"/submissions/{sid}", status_code=303)

    @router.post("/linkage-review/{sid}/{row}")
    def decide(sid: str, row: int, request: Request, decision: str = Form(...), person_id: int | None = Form(None),
               csrf: str = Form("")):
        with factory() as session:
            user, _ = analyst(request, session, csrf)
            _, work = folder(session, user, sid, f"clerical review: {decision} row {row}")
            if row not in clerical.pending(work):
                raise HTTPException(409, f"row {row} is not waiting for review")
            try:
                clerical.record(work, row, decision, person_id, reviewer=user.email)
            except JusticeLabError as exc:
                raise HTTPException(400, str(exc)) from exc
        return RedirectResponse(f"/linkage-review/{sid}", status_code=303)

    return router
