"""Local statistics in the web service, for signed-in partners: the same figures as `justicelab local report`
(area tables and quarterly trends, disclosure-controlled), without predictions (those need a cohort).

GET /local?by=LEVELS[&area=LEVEL=NAME]   the report page
GET /api/local?by=...[&area=...]         its results JSON (API token)
Results are computed once per database file (its size and modification time) and query, then cached in
the service's data folder: a national cohort takes tens of seconds on a large database.
"""
from __future__ import annotations

import hashlib
import json

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ..errors import JusticeLabError
from .geography import parse_levels


def local_router(factory, settings, cookie: str) -> APIRouter:
    from ..engine import DuckDBEngine
    from ..service.accounts import resolve
    from .outputs import render_html
    from .run import LocalConfig, run_local

    router = APIRouter()

    def signed_in(request: Request, kind: str) -> None:
        with factory() as session:
            if kind == "api":
                auth = request.headers.get("authorization", "")
                found = resolve(session, auth[7:] if auth.lower().startswith("bearer ") else None, "api")
            else:
                found = resolve(session, request.cookies.get(cookie), "session")
            session.commit()
        if found is None:
            if kind == "api":
                raise HTTPException(401, "a valid API token is needed (Authorization: Bearer ...)")
            raise HTTPException(303, headers={"Location": "/login"})

    def results(by: str, area: str | None) -> dict:
        try:
            levels = parse_levels(by)
            chosen = {}
            if area:
                level, sep, name = area.partition("=")
                if not sep or not name.strip():
                    raise JusticeLabError(f"area {area!r}: write LEVEL=NAME, e.g. local_authority=Southwark")
                chosen = {level.strip(): name.strip()}
            stat = settings.database.stat()
            key = hashlib.sha256(json.dumps([str(settings.database), stat.st_size, stat.st_mtime_ns, levels, chosen])
                                 .encode()).hexdigest()[:24]
            cache = settings.data_dir / "local" / f"{key}.json"
            if cache.exists():
                return json.loads(cache.read_text(encoding="utf-8"))
            with DuckDBEngine(settings.database, read_only=True) as engine:
                out = run_local(engine, LocalConfig(levels=levels, area=chosen, predict=False), settings.database)
        except JusticeLabError as exc:
            raise HTTPException(400, str(exc)) from None
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(out, sort_keys=True, default=str), encoding="utf-8")
        tmp.replace(cache)  # readers see a whole file or none
        return json.loads(cache.read_text(encoding="utf-8"))

    @router.get("/local", response_class=HTMLResponse)
    def local_page(request: Request, by: str = "local_authority", area: str | None = None):
        signed_in(request, "session")
        return HTMLResponse(render_html(results(by, area)))

    @router.get("/api/local")
    def local_api(request: Request, by: str = "local_authority", area: str | None = None):
        signed_in(request, "api")
        return JSONResponse(results(by, area))

    return router
