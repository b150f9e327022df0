"""Who is asking: a request's session cookie or API token, and a form's CSRF token. Every router (submissions,
review, case work, local areas) answers the same way: a browser without a session goes to the login page, an
API call without a token gets 401, and an expired form gets 403."""
from __future__ import annotations

import secrets

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from .accounts import resolve
from .store import Credential, User


def bearer(authorization: str | None) -> str | None:
    """The token of an 'Authorization: Bearer ...' header."""
    auth = authorization or ""
    return auth[7:] if auth.lower().startswith("bearer ") else None


def session_user(session: Session, request: Request, cookie: str) -> tuple[User, Credential]:
    found = resolve(session, request.cookies.get(cookie), "session")
    if found is None:
        raise HTTPException(303, headers={"Location": "/login"})
    return found


def token_user(session: Session, request: Request) -> tuple[User, Credential]:
    found = resolve(session, bearer(request.headers.get("authorization")), "api")
    if found is None:
        raise HTTPException(401, "a valid API token is needed (Authorization: Bearer ...)")
    return found


def check_csrf(cred: Credential, token: str | None) -> None:
    if not secrets.compare_digest(cred.csrf, token or ""):
        raise HTTPException(403, "the form has expired: reload the page and try again")
