"""Engagement, timeliness and needs-against-services measures on a caseload (seed 004).

Rules (each tested on a hand-worked caseload in tests/test_casework.py):
* contact in custody: any contact before the release day;
* met at the gate: a contact "at the gate" on the release day;
* engaged for one month: Social Finance's rule (seed 004, footnote 46): the month after release (the 30
  days from the release day, day 0) is cut into two halves, days 0-14 and 15-29, and the person had at
  least one contact in each. A person released fewer than 30 days before the as-of date is "too early"
  and left out of the rate; so is one not yet released;
* intensity: contacts per person in each 4-week period from release (period 0: days 0-27), counting only
  people for whom the whole period has passed; contacts before release form the "custody" column;
* assessments on time: the first screening within 2 days of reception (48 hours, recorded by day) and the
  first full assessment within 7 days; with none yet, "due" while the window is open, else "missing";
* needs against services: a need is any need recorded in any assessment; a gap is a need with no service
  received for it (a referral alone does not close a gap).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

HALF = 15  # days in each half of the month after release
PERIOD_DAYS = 28
WINDOWS = {"screening": 2, "full": 7}


@dataclass
class Caseload:
    """The caseload as frames: cases (id, provider, risk_band, reception_date, release_date, ...), assessments
    (case_id, kind, assessed_on, needs: list), contacts (case_id, contact_on, mode), services (case_id, kind,
    need, agency, service_on)."""
    cases: pd.DataFrame
    assessments: pd.DataFrame
    contacts: pd.DataFrame
    services: pd.DataFrame


def as_of_cut(load: Caseload, as_of: date) -> Caseload:
    """The caseload as it stood on `as_of`: later cases, assessments, contacts and services vanish, and a
    release after that day has not happened yet."""
    day = pd.Timestamp(as_of)
    cases = load.cases[pd.to_datetime(load.cases["reception_date"]) <= day].copy()
    cases["release_date"] = cases["release_date"].where(pd.to_datetime(cases["release_date"]) <= day, None)
    keep = lambda frame, col: frame[(pd.to_datetime(frame[col]) <= day) & frame["case_id"].isin(cases["id"])]  # noqa: E731
    return Caseload(cases, keep(load.assessments, "assessed_on"), keep(load.contacts, "contact_on"),
                    keep(load.services, "service_on"))


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (pd.to_datetime(later) - pd.to_datetime(earlier)).dt.days


def per_case(load: Caseload, as_of: date) -> pd.DataFrame:
    """One row per case: the engagement flags, contact counts and assessment timeliness, as of a day."""
    load = as_of_cut(load, as_of)
    cases = load.cases.set_index("id")
    out = cases[["provider", "risk_band", "reception_date", "release_date"]].copy()
    c = load.contacts.merge(load.cases[["id", "release_date"]], left_on="case_id", right_on="id")
    c["day"] = _days(c["contact_on"], c["release_date"])
    released = out["release_date"].notna() & (pd.to_datetime(out["release_date"]) <= pd.Timestamp(as_of))
    before = c["release_date"].isna() | (c["day"] < 0)
    count = lambda mask: c[mask].groupby("case_id").size().reindex(out.index, fill_value=0)  # noqa: E731
    out["contacts"] = count(pd.Series(True, index=c.index))
    out["custody_contacts"] = count(before)
    out["contact_in_custody"] = out["custody_contacts"] > 0
    out["met_at_gate"] = count((c["mode"] == "gate") & (c["day"] == 0)) > 0
    first_half = count((c["day"] >= 0) & (c["day"] < HALF)) > 0
    second_half = count((c["day"] >= HALF) & (c["day"] < 2 * HALF)) > 0
    observable = released & (_days(pd.Series(pd.Timestamp(as_of), index=out.index), out["release_date"]) >= 2 * HALF)
    out["engaged_month"] = (first_half & second_half).where(observable).astype("boolean")
    out["released"] = released
    for kind, window in WINDOWS.items():
        a = load.assessments[load.assessments["kind"] == kind].groupby("case_id")["assessed_on"].min()
        first = pd.to_datetime(a.reindex(out.index))
        waited = (first - pd.to_datetime(out["reception_date"])).dt.days
        open_window = (pd.Timestamp(as_of) - pd.to_datetime(out["reception_date"])).dt.days <= window
        out[f"{kind}_status"] = "missing"
        out.loc[first.isna() & open_window, f"{kind}_status"] = "due"
        out.loc[first.notna(), f"{kind}_status"] = "late"
        out.loc[first.notna() & (waited <= window), f"{kind}_status"] = "on time"
    return out


def case_needs(load: Caseload) -> pd.DataFrame:
    """(case_id, need): every need recorded for a case in any assessment, once."""
    a = load.assessments[["case_id", "needs"]].explode("needs").dropna()
    return a.rename(columns={"needs": "need"}).drop_duplicates().reset_index(drop=True)


def _share(flags: pd.Series) -> float | None:
    known = flags.dropna()
    return None if known.empty else round(100 * float(known.astype(bool).mean()), 1)


def engagement_by(cases: pd.DataFrame, by: str) -> pd.DataFrame:
    """Engagement by provider, risk band or need (`cases` carries the column `by`; a case with several
    needs counts under each): the cherry-picking and parking view."""
    rows = []
    for key, g in cases.groupby(by, sort=True):
        released = g[g["released"]]
        rows.append({by: key, "cases": len(g), "released": len(released),
                     "contact_in_custody_pct": _share(g["contact_in_custody"]),
                     "met_at_gate_pct": _share(released["met_at_gate"]),
                     "engaged_month_known": int(g["engaged_month"].notna().sum()),
                     "engaged_month_pct": _share(g["engaged_month"]),
                     "contacts_per_case": round(float(g["contacts"].mean()), 2)})
    return pd.DataFrame(rows, columns=[by, "cases", "released", "contact_in_custody_pct", "met_at_gate_pct",
                                       "engaged_month_known", "engaged_month_pct", "contacts_per_case"])


def needs_against_services(load: Caseload) -> pd.DataFrame:
    from .records import NEEDS

    needs = case_needs(load)
    s = load.services
    rows = []
    for code, label in NEEDS.items():
        with_need = set(needs.loc[needs["need"] == code, "case_id"])
        referred = set(s.loc[(s["need"] == code) & (s["kind"] == "referred"), "case_id"]) & with_need
        received = set(s.loc[(s["need"] == code) & (s["kind"] == "received"), "case_id"]) & with_need
        rows.append({"need": code, "label": label, "with_need": len(with_need), "referred": len(referred),
                     "received": len(received), "gap": len(with_need - received),
                     "gap_pct": round(100 * len(with_need - received) / len(with_need), 1) if with_need else None})
    return pd.DataFrame(rows)


def intensity(load: Caseload, as_of: date, periods: int = 6) -> pd.DataFrame:
    """Contacts per person before release and in each 4-week period after it, over the people for whom
    that period is complete (a recent release is not counted as a zero)."""
    load = as_of_cut(load, as_of)
    flags = per_case(load, as_of)
    c = load.contacts.merge(load.cases[["id", "release_date"]], left_on="case_id", right_on="id")
    c = c[c["release_date"].notna()]
    c["period"] = _days(c["contact_on"], c["release_date"]) // PERIOD_DAYS
    since = (pd.Timestamp(as_of) - pd.to_datetime(flags["release_date"])).dt.days
    released = flags[flags["released"]]
    rows = [{"period": "custody", "people": len(released),
             "contacts_per_person": round(float(released["custody_contacts"].mean()), 2) if len(released) else None}]
    for k in range(periods):
        people = since[flags["released"] & (since >= (k + 1) * PERIOD_DAYS)].index
        n = int(c[(c["period"] == k) & c["case_id"].isin(people)].shape[0])
        rows.append({"period": f"weeks {4 * k + 1}-{4 * k + 4}", "people": len(people),
                     "contacts_per_person": round(n / len(people), 2) if len(people) else None})
    return pd.DataFrame(rows)


def timeliness(flags: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for kind in WINDOWS:
        counts = flags[f"{kind}_status"].value_counts()
        decided = int(counts.get("on time", 0) + counts.get("late", 0) + counts.get("missing", 0))
        rows.append({"assessment": kind, "window_days": WINDOWS[kind],
                     **{s.replace(" ", "_"): int(counts.get(s, 0)) for s in ("on time", "late", "missing", "due")},
                     "on_time_pct": round(100 * counts.get("on time", 0) / decided, 1) if decided else None})
    return pd.DataFrame(rows)


def dashboard(load: Caseload, as_of: date) -> dict[str, pd.DataFrame]:
    """Every table of the director's dashboard."""
    load = as_of_cut(load, as_of)
    flags = per_case(load, as_of)
    by_need = flags.join(case_needs(load).set_index("case_id"), how="inner")
    overall = flags.assign(all="all cases")
    return {"overall": engagement_by(overall, "all"),
            "needs": needs_against_services(load),
            "by_provider": engagement_by(flags, "provider"),
            "by_risk_band": engagement_by(flags, "risk_band"),
            "by_need": engagement_by(by_need, "need"),
            "timeliness": timeliness(flags),
            "intensity": intensity(load, as_of)}
