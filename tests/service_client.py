"""Signing in to the web service from tests: the login form carries a CSRF token from GET /login."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient


def login_token(client: TestClient) -> str:
    return re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)


def sign_in(client: TestClient, email: str, password: str, **headers):
    """POST the login form as a browser would (token first); returns the response, not following redirects."""
    return client.post("/login", data={"email": email, "password": password, "login_csrf": login_token(client)},
                       headers=headers, follow_redirects=False)
