"""Playwright in Debian's Chromium (marker `browser`): a caseworker on a phone-sized screen opens a case,
records a screening assessment and contacts (the last one submitted from the keyboard); the director's
dashboard changes; the other provider's caseworker gets "no such case". Screenshots: test-artefacts/."""
from pathlib import Path

import pytest

from justicelab.service.accounts import add_user
from justicelab.service.app import create_app
from justicelab.service.jobs import Settings
from tests.fixtures import chromium_path
from tests.html_tables import table
from tests.service_client import browser_sign_in, launch_chromium
from tests.test_service import live_server

PASSWORD = "a long enough password"
PHONE = {"width": 390, "height": 844}


@pytest.mark.browser
def test_casework_journey(tmp_path):
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    app = create_app(f"sqlite:///{tmp_path / 'store.db'}", Settings(database=tmp_path / "none.duckdb",
                                                                       data_dir=tmp_path / "data"))
    with app.state.factory() as s:
        add_user(s, "cw@one.test", PASSWORD, role="caseworker", organisation="Provider One")
        add_user(s, "cw@two.test", PASSWORD, role="caseworker", organisation="Provider Two")
        add_user(s, "director@prog.test", PASSWORD, role="director")
    art = Path(__file__).resolve().parent.parent / "test-artefacts"
    art.mkdir(exist_ok=True)
    with live_server(app) as base, sync_playwright() as pw:
        browser = launch_chromium(pw, chromium)

        def sign_in(email, viewport=None):
            return browser_sign_in(browser, base, email, PASSWORD, viewport=viewport)

        def overall(page):
            page.goto(f"{base}/casework/dashboard?as_of=2024-03-31")
            return table(page.content(), "overall").iloc[0]

        cw = sign_in("cw@one.test", PHONE)
        assert cw.url.endswith("/casework")
        for field, value in {"#reference": "NB-042", "#forename": "Dale", "#surname": "Ashworth",
                             "#date_of_birth": "1991-04-02", "#reception_date": "2024-01-01",
                             "#release_date": "2024-01-20"}.items():
            cw.fill(field, value)
        cw.check("input[name=sex][value=M]")
        cw.select_option("#risk_band", "high")
        cw.click("#open-case")
        assert "Case NB-042" in cw.inner_text("h1")
        case_url = cw.url
        # a phone-width page scrolls only vertically: forms and lists fit the screen
        assert cw.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        director = sign_in("director@prog.test")
        before = overall(director)
        assert (before["cases"], before["met at gate %"], before["contact in custody %"]) == ("1", "0.0", "0.0")

        cw.select_option("#kind", "screening")
        cw.fill("#assessed_on", "2024-01-02")
        cw.check("#need-accommodation")
        cw.check("#need-finance")
        cw.click("#save-assessment")
        assert "Accommodation, Finance, benefit and debt" in cw.inner_text("#assessments")
        for day, mode in (("2024-01-05", "custody"), ("2024-01-20", "gate")):
            cw.fill("#contact_on", day)
            cw.select_option("#mode", mode)
            cw.focus("#minutes")  # the last field, then Enter: the form is sent from the keyboard
            cw.keyboard.type("30")
            with cw.expect_navigation():  # wait for the form's answer, not the page already loaded
                cw.keyboard.press("Enter")
        assert "At the gate" in cw.inner_text("#contacts") and "In custody" in cw.inner_text("#contacts")
        cw.screenshot(path=str(art / "casework_1_case_phone.png"), full_page=True)

        after = overall(director)
        assert (after["met at gate %"], after["contact in custody %"], after["contacts per case"]) == ("100.0", "100.0", "2.0")
        timely = table(director.content(), "timeliness").set_index("assessment")
        assert timely.loc["screening", "on time"] == "1"
        gaps = table(director.content(), "needs").set_index("need")
        assert gaps.loc["accommodation", "gap"] == "1"
        director.screenshot(path=str(art / "casework_2_dashboard.png"), full_page=True)

        other = sign_in("cw@two.test", PHONE)
        assert "NB-042" not in other.inner_text("main")
        response = other.goto(case_url)
        assert response.status == 404 and "no such case" in other.content()
        assert "Ashworth" not in other.content()
        other.screenshot(path=str(art / "casework_3_other_provider.png"), full_page=True)
        browser.close()
