"""Signing in to the web service from tests: the login form carries a CSRF token from GET /login
(TestClient), and a real browser fills in the form as a person would (Playwright)."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient


def login_token(client: TestClient) -> str:
    return re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)


def sign_in(client: TestClient, email: str, password: str, **headers):
    """POST the login form as a browser would (token first); returns the response, not following redirects."""
    return client.post("/login", data={"email": email, "password": password, "login_csrf": login_token(client)},
                       headers=headers, follow_redirects=False)


def browser_sign_in(browser, base: str, email: str, password: str, **context):
    """A new browser context (`context`: Playwright's options, e.g. viewport) signed in through the form."""
    page = browser.new_context(**context).new_page()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    return page


def launch_chromium(playwright, path: str):
    """Playwright driving Debian's Chromium (`path`: tests.fixtures.chromium_path()) as the suite runs it."""
    return playwright.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
