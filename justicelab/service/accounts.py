"""Accounts, sessions and API tokens. Passwords are hashed with Argon2; tokens are random and only their
SHA-256 is stored, so a copy of the store gives no way in."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import JusticeLabError
from .store import Credential, LoginAttempt, Organisation, User, now

HASHER = PasswordHasher()
SESSION_HOURS = 8
API_TOKEN_DAYS = 90
# failed sign-ins: an account locks after 5 in 15 minutes, an address after 20 (many accounts tried)
LOCK_AFTER = {"account": 5, "address": 20}
LOCK_WINDOW = timedelta(minutes=15)
# an organisation's user sends submissions; case management (justicelab.casework) adds the programme
# director (every provider's cases), and provider caseworkers (their organisation is their provider)
ROLES = ("organisation", "analyst", "director", "caseworker")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_organisation(db: Session, name: str) -> Organisation:
    org = db.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name)
        db.add(org)
        db.commit()
    return org


def add_user(db: Session, email: str, password: str, role: str = "organisation",
             organisation: str | None = None) -> User:
    if role not in ROLES:
        raise JusticeLabError(f"role must be one of {', '.join(ROLES)}")
    if role in ("organisation", "caseworker") and not organisation:
        raise JusticeLabError(f"a{'n organisation' if role == 'organisation' else ' caseworker'} user needs --organisation"
                              + (" (their provider)" if role == "caseworker" else ""))
    if len(password) < 10:
        raise JusticeLabError("passwords need at least 10 characters")
    org = add_organisation(db, organisation) if organisation else None
    user = User(email=email.strip().lower(), password_hash=HASHER.hash(password), role=role,
                organisation_id=org.id if org else None)
    db.add(user)
    db.commit()
    return user


def authenticate(db: Session, email: str, password: str) -> User | None:
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.disabled:
        HASHER.hash(password)  # same time whether or not the account exists
        return None
    try:
        HASHER.verify(user.password_hash, password)
    except VerificationError:
        return None
    return user


def issue(db: Session, user: User, kind: str, days: int = API_TOKEN_DAYS) -> tuple[str, Credential]:
    """A session (8 hours) or an API token (`days`); every credential expires."""
    token = secrets.token_urlsafe(32)
    life = timedelta(hours=SESSION_HOURS) if kind == "session" else timedelta(days=days)
    cred = Credential(token_hash=_digest(token), kind=kind, user_id=user.id, csrf=secrets.token_urlsafe(24),
                      expires=now() + life)
    db.add(cred)
    db.commit()
    return token, cred


def resolve(db: Session, token: str | None, kind: str) -> tuple[User, Credential] | None:
    if not token:
        return None
    cred = db.get(Credential, _digest(token))
    if cred is None or cred.kind != kind or (cred.expires is not None and cred.expires < now()):
        return None
    user = db.get(User, cred.user_id)
    return None if user.disabled else (user, cred)


def revoke(db: Session, token: str) -> None:
    cred = db.get(Credential, _digest(token))
    if cred is not None:
        db.delete(cred)
        db.commit()


def _user(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise JusticeLabError(f"no user {email}")
    return user


def disable_user(db: Session, email: str) -> int:
    """Stop a user signing in or using the API: every session and token ends now. Returns how many."""
    user = _user(db, email)
    user.disabled = True
    ended = db.execute(delete(Credential).where(Credential.user_id == user.id)).rowcount
    db.commit()
    return ended


def revoke_tokens(db: Session, email: str) -> int:
    """Revoke every API token of a user (a leaked token); their browser sessions stay."""
    user = _user(db, email)
    ended = db.execute(delete(Credential).where(Credential.user_id == user.id, Credential.kind == "api")).rowcount
    db.commit()
    return ended


def _keys(email: str, address: str) -> dict[str, str]:
    return {"account": f"account:{email.strip().lower()}"[:250], "address": f"address:{address}"[:250]}


def locked(db: Session, email: str, address: str) -> str | None:
    """Why sign-in is refused without checking the password (too many failures), or None."""
    for scope, key in _keys(email, address).items():
        row = db.get(LoginAttempt, key)
        if row is not None and row.locked_until is not None and row.locked_until > now():
            minutes = max(1, round((row.locked_until - now()).total_seconds() / 60))
            where = "this account" if scope == "account" else "your address"
            return f"Too many failed sign-ins from {where}: try again in {minutes} minutes."
    return None


def record_failure(db: Session, email: str, address: str) -> None:
    """Count a failed sign-in; the 5th for an account (20th for an address) in 15 minutes locks it."""
    try:
        _count_failure(db, email, address)
    except IntegrityError:  # another request created the same counter first: count again on top of it
        db.rollback()
        _count_failure(db, email, address)


def _count_failure(db: Session, email: str, address: str) -> None:
    t = now()
    for scope, key in _keys(email, address).items():
        row = db.get(LoginAttempt, key)
        if row is None:
            row = LoginAttempt(key=key, failures=0, first=t)
            db.add(row)
        if row.first < t - LOCK_WINDOW:
            row.failures, row.first = 0, t
        row.failures += 1
        if row.failures >= LOCK_AFTER[scope]:
            row.locked_until, row.failures, row.first = t + LOCK_WINDOW, 0, t
    db.commit()


def clear_failures(db: Session, email: str) -> None:
    row = db.get(LoginAttempt, _keys(email, "")["account"])
    if row is not None:
        db.delete(row)
        db.commit()
