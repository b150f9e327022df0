"""Playwright in Debian's Chromium (marker `browser`): an organisation's user follows "Local areas" from the
navigation, asks for predicted against actual for an uploaded cohort, waits for the worker, reads the result
inside the layout (screenshot: test-artefacts/local-evaluation.png) and downloads its results JSON; another organisation's user gets "no such local evaluation"."""
import json
from pathlib import Path

import pytest

from justicelab.engine import DuckDBEngine
from justicelab.local.stats import build_area_cohort
from justicelab.service.accounts import add_user
from justicelab.service.app import create_app
from justicelab.service.jobs import Settings, work
from tests.fixtures import chromium_path, d, synthetic_db
from tests.service_client import browser_sign_in, launch_chromium
from tests.test_service import live_server

PASSWORD = "a long enough password"


@pytest.mark.browser
def test_local_evaluation_journey(tmp_path_factory, tmp_path):
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    db = synthetic_db(tmp_path_factory, 30_000, 5)
    with DuckDBEngine(db, read_only=True) as e:
        build_area_cohort(e, d("2019-01-01"), d("2019-12-31"))
        ids = e.query("SELECT person_id FROM area_measures ORDER BY person_id")["person_id"].sample(200, random_state=2)
    cohort = tmp_path / "cohort.csv"
    ids.to_frame().to_csv(cohort, index=False)
    settings = Settings(database=db, data_dir=tmp_path / "data")
    app = create_app(f"sqlite:///{tmp_path / 'store.db'}", settings)
    with app.state.factory() as s:
        add_user(s, "a@org.test", PASSWORD, organisation="Org A")
        add_user(s, "b@org.test", PASSWORD, organisation="Org B")
    with live_server(app) as base, sync_playwright() as pw:
        browser = launch_chromium(pw, chromium)
        a = browser_sign_in(browser, base, "a@org.test", PASSWORD)
        a.click("text=Local areas")
        a.click("text=Local evaluations")
        a.select_option("#kind", "predicted")
        a.fill("#title", "Pathways 2019")
        a.fill("#from", "2019-01-01")
        a.fill("#to", "2019-12-31")
        a.set_input_files("#file", str(cohort))
        with a.expect_navigation():
            a.click("#request")
        assert a.inner_text("#status") == "queued"
        work(app.state.factory, settings, once=True)
        a.reload()
        assert a.inner_text("#status") == "done"
        text = a.inner_text("#report")
        assert "not distinguishable from predicted" in text and "regression to the mean" in text
        art = Path(__file__).resolve().parent.parent / "test-artefacts"
        art.mkdir(exist_ok=True)
        a.screenshot(path=str(art / "local-evaluation.png"), full_page=True)
        link = a.get_attribute("#downloads a >> nth=0", "href")
        results = json.loads(a.request.get(base + link).body())
        assert results["prediction"]["people_supplied"] == 200
        b = browser_sign_in(browser, base, "b@org.test", PASSWORD)
        b.goto(a.url)
        assert "no such local evaluation" in b.content()
        browser.close()
