"""A believable synthetic caseload for a through-the-gate programme (seed 004, Cohort 2 figures).

Planted rates (each recovered by the measures in tests/test_casework_synth.py):
screening done for 86% (85% of them within 48 hours), a full assessment for 73% (80% within a week);
needs as reported in Table 4.2 (Cohort 2); a contact in custody for 80%; met at the gate 86%;
engaged for the month after release 60% (low risk), 50% (medium), 40% (high): the "parking" of harder
cases the dashboard is meant to show; each need referred 70% of the time, and a referral turns into a
service received 60% of the time. With a reoffending database the people are real releases (in the
synthetic sense) from the contract's prison, so the caseload links and checks against the register.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .measures import Caseload

NEED_PREVALENCE = {"accommodation": 0.61, "finance": 0.53, "ete": 0.47, "addiction": 0.37, "health": 0.34,
                   "family": 0.31, "legal": 0.21, "activity": 0.17, "attitudes": 0.10, "immigration": 0.04, "it": 0.01}
RATES = {"screening": 0.86, "screening_on_time": 0.85, "full": 0.73, "full_on_time": 0.80, "custody_contact": 0.80,
         "gate": 0.86, "referred": 0.70, "received_if_referred": 0.60}
ENGAGED = {"low": 0.60, "medium": 0.50, "high": 0.40}
RISK_MIX = {"low": 0.3, "medium": 0.4, "high": 0.3}
PROVIDERS = ("Gatehouse Caseworkers", "Open Door Mentors", "Riverside Housing Link")
AGENCIES = {"accommodation": "Housing advice", "finance": "Benefits and debt clinic", "ete": "Training provider",
            "addiction": "Drug and alcohol service", "health": "Mental health team", "family": "Family support",
            "legal": "Legal advice", "activity": "Community activities", "attitudes": "Thinking skills course",
            "immigration": "Immigration advice", "it": "Digital skills"}


@dataclass
class SyntheticCaseload:
    load: Caseload  # cases carry identifiers (forename, surname, date_of_birth, pnc_id) and provider names
    outcomes: pd.DataFrame
    truth: pd.DataFrame  # per case: the planted engagement (for tests)
    as_of: date


def _people(r: np.random.Generator, size: int, start: date, db_path=None, prison: str = "HMP Nenebridge") -> pd.DataFrame:
    """Who the programme meets: releases from the prison (with a database), else invented people."""
    if db_path is not None:
        import duckdb

        from ..measures.cohort import age_in_years
        from ..measures.rules import BREACH_GROUP

        con = duckdb.connect(str(db_path), read_only=True)
        try:
            frame = con.execute(f"""
                SELECT p.forename, p.surname, p.date_of_birth, p.pnc_id, d.disposal_date AS reception_date,
                       d.release_date FROM disposal d JOIN person p USING (person_id)
                WHERE d.prison = ? AND d.disposal_type = 'custody' AND d.custodial_months < 12 AND p.gender = 'M'
                  AND d.release_date >= ? AND NOT coalesce(d.released_from_court, FALSE)
                  AND d.index_offence_group <> '{BREACH_GROUP}' AND {age_in_years('p.date_of_birth', 'd.disposal_date')} >= 18
                ORDER BY d.release_date, d.disposal_id LIMIT ?""", [prison, start, size]).df()
        finally:
            con.close()
        frame["sex"] = "M"
        for col in ("date_of_birth", "reception_date", "release_date"):
            frame[col] = pd.to_datetime(frame[col]).dt.date
        return frame
    from ..data.synth.reference import word_list

    forenames, surnames = word_list("forenames_male"), word_list("surnames")
    reception = [start + timedelta(days=int(d)) for d in r.integers(0, 365, size)]
    return pd.DataFrame({
        "forename": r.choice(forenames, size), "surname": r.choice(surnames, size),
        "date_of_birth": [date(1960, 1, 1) + timedelta(days=int(d)) for d in r.integers(0, 365 * 40, size)],
        "pnc_id": None, "sex": "M", "reception_date": reception,
        "release_date": [d + timedelta(days=int(k)) for d, k in zip(reception, r.integers(7, 180, size))]})


def make_caseload(size: int = 1000, seed: int = 1, start: date = date(2016, 1, 1), db_path=None,
                  as_of: date | None = None) -> SyntheticCaseload:
    """`size` cases (fewer if the database has fewer releases), the same for the same seed."""
    r = np.random.default_rng(seed)
    people = _people(r, size, start, db_path)
    n = len(people)
    as_of = as_of or (max(people["release_date"]) + timedelta(days=200) if n else start)
    ids = [f"{int(a):016x}{int(b):016x}" for a, b in zip(r.integers(0, 2**63, n), r.integers(0, 2**63, n))]
    bands = r.choice(list(RISK_MIX), n, p=list(RISK_MIX.values()))
    cases = people.assign(id=ids, reference=[f"SYN-{k + 1:05d}" for k in range(n)], risk_band=bands,
                          provider=r.choice(PROVIDERS, n))
    assessments, contacts, services, outcomes, truth = [], [], [], [], []
    for k, case in enumerate(cases.itertuples()):
        rec, rel = case.reception_date, case.release_date
        stay = (rel - rec).days
        needs = [code for code, p in NEED_PREVALENCE.items() if r.random() < p]
        first_service = len(services)
        if r.random() < RATES["screening"]:
            on = rec + timedelta(days=int(r.integers(0, 3) if r.random() < RATES["screening_on_time"] else r.integers(3, 11)))
            assessments.append({"case_id": case.id, "kind": "screening", "assessed_on": on, "needs": needs})
            if r.random() < RATES["full"] / RATES["screening"]:
                full_on = rec + timedelta(days=int(r.integers(3, 8) if r.random() < RATES["full_on_time"] else r.integers(8, 21)))
                assessments.append({"case_id": case.id, "kind": "full", "assessed_on": full_on, "needs": needs})
            for need in needs:
                if r.random() < RATES["referred"]:
                    day = on + timedelta(days=int(r.integers(1, 10)))
                    services.append({"case_id": case.id, "kind": "referred", "need": need, "agency": AGENCIES[need], "service_on": day})
                    if r.random() < RATES["received_if_referred"]:
                        services.append({"case_id": case.id, "kind": "received", "need": need, "agency": AGENCIES[need],
                                         "service_on": day + timedelta(days=int(r.integers(3, 40)))})
        if stay >= 2 and r.random() < RATES["custody_contact"]:
            for day in sorted(set(r.integers(1, stay, int(r.integers(1, 4))).tolist())):
                contacts.append({"case_id": case.id, "contact_on": rec + timedelta(days=day), "mode": "custody"})
        gate = bool(r.random() < RATES["gate"])
        engaged = bool(r.random() < ENGAGED[case.risk_band])
        after = [0] if gate else []
        if engaged:  # a contact in each half of the month after release, then fading weekly contact
            after += [int(r.integers(1, 15)), int(r.integers(15, 30))]
            after += [7 * w + int(r.integers(0, 7)) for w in range(5, 27) if r.random() < 0.6 * 0.93 ** w]
        elif not gate and r.random() < 0.5:  # one early contact, then nothing
            after.append(int(r.integers(1, 15)))
        for day in sorted(set(after)):
            contacts.append({"case_id": case.id, "contact_on": rel + timedelta(days=day),
                             "mode": "gate" if day == 0 else ("community" if r.random() < 0.7 else "phone")})
        got = [s for s in services[first_service:] if s["kind"] == "received" and s["need"] == "accommodation"]
        if got:
            outcomes.append({"case_id": case.id, "outcome": "accommodation secured", "outcome_on": got[0]["service_on"]})
        truth.append({"id": case.id, "planted_engaged": engaged, "planted_gate": gate})
    cases["closed_on"] = [rel + timedelta(days=180) if (as_of - rel).days > 180 else None for rel in cases["release_date"]]
    cases["completion"] = ["open" if c is None else ("completed" if t["planted_engaged"] else "disengaged")
                           for c, t in zip(cases["closed_on"], truth)]
    contacts_frame = pd.DataFrame(contacts, columns=["case_id", "contact_on", "mode"])
    contacts_frame["minutes"] = r.integers(10, 90, len(contacts_frame))
    frames = Caseload(cases=cases, assessments=pd.DataFrame(assessments, columns=["case_id", "kind", "assessed_on", "needs"]),
                      contacts=contacts_frame,
                      services=pd.DataFrame(services, columns=["case_id", "kind", "need", "agency", "service_on"]))
    return SyntheticCaseload(frames, pd.DataFrame(outcomes, columns=["case_id", "outcome", "outcome_on"]),
                             pd.DataFrame(truth).set_index("id"), as_of)


def load_into_store(db, synthetic: SyntheticCaseload, recorder) -> int:
    """Write a synthetic caseload into the service store (providers created as organisations); recorded by
    `recorder` (a user), audited as one entry. Returns the number of cases."""
    from ..service.accounts import add_organisation
    from .records import Assessment, Case, Contact, Outcome, Service, _audit

    load = synthetic.load
    provider_ids = {name: add_organisation(db, name).id for name in sorted(set(load.cases["provider"]))}
    keep = ["id", "reference", "forename", "surname", "date_of_birth", "sex", "pnc_id", "risk_band", "reception_date",
            "release_date", "closed_on", "completion"]
    db.add_all(Case(provider_id=provider_ids[row["provider"]], **{k: row[k] for k in keep})
               for row in load.cases.to_dict("records"))
    db.flush()  # the cases exist before their records refer to them
    for model, frame in ((Assessment, load.assessments), (Contact, load.contacts), (Service, load.services),
                         (Outcome, synthetic.outcomes)):
        db.add_all(model(recorded_by=recorder.id, **{k: (int(v) if k == "minutes" else v) for k, v in row.items()})
                   for row in frame.to_dict("records"))
    _audit(db, recorder, None, f"loaded a synthetic caseload of {len(load.cases)}")
    db.commit()
    return len(load.cases)
