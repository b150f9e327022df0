"""Accounts, sessions and API tokens. Passwords are hashed with Argon2; tokens are random and only their
SHA-256 is stored, so a copy of the store gives no way in."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import JusticeLabError
from .store import Credential, Organisation, User, now

HASHER = PasswordHasher()
SESSION_HOURS = 8


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
    if role not in ("organisation", "analyst"):
        raise JusticeLabError("role must be organisation or analyst")
    if role == "organisation" and not organisation:
        raise JusticeLabError("an organisation user needs --organisation")
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
    if user is None:
        HASHER.hash(password)  # same time whether or not the account exists
        return None
    try:
        HASHER.verify(user.password_hash, password)
    except VerificationError:
        return None
    return user


def issue(db: Session, user: User, kind: str) -> tuple[str, Credential]:
    token = secrets.token_urlsafe(32)
    cred = Credential(token_hash=_digest(token), kind=kind, user_id=user.id, csrf=secrets.token_urlsafe(24),
                      expires=now() + timedelta(hours=SESSION_HOURS) if kind == "session" else None)
    db.add(cred)
    db.commit()
    return token, cred


def resolve(db: Session, token: str | None, kind: str) -> tuple[User, Credential] | None:
    if not token:
        return None
    cred = db.get(Credential, _digest(token))
    if cred is None or cred.kind != kind or (cred.expires is not None and cred.expires < now()):
        return None
    return db.get(User, cred.user_id), cred


def revoke(db: Session, token: str) -> None:
    cred = db.get(Credential, _digest(token))
    if cred is not None:
        db.delete(cred)
        db.commit()
