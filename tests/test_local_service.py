"""Local statistics in the web service: signed-in only, the CLI's published figures, bad queries as 400s."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from justicelab.service.accounts import add_user, issue
from justicelab.service.app import create_app
from justicelab.service.jobs import Settings
from tests.fixtures import synthetic_db
from tests.service_client import sign_in

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    db = synthetic_db(tmp_path_factory, 20_000, 17)
    folder = tmp_path_factory.mktemp("svc")
    app = create_app(f"sqlite:///{folder / 'store.db'}", Settings(database=db, data_dir=folder / "data"))
    with app.state.factory() as s:
        user = add_user(s, "partner@org.test", PASSWORD, organisation="Borough")
        token = issue(s, user, "api")[0]
    return app, token, folder


def test_local_pages_need_sign_in_and_show_published_figures(service):
    app, token, folder = service
    anonymous = TestClient(app)
    assert anonymous.get("/local", follow_redirects=False).status_code == 303
    assert anonymous.get("/api/local").status_code == 401
    api = anonymous.get("/api/local?by=police_force_area", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    rows = api.json()["areas"]
    assert rows[-1]["police_force_area"] == "England and Wales"
    assert all(r["offenders"] == "[c]" or r["offenders"] % 5 == 0 for r in rows)
    assert "prediction" not in api.json()
    assert len(list((folder / "data" / "local").glob("*.json"))) == 1  # computed once, then cached
    again = anonymous.get("/api/local?by=police_force_area", headers={"Authorization": f"Bearer {token}"})
    assert again.json() == api.json()
    browser = TestClient(app)
    assert sign_in(browser, "partner@org.test", PASSWORD).status_code == 303
    page = browser.get("/local?by=probation_region&area=local_authority=Southwark")
    assert page.status_code == 200 and "Southwark" in page.text and "England and Wales" in page.text
    bad = browser.get("/local?by=borough")
    assert bad.status_code == 400 and "each level must be one of" in bad.text
    assert browser.get("/local?area=Southwark").status_code == 400
