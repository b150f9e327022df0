"""Case management in the service: a caseworker records through the forms, the other provider gets 404 on
every case URL (read and write), analysts see aggregates only, bulk import reports row and column, the
director's dashboard and one-click submission."""
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from justicelab.casework import records
from justicelab.service.accounts import add_user
from justicelab.service.app import create_app
from justicelab.service.jobs import Settings
from justicelab.service.store import Audit
from tests.html_tables import table
from tests.service_client import sign_in
from tests.test_service import pg_cluster, store_url  # noqa: F401 (fixtures: SQLite, and PostgreSQL with -m postgres)

PASSWORD = "a long enough password"
USERS = {"p1": ("cw@one.test", "caseworker", "Provider One"), "p2": ("cw@two.test", "caseworker", "Provider Two"),
         "director": ("director@prog.test", "director", None), "analyst": ("analyst@lab.test", "analyst", None)}


@pytest.fixture()
def service(store_url, tmp_path):
    """The service on a SQLite store, and (with -m postgres) on a throwaway PostgreSQL database."""
    url = store_url
    app = create_app(url, Settings(database=tmp_path / "none.duckdb", data_dir=tmp_path / "data"))
    with app.state.factory() as s:
        for email, role, org in USERS.values():
            add_user(s, email, PASSWORD, role=role, organisation=org)
    return app


def client(app, who: str) -> TestClient:
    c = TestClient(app)
    assert sign_in(c, USERS[who][0], PASSWORD).status_code == 303
    return c


def csrf(c: TestClient, url: str = "/casework") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(url).text).group(1)


NEW_CASE = {"reference": "NB-001", "forename": "Dale", "surname": "Ashworth", "date_of_birth": "1991-04-02",
            "sex": "M", "pnc_id": "", "risk_band": "high", "reception_date": "2024-01-01", "release_date": "2024-01-20"}


def open_case(c: TestClient) -> str:
    r = c.post("/casework/cases", data={**NEW_CASE, "csrf": csrf(c)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def test_caseworker_records_and_the_other_provider_sees_nothing(service):
    p1 = client(service, "p1")
    assert "Provider One" not in p1.get("/").text or p1.get("/", follow_redirects=False).status_code == 303
    cid = open_case(p1)
    token = csrf(p1)
    posts = {"assessment": {"kind": "screening", "assessed_on": "02/01/2024", "needs": ["accommodation", "finance"]},
             "contact": {"contact_on": "2024-01-20", "mode": "gate", "minutes": "45"},
             "service": {"kind": "referred", "need": "accommodation", "agency": "Housing advice", "service_on": "2024-01-21"},
             "outcome": {"outcome": "accommodation secured", "outcome_on": "2024-01-30"},
             "update": {"release_date": "2024-01-20", "completion": "open", "risk_band": "medium"}}
    for what, data in posts.items():
        r = p1.post(f"/casework/cases/{cid}/{what}", data={**data, "csrf": token}, follow_redirects=False)
        assert r.status_code == 303, (what, r.text)
    page = p1.get(f"/casework/cases/{cid}").text
    assert "<dt>Risk band</dt><dd>medium</dd>" in page  # reviewed from high
    assert "Accommodation, Finance, benefit and debt" in page and "At the gate" in page and "Housing advice" in page
    # the other provider: every case URL, read or write, answers 404 as if the case did not exist
    p2 = client(service, "p2")
    token2 = csrf(p2)
    assert p2.get(f"/casework/cases/{cid}").status_code == 404
    for what, data in posts.items():
        assert p2.post(f"/casework/cases/{cid}/{what}", data={**data, "csrf": token2}).status_code == 404, what
    assert "NB-001" not in p2.get("/casework").text and "NB-001" in p1.get("/casework").text
    assert p2.get("/casework/cases/" + "0" * 32).status_code == 404  # guessed id: the same answer
    assert p2.get("/casework/cases/../../store.db").status_code == 404
    # a caseworker cannot open a case for another provider by naming it
    with service.state.factory() as s:
        one = s.scalar(select(records.Case)).provider_id
    r = p2.post("/casework/cases", data={**NEW_CASE, "reference": "X", "provider": one, "csrf": token2}, follow_redirects=False)
    assert r.status_code == 303
    with service.state.factory() as s:
        made = s.scalar(select(records.Case).where(records.Case.reference == "X"))
        assert made.provider_id != one  # opened for their own provider: the field is ignored for caseworkers
    # analysts: aggregates only; caseworkers: no dashboard, no export
    analyst = client(service, "analyst")
    assert analyst.get(f"/casework/cases/{cid}").status_code == 403
    assert analyst.get("/casework/dashboard").status_code == 200 and "Ashworth" not in analyst.get("/casework/dashboard").text
    assert analyst.get("/casework/submission.csv").status_code == 403
    assert p1.get("/casework/submission.csv").status_code == 403
    # a provider's own dashboard counts only its cases (feedback to providers)
    assert table(p2.get("/casework/dashboard?as_of=2024-03-31").text, "overall").loc[0, "cases"] == "1"  # case X
    assert table(p1.get("/casework/dashboard?as_of=2024-03-31").text, "overall").loc[0, "met at gate %"] == "100.0"
    assert "Check" not in p1.get("/casework/dashboard").text  # exports are the director's
    # an entry recorded in error is withdrawn, audited; another provider cannot withdraw it
    with service.state.factory() as s:
        contact = s.scalar(select(records.Contact)).id
    url = f"/casework/cases/{cid}/withdraw/contact/{contact}"
    assert p2.post(url, data={"csrf": token2}).status_code == 404
    assert p1.post(f"/casework/cases/{cid}/withdraw/contact/{contact + 1}", data={"csrf": token}).status_code == 404
    assert p1.post(url, data={"csrf": token}, follow_redirects=False).status_code == 303
    with service.state.factory() as s:
        assert s.scalars(select(records.Contact)).all() == []
        assert f"casework: withdrew contact {contact}" in [a.action for a in s.scalars(select(Audit)).all()]
    assert p1.post("/casework/pbr-check", data={"contract": "peterborough", "csrf": token}).status_code == 403
    assert TestClient(service).get(f"/casework/cases/{cid}", follow_redirects=False).status_code == 303
    # no CSRF token: refused, nothing written
    assert p1.post(f"/casework/cases/{cid}/contact", data=posts["contact"]).status_code == 403
    with service.state.factory() as s:
        actions = [a.action for a in s.scalars(select(Audit)).all()]
        assert s.scalars(select(records.Contact)).all() == []  # withdrawn above; the refused one never written
    assert actions.count("casework: refused viewed case") == 2 and actions.count("casework: refused record contact") == 1
    assert "casework: recorded gate contact" in actions


def test_form_errors_are_one_line_and_nothing_is_written(service):
    p1 = client(service, "p1")
    r = p1.post("/casework/cases", data={**NEW_CASE, "date_of_birth": "31/02/1990", "csrf": csrf(p1)})
    assert r.status_code == 400 and "date_of_birth" in r.text and "is not a real date" in r.text
    assert 'value="Ashworth"' in r.text and 'value="31/02/1990"' in r.text  # what was typed is kept
    cid = open_case(p1)
    for field, value in (("sex", ""), ("risk_band", "severe"), ("reception_date", "")):
        r = p1.post("/casework/cases", data={**NEW_CASE, field: value, "csrf": csrf(p1)})
        assert r.status_code == 400 and field in r.text, field
    director = client(service, "director")
    r = director.post("/casework/cases", data={**NEW_CASE, "provider": "f" * 32, "csrf": csrf(director)})
    assert r.status_code == 400 and "no such provider" in r.text
    r = director.post("/casework/pbr-check", data={"contract": "peterborough", "csrf": csrf(director)})
    assert r.status_code == 409 and "no reoffending database" in r.text
    for url, data in (("/casework/pbr-check", {"contract": "peter\x00borough"}),
                      ("/casework/cases", {**NEW_CASE, "surname": "Ash\x00worth"})):
        r = director.post(url, data={**data, "csrf": csrf(director)})
        assert r.status_code == 400 and "NUL character" in r.text, url
    r = p1.post(f"/casework/cases/{cid}/contact", data={"contact_on": "2024-01-21", "mode": "gate", "csrf": csrf(p1)})
    assert r.status_code == 400 and "at the gate is on the release day" in r.text
    r = p1.post(f"/casework/cases/{cid}/contact", data={"contact_on": "2024-01-21", "mode": "community", "minutes": "ten",
                                                        "csrf": csrf(p1)})
    assert r.status_code == 400 and "minutes" in r.text
    r = p1.post(f"/casework/cases/{cid}/assessment", data={"kind": "full", "assessed_on": "2024-01-05",
                                                           "needs": ["<script>"], "csrf": csrf(p1)})
    assert r.status_code == 400 and "<script>" not in r.text
    with service.state.factory() as s:
        assert s.scalars(select(records.Contact)).all() == [] and s.scalars(select(records.Assessment)).all() == []


def test_bulk_import_reports_rows_and_columns(service, tmp_path):
    p1 = client(service, "p1")
    good = ("reference,forename,surname,date_of_birth,sex,risk_band,reception_date,release_date\n"
            "A1,Ann,Smith,01/02/1990,Male,low,2024-01-01,2024-02-01\n"
            "A2,Bob,Jones,1985-07-09,M,medium,02/01/2024,\n")
    bad = good.replace("01/02/1990", "31/02/1990").replace("M,medium", "X,severe") + "A1,Cy,Doe,1980-01-01,F,low,2024-01-01,\n"

    def upload(text: str):
        return p1.post("/casework/import", data={"csrf": csrf(p1)}, files={"file": ("cases.csv", text.encode(), "text/csv")})
    r = upload(bad)
    assert r.status_code == 400
    rows = table(r.text, "problems")
    got = set(zip(rows["Row"].astype(int), rows["Column"]))
    assert got == {(2, "date_of_birth"), (3, "sex"), (3, "risk_band"), (4, "reference")}, got
    with service.state.factory() as s:
        assert s.scalars(select(records.Case)).all() == []  # nothing written
    r = upload(good)
    assert r.status_code == 200 and "2 cases imported" in r.text
    many = good.splitlines()[0] + "\n" + "".join(f"M{k},Ann,Smith,01/02/1990,Male,low,2024-01-01,\n" for k in range(3000))
    assert len(many) > 100_000  # over the cap on ordinary forms: an import is an upload, checked as one
    assert upload(many).status_code == 200
    r = TestClient(service).post("/casework/import", files={"file": ("cases.csv", good.encode(), "text/csv")})
    assert r.status_code == 401  # refused before the body is read
    assert upload("reference,forename\nA9,X\n").status_code == 400  # missing columns, named
    assert "required column missing" in upload("reference,forename\nA9,X\n").text
    contacts = ("reference,contact_on,mode,minutes\nA1,2024-01-05,custody,30\nA1,2024-02-01,gate,\n"
                "A1,2024-02-02,gate,\nZZ,2024-01-05,visit,ten\n")

    def upload_contacts(text: str):
        return p1.post("/casework/import", data={"csrf": csrf(p1), "kind": "contacts"},
                       files={"file": ("contacts.csv", text.encode(), "text/csv")})
    rows = table(upload_contacts(contacts).text, "problems")
    assert set(zip(rows["Row"].astype(int), rows["Column"])) == {(5, "reference"), (5, "mode"), (5, "minutes")}
    r = upload_contacts(contacts.rsplit("ZZ", 1)[0])  # the record's own rule: A1 was released on 1 February
    assert r.status_code == 400 and table(r.text, "problems").values.tolist() == [
        ["4", "mode", "gate", "a contact at the gate is on the release day"]]
    r = upload_contacts(contacts.split("A1,2024-02-02")[0])
    assert r.status_code == 200 and "2 contacts imported" in r.text
    with service.state.factory() as s:
        assert sorted(c.mode for c in s.scalars(select(records.Contact)).all()) == ["custody", "gate"]
    p2 = client(service, "p2")  # another provider's reference is not theirs to add to
    r = p2.post("/casework/import", data={"csrf": csrf(p2), "kind": "contacts"},
                files={"file": ("c.csv", b"reference,contact_on,mode\nA1,2024-01-06,custody\n", "text/csv")})
    assert r.status_code == 400 and "no case with this reference" in r.text
    director = client(service, "director")
    r = director.post("/casework/import", data={"csrf": csrf(director)},
                      files={"file": ("c.csv", good.replace("A1", "B1").replace("A2", "B2").encode(), "text/csv")})
    assert r.status_code == 400 and "provider" in r.text  # the director names each row's provider


def test_director_sees_the_dashboard_change_and_exports(service):
    p1 = client(service, "p1")
    cid = open_case(p1)
    director = client(service, "director")
    before = table(director.get("/casework/dashboard?as_of=2024-03-31").text, "overall")
    assert before.loc[0, "met at gate %"] == "0.0"
    p1.post(f"/casework/cases/{cid}/contact", data={"contact_on": "2024-01-20", "mode": "gate", "csrf": csrf(p1)})
    p1.post(f"/casework/cases/{cid}/assessment", data={"kind": "screening", "assessed_on": "2024-01-02",
                                                       "needs": ["accommodation"], "csrf": csrf(p1)})
    page = director.get("/casework/dashboard?as_of=2024-03-31").text
    after = table(page, "overall")
    assert after.loc[0, "met at gate %"] == "100.0"
    timely = table(page, "timeliness").set_index("assessment")
    assert timely.loc["screening", "on time"] == "1" and timely.loc["full", "missing"] == "1"
    r = director.get("/casework/dashboard?as_of=31/02/2024")
    assert r.status_code == 400 and "is not a real date" in r.text
    r = director.get("/casework/submission.csv")
    assert r.status_code == 200 and "Ashworth" in r.text and "engaged_one_month" in r.text.splitlines()[0]


def test_one_click_cohort_check(tmp_path):
    """The director's button runs the register of the bundled Peterborough contract on the service's database."""
    from justicelab.data.db import write_database
    from tests.test_casework import COHORT_CASES, cohort_fixture

    db = tmp_path / "national.duckdb"
    write_database(db, cohort_fixture()[1])
    app = create_app(f"sqlite:///{tmp_path / 'store.db'}", Settings(database=db, data_dir=tmp_path / "data"))
    with app.state.factory() as s:
        add_user(s, "director@prog.test", PASSWORD, role="director")
        cw = add_user(s, "cw@one.test", PASSWORD, role="caseworker", organisation="Provider One")
        for ref, pnc, surname, rel in COHORT_CASES:
            records.open_case(s, cw, cw.organisation_id, ref, "X", surname, date(1980, 6, 15), "M", "low",
                              date(2014, 1, 1), date.fromisoformat(rel), pnc)
    c = client(app, "director")
    r = c.post("/casework/pbr-check", data={"contract": "peterborough", "csrf": csrf(c, "/casework/dashboard")})
    assert r.status_code == 200, r.text
    check = table(r.text, "check").set_index("Case")
    assert check.loc["C1", "Where they stand"] == "in cohort 1"
    assert table(r.text, "cohorts").values.tolist() == [["1", "3", "2", "1"]]
    assert c.post("/casework/pbr-check", data={"contract": "../../etc/passwd", "csrf": csrf(c, "/casework/dashboard")}).status_code == 400
