"""Case-management pages (justicelab.casework): the caseload, a case with its assessments, contacts,
services and outcomes, bulk import, the director's dashboard and the one-click exports.

Access: a provider's caseworker sees their provider's cases and their provider's dashboard, the
programme director every case and the whole programme's dashboard, an analyst that dashboard only
(aggregates, no names). Anything not visible answers 404, like a case that
does not exist; every view, write and refusal is audited (`casework.records`).
"""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select

from ..casework import records
from ..casework.measures import dashboard
from ..errors import JusticeLabError
from ..submission.validate import parse_date
from .auth import check_csrf, session_user
from .store import Organisation

PAGES = Environment(loader=PackageLoader("justicelab.service", "templates"), autoescape=select_autoescape(["j2"]))
FORMS = ("assessment", "contact", "service", "outcome", "update")
CONTRACTS = ("peterborough", "doncaster", "probation_case_mix")


def _date(form, field: str, required: bool = True) -> date | None:
    got, problem, _ = parse_date(form.get(field))
    if problem:
        raise JusticeLabError(f"{field}: {problem}")
    if got is None and required:
        raise JusticeLabError(f"{field}: required")
    return got


def _text(form, field: str) -> str:
    value = str(form.get(field) or "")
    if "\x00" in value:  # PostgreSQL refuses it: a clear 400 wherever the field is read
        raise HTTPException(400, f"{field}: contains a NUL character; remove it and try again")
    return value


def casework_router(factory, settings, cookie: str) -> APIRouter:
    router = APIRouter()

    def signed_in(request: Request, session, roles=records.ROLES, form=None):
        user, cred = session_user(session, request, cookie)
        if form is not None:
            check_csrf(cred, str(form.get("csrf") or ""))
        if user.role not in roles:
            records._audit(session, user, None, "refused casework page")
            session.commit()
            raise HTTPException(403, "this page is not open to your role")
        return user, cred

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(PAGES.get_template(name).render(**context), status_code=status)

    def case_of(session, user, cid: str, action: str):
        try:
            return records.visible_case(session, user, cid, action)
        except records.NotVisible:
            raise HTTPException(404, "no such case") from None

    def providers(session) -> list[Organisation]:
        return list(session.scalars(select(Organisation).order_by(Organisation.name)).all())

    def caseload_page(session, user, cred, status=200, error=None, typed=None):
        """The caseload; after a refused form, the form again with what was typed (never the CSRF token)."""
        typed = {k: str(v) for k, v in (typed or {}).items() if k != "csrf"}
        return page("casework_list.html.j2", status, user=user, csrf=cred.csrf, cases=records.cases_for(session, user),
                    providers=providers(session), bands=records.RISK_BANDS, error=error, typed=typed,
                    names={o.id: o.name for o in providers(session)})

    @router.get("/casework", response_class=HTMLResponse)
    def caseload(request: Request):
        with factory() as session:
            user, cred = signed_in(request, session)
            if user.role == "analyst":
                return RedirectResponse("/casework/dashboard", status_code=303)
            return caseload_page(session, user, cred)

    @router.post("/casework/cases")
    async def open_case(request: Request):
        form = await request.form()
        with factory() as session:
            user, cred = signed_in(request, session, ("director", "caseworker"), form)
            try:
                provider = user.organisation_id if user.role == "caseworker" else _text(form, "provider")
                case = records.open_case(session, user, provider, _text(form, "reference"), _text(form, "forename"),
                                         _text(form, "surname"), _date(form, "date_of_birth"), _text(form, "sex"),
                                         _text(form, "risk_band"), _date(form, "reception_date"),
                                         _date(form, "release_date", False), _text(form, "pnc_id"))
            except records.NotVisible:
                raise HTTPException(404, "no such provider") from None
            except JusticeLabError as exc:
                session.rollback()
                return caseload_page(session, user, cred, 400, str(exc), form)
            return RedirectResponse(f"/casework/cases/{case.id}", status_code=303)

    def case_page(session, user, cred, case, status=200, error=None):
        def rows(model, order):
            return session.scalars(select(model).where(model.case_id == case.id).order_by(order)).all()
        return page("casework_case.html.j2", status, user=user, csrf=cred.csrf, c=case, error=error,
                    provider=session.get(Organisation, case.provider_id),
                    assessments=rows(records.Assessment, records.Assessment.assessed_on),
                    contacts=rows(records.Contact, records.Contact.contact_on),
                    services=rows(records.Service, records.Service.service_on),
                    outcomes=rows(records.Outcome, records.Outcome.outcome_on),
                    needs=records.NEEDS, modes=records.CONTACT_MODES, outcome_kinds=records.OUTCOMES,
                    bands=records.RISK_BANDS,
                    today=date.today().isoformat())

    @router.get("/casework/cases/{cid}", response_class=HTMLResponse)
    def view_case(cid: str, request: Request):
        with factory() as session:
            user, cred = signed_in(request, session, ("director", "caseworker"))
            return case_page(session, user, cred, case_of(session, user, cid, "viewed case"))

    @router.post("/casework/cases/{cid}/{what}")
    async def record(cid: str, what: str, request: Request):
        form = await request.form()
        with factory() as session:
            user, cred = signed_in(request, session, ("director", "caseworker"), form)
            if what not in FORMS:
                raise HTTPException(404, "no such form")
            case = case_of(session, user, cid, f"record {what}")
            try:
                if what == "assessment":
                    records.record_assessment(session, user, case, _text(form, "kind"), _date(form, "assessed_on"),
                                              [str(n) for n in form.getlist("needs")])
                elif what == "contact":
                    minutes = _text(form, "minutes").strip() or "0"
                    if not minutes.isdigit():
                        raise JusticeLabError("minutes: a whole number of minutes")
                    records.record_contact(session, user, case, _date(form, "contact_on"), _text(form, "mode"), int(minutes))
                elif what == "service":
                    records.record_service(session, user, case, _text(form, "kind"), _text(form, "need"),
                                           _text(form, "agency"), _date(form, "service_on"))
                elif what == "outcome":
                    records.record_outcome(session, user, case, _text(form, "outcome"), _date(form, "outcome_on"))
                else:
                    records.update_case(session, user, case, _date(form, "release_date", False),
                                        _date(form, "closed_on", False), _text(form, "completion") or None,
                                        _text(form, "risk_band") or None)
            except JusticeLabError as exc:
                session.rollback()
                return case_page(session, user, cred, case, 400, str(exc))
            return RedirectResponse(f"/casework/cases/{case.id}#{what}", status_code=303)

    @router.post("/casework/cases/{cid}/withdraw/{kind}/{entry}")
    async def withdraw(cid: str, kind: str, entry: int, request: Request):
        form = await request.form()
        with factory() as session:
            user, _ = signed_in(request, session, ("director", "caseworker"), form)
            case = case_of(session, user, cid, f"withdraw {kind}")
            try:
                records.withdraw(session, user, case, kind, entry)
            except records.NotVisible:
                raise HTTPException(404, "no such entry") from None
            return RedirectResponse(f"/casework/cases/{case.id}#{kind}", status_code=303)

    @router.get("/casework/import", response_class=HTMLResponse)
    def import_form(request: Request):
        with factory() as session:
            user, cred = signed_in(request, session, ("director", "caseworker"))
            return page("casework_import.html.j2", user=user, csrf=cred.csrf, problems=None, opened=None, kind="cases")

    @router.post("/casework/import", response_class=HTMLResponse)
    async def import_file(request: Request, file: UploadFile = File(...)):
        from ..casework.importer import COLUMNS, import_file as load_rows

        form = await request.form()
        with factory() as session:
            user, cred = signed_in(request, session, ("director", "caseworker"), form)
            kind = _text(form, "kind") or "cases"
            if kind not in COLUMNS:
                raise HTTPException(400, "choose cases or contacts")
            suffix = Path(file.filename or "").suffix.lower()
            if suffix not in (".csv", ".xlsx"):
                raise HTTPException(400, "only .csv or .xlsx files are accepted")
            data = await file.read(settings.max_upload_bytes + 1)
            if len(data) > settings.max_upload_bytes:
                raise HTTPException(413, "the file is over the upload limit")
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"cases{suffix}"
                path.write_bytes(data)
                try:
                    opened, problems = await run_in_threadpool(load_rows, session, user, path, kind)
                except JusticeLabError as exc:  # the file as a whole cannot be read
                    opened, problems = 0, [{"row": "", "column": "", "value": "", "problem": str(exc)}]
            records._audit(session, user, None, f"imported {opened} {kind}" if opened else "refused import")
            session.commit()
            return page("casework_import.html.j2", 400 if problems else 200, user=user, csrf=cred.csrf,
                        problems=problems, opened=opened, kind=kind)

    @router.get("/casework/dashboard", response_class=HTMLResponse)
    def director_dashboard(request: Request, as_of: str = ""):
        with factory() as session:
            user, cred = signed_in(request, session, ("director", "analyst", "caseworker"))
            day, problem, _ = parse_date(as_of)
            if problem:
                raise HTTPException(400, f"as_of: {problem}")
            day = day or date.today()
            scope = user.organisation_id if user.role == "caseworker" else None  # a provider's own feedback
            tables = dashboard(records.caseload(session, scope), day)
            records._audit(session, user, None, "viewed dashboard")
            session.commit()
            return page("casework_dashboard.html.j2", user=user, csrf=cred.csrf, tables=tables, as_of=day,
                        contracts=CONTRACTS, needs=records.NEEDS,
                        provider=session.get(Organisation, scope) if scope else None)

    @router.get("/casework/submission.csv")
    def submission_file(request: Request):
        from ..casework.export import write_submission

        with factory() as session:
            user, _ = signed_in(request, session, ("director",))
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "submission.csv"
                write_submission(records.caseload(session, identifiers=True), date.today(), path)
                body = path.read_bytes()
            records._audit(session, user, None, "exported Data Lab submission")
            session.commit()
        return Response(body, media_type="text/csv",
                        headers={"Content-Disposition": "attachment; filename=datalab_submission.csv"})

    @router.post("/casework/pbr-check", response_class=HTMLResponse)
    async def pbr_check(request: Request):
        form = await request.form()
        with factory() as session:
            user, cred = signed_in(request, session, ("director",), form)
            name = _text(form, "contract")
            if name not in CONTRACTS:
                raise HTTPException(400, "choose one of the contracts listed")
            if not Path(settings.database).is_file():
                raise HTTPException(409, "the service has no reoffending database to check against (serve --db)")
            load = records.caseload(session, identifiers=True)
            records._audit(session, user, None, f"PbR cohort check: {name}")
            session.commit()
        cases, cohorts = await run_in_threadpool(_cohort_check, settings.database, name, load)
        return page("casework_pbr.html.j2", user=user, csrf=cred.csrf, contract=name,
                    cases=cases.to_dict("records"), cohorts=cohorts.to_dict("records"))

    return router


def _cohort_check(database: Path, name: str, load):
    from importlib import resources

    from ..casework.export import cohort_check
    from ..engine import DuckDBEngine
    from ..pbr.contract import load_contract

    contract, _ = load_contract(resources.files("justicelab.pbr").joinpath("contracts", f"{name}.yaml"))
    with DuckDBEngine(database, read_only=True) as engine:
        return cohort_check(engine, contract, load)
