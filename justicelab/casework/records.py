"""The case-management tables and every write to them.

Personal data are minimised to what a Data Lab submission needs (names, date of birth, sex, PNC id) plus
the dates the measures need; there are no addresses, phone numbers or free-text notes. Identifiers are
erased `retention_days` after a case closes (`apply_retention`); the pseudonymous record stays for the
measures. Every write and every refusal goes to the service's audit table (the case id in its
`submission_id` column, the action prefixed "casework:").
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..errors import JusticeLabError
from ..service.store import Audit, Base, Organisation, User, new_id, now

# the One Service needs assessment's categories (seed 004, Table 4.2)
NEEDS = {
    "accommodation": "Accommodation", "finance": "Finance, benefit and debt",
    "ete": "Education, training and employment", "addiction": "Addiction (drugs, alcohol)",
    "health": "Health and wellbeing (mental and physical)", "family": "Children and families",
    "legal": "Legal", "activity": "Purposeful activity", "attitudes": "Attitudes, thinking and behaviour",
    "immigration": "Immigration", "it": "Information technologies",
}
RISK_BANDS = ("low", "medium", "high")
ASSESSMENTS = ("screening", "full")
CONTACT_MODES = {"custody": "In custody", "gate": "At the gate (release day)", "community": "In the community",
                 "phone": "By phone or text"}
SERVICE_KINDS = ("referred", "received")
OUTCOMES = ("accommodation secured", "entered employment", "entered education or training",
            "started treatment", "benefits in place", "bank account opened", "disengaged", "completed support")
ROLES = ("director", "caseworker", "analyst")
RETENTION_DAYS = 730  # identifiers kept two years after closure: the Data Lab's one-year follow-up plus time to submit


class Case(Base):
    __tablename__ = "casework_case"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    provider_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40))  # the programme's own case number
    forename: Mapped[str | None] = mapped_column(String(100), nullable=True)  # None once erased
    surname: Mapped[str | None] = mapped_column(String(100), nullable=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    sex: Mapped[str] = mapped_column(String(1))
    pnc_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    risk_band: Mapped[str] = mapped_column(String(10))
    reception_date: Mapped[date] = mapped_column(Date)
    release_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    completion: Mapped[str] = mapped_column(String(20), default="open")  # open, completed, disengaged, transferred
    identifiers_erased: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=now)


class _Entry:
    """What every entry on a case carries: its case, who recorded it and when."""
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("casework_case.id"), index=True)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class Assessment(_Entry, Base):
    __tablename__ = "casework_assessment"
    kind: Mapped[str] = mapped_column(String(10))  # screening or full
    assessed_on: Mapped[date] = mapped_column(Date)
    needs: Mapped[list] = mapped_column(JSON, default=list)  # codes from NEEDS


class Contact(_Entry, Base):
    __tablename__ = "casework_contact"
    contact_on: Mapped[date] = mapped_column(Date)
    mode: Mapped[str] = mapped_column(String(10))  # CONTACT_MODES
    minutes: Mapped[int] = mapped_column(Integer, default=0)


class Service(_Entry, Base):
    """A referral to an agency, or a service the person received, for one need."""
    __tablename__ = "casework_service"
    kind: Mapped[str] = mapped_column(String(10))  # referred or received
    need: Mapped[str] = mapped_column(String(20))
    agency: Mapped[str] = mapped_column(String(100))
    service_on: Mapped[date] = mapped_column(Date)


class Outcome(_Entry, Base):
    __tablename__ = "casework_outcome"
    outcome: Mapped[str] = mapped_column(String(40))
    outcome_on: Mapped[date] = mapped_column(Date)


class NotVisible(JusticeLabError):
    """The case does not exist or this user may not see it (the two are never told apart)."""


def _audit(db: Session, user: User | None, case_id: str | None, action: str) -> None:
    db.add(Audit(user_id=user.id if user else None, submission_id=case_id, action=f"casework: {action}"[:60]))


def provider_scope(user: User) -> str | None:
    """The provider whose cases a user sees (None: every provider's). Analysts see no case records."""
    if user.role == "caseworker":
        return user.organisation_id
    if user.role == "director":
        return None
    raise NotVisible("case records are for the programme director and the providers' caseworkers")


def visible_case(db: Session, user: User, case_id: str, action: str = "viewed case") -> Case:
    """The one access rule for a case: a caseworker sees their provider's cases, the director all."""
    case = db.get(Case, case_id) if _is_id(case_id) else None
    try:
        scope = provider_scope(user)
    except NotVisible:
        case = None
    else:
        if case is not None and scope is not None and case.provider_id != scope:
            case = None
    _audit(db, user, case.id if case else None, action if case else f"refused {action}")
    db.commit()
    if case is None:
        raise NotVisible("no such case")
    return case


def cases_for(db: Session, user: User) -> list[Case]:
    scope = provider_scope(user)
    query = select(Case).order_by(Case.reception_date.desc(), Case.reference)
    if scope is not None:
        query = query.where(Case.provider_id == scope)
    return list(db.scalars(query).all())


def _is_id(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def _choice(value: str, allowed, field: str) -> str:
    value = (value or "").strip().lower()
    if value not in allowed:
        raise JusticeLabError(f"{field}: {value or 'nothing'!r} is not one of {', '.join(allowed)}")
    return value


def _not_future(day: date, field: str, today: date | None = None) -> date:
    if day > (today or date.today()):
        raise JusticeLabError(f"{field}: {day:%d/%m/%Y} is in the future")
    return day


def open_case(db: Session, user: User, provider_id: str, reference: str, forename: str, surname: str,
              date_of_birth: date, sex: str, risk_band: str, reception_date: date,
              release_date: date | None = None, pnc_id: str | None = None, commit: bool = True) -> Case:
    """A new case; a caseworker can only open cases for their own provider."""
    scope = provider_scope(user)
    if scope is not None and provider_id != scope:
        raise NotVisible("a caseworker opens cases for their own provider only")
    if db.get(Organisation, provider_id or "") is None:
        raise JusticeLabError("provider: no such provider")
    for field, value in (("reference", reference), ("forename", forename), ("surname", surname)):
        if not (value or "").strip():
            raise JusticeLabError(f"{field}: required")
    if release_date is not None and release_date < reception_date:
        raise JusticeLabError("release_date: before the reception date")
    case = Case(id=new_id(), provider_id=provider_id, reference=reference.strip()[:40], forename=forename.strip()[:100],
                surname=surname.strip()[:100], date_of_birth=date_of_birth, sex=_choice((sex or "")[:1], ("m", "f"), "sex").upper(),
                pnc_id=(pnc_id or "").strip().upper()[:20] or None, risk_band=_choice(risk_band, RISK_BANDS, "risk_band"),
                reception_date=_not_future(reception_date, "reception_date"), release_date=release_date)
    db.add(case)  # its id is set here, so a bulk import needs no round trip per case
    _audit(db, user, case.id, "opened case")
    if commit:
        db.commit()
    return case


def record_assessment(db: Session, user: User, case: Case, kind: str, assessed_on: date, needs: list[str]) -> Assessment:
    unknown = [n for n in needs if n not in NEEDS]
    if unknown:
        raise JusticeLabError(f"needs: {', '.join(unknown)} not known")
    if assessed_on < case.reception_date:
        raise JusticeLabError("assessed_on: before the person arrived in prison")
    row = Assessment(case_id=case.id, kind=_choice(kind, ASSESSMENTS, "kind"),
                     assessed_on=_not_future(assessed_on, "assessed_on"), needs=sorted(set(needs)), recorded_by=user.id)
    return _add(db, user, case, row, f"recorded {row.kind} assessment")


def record_contact(db: Session, user: User, case: Case, contact_on: date, mode: str, minutes: int = 0,
                   commit: bool = True) -> Contact:
    mode = _choice(mode, CONTACT_MODES, "mode")
    if mode == "gate" and contact_on != case.release_date:
        raise JusticeLabError("mode: a contact at the gate is on the release day"
                              + ("" if case.release_date else " (record the release date first)"))
    if mode == "custody" and case.release_date is not None and contact_on >= case.release_date:
        raise JusticeLabError("contact_on: a contact in custody is before the release day")
    if not 0 <= minutes <= 24 * 60:
        raise JusticeLabError("minutes: between 0 and 1440")
    row = Contact(case_id=case.id, contact_on=_not_future(contact_on, "contact_on"), mode=mode, minutes=minutes,
                  recorded_by=user.id)
    return _add(db, user, case, row, f"recorded {mode} contact", commit)


def record_service(db: Session, user: User, case: Case, kind: str, need: str, agency: str, service_on: date) -> Service:
    if not (agency or "").strip():
        raise JusticeLabError("agency: required")
    row = Service(case_id=case.id, kind=_choice(kind, SERVICE_KINDS, "kind"), need=_choice(need, NEEDS, "need"),
                  agency=agency.strip()[:100], service_on=_not_future(service_on, "service_on"), recorded_by=user.id)
    return _add(db, user, case, row, f"recorded service {row.kind}")


def record_outcome(db: Session, user: User, case: Case, outcome: str, outcome_on: date) -> Outcome:
    row = Outcome(case_id=case.id, outcome=_choice(outcome, OUTCOMES, "outcome"),
                  outcome_on=_not_future(outcome_on, "outcome_on"), recorded_by=user.id)
    return _add(db, user, case, row, "recorded outcome")


def update_case(db: Session, user: User, case: Case, release_date: date | None = None, closed_on: date | None = None,
                completion: str | None = None, risk_band: str | None = None) -> Case:
    """Record the release date, review the risk band (it is reviewed as the work goes on), or close the
    case (completed, disengaged or transferred)."""
    if risk_band:
        case.risk_band = _choice(risk_band, RISK_BANDS, "risk_band")
    if release_date is not None:
        if release_date < case.reception_date:
            raise JusticeLabError("release_date: before the reception date")
        case.release_date = release_date
    if completion is not None:
        case.completion = _choice(completion, ("open", "completed", "disengaged", "transferred"), "completion")
        case.closed_on = None if case.completion == "open" else _not_future(closed_on or date.today(), "closed_on")
    _audit(db, user, case.id, "updated case")
    db.commit()
    return case


def _add(db: Session, user: User, case: Case, row, action: str, commit: bool = True):
    db.add(row)
    _audit(db, user, case.id, action)
    if commit:
        db.commit()
    return row


ENTRIES = {"assessment": Assessment, "contact": Contact, "service": Service, "outcome": Outcome}


def withdraw(db: Session, user: User, case: Case, kind: str, entry_id: int) -> None:
    """Remove an entry recorded in error; the audit keeps who withdrew what and when."""
    model = ENTRIES.get(kind)
    row = db.get(model, entry_id) if model else None
    if row is None or row.case_id != case.id:
        _audit(db, user, case.id, f"refused withdraw {kind}")
        db.commit()
        raise NotVisible("no such entry")
    db.delete(row)
    _audit(db, user, case.id, f"withdrew {kind} {entry_id}")
    db.commit()


def apply_retention(db: Session, today: date | None = None, keep_days: int = RETENTION_DAYS) -> int:
    """Erase names, date of birth and PNC id of cases closed more than `keep_days` ago. Returns how many."""
    cutoff = (today or date.today()) - timedelta(days=keep_days)
    due = db.scalars(select(Case).where(Case.closed_on.is_not(None), Case.closed_on < cutoff,
                                        Case.identifiers_erased.is_(False))).all()
    for case in due:
        case.forename = case.surname = case.pnc_id = None
        case.date_of_birth = None
        case.identifiers_erased = True
        _audit(db, None, case.id, "erased identifiers (retention)")
    db.commit()
    return len(due)


def caseload(db: Session, provider_id: str | None = None, identifiers: bool = False):
    """The caseload as frames for the measures (`measures.Caseload`); names and dates of birth only when
    `identifiers` (the Data Lab submission), never for dashboards."""
    import pandas as pd

    from .measures import Caseload

    names = dict(db.execute(select(Organisation.id, Organisation.name)).all())
    query = select(Case) if provider_id is None else select(Case).where(Case.provider_id == provider_id)
    rows = db.scalars(query.order_by(Case.reception_date, Case.reference)).all()
    keep = ["id", "reference", "provider_id", "sex", "risk_band", "reception_date", "release_date", "closed_on",
            "completion"] + (["forename", "surname", "date_of_birth", "pnc_id"] if identifiers else [])
    cases = pd.DataFrame([{k: getattr(c, k) for k in keep} for c in rows], columns=keep)
    cases["provider"] = cases["provider_id"].map(names)
    ids = set(cases["id"])

    def children(model, columns):
        found = db.scalars(select(model)).all()  # small tables: a programme's caseload is thousands of cases
        return pd.DataFrame([{k: getattr(r, k) for k in columns} for r in found if r.case_id in ids], columns=columns)

    return Caseload(cases=cases,
                    assessments=children(Assessment, ["case_id", "kind", "assessed_on", "needs"]),
                    contacts=children(Contact, ["case_id", "contact_on", "mode", "minutes"]),
                    services=children(Service, ["case_id", "kind", "need", "agency", "service_on"]))
