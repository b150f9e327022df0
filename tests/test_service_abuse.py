"""The service against a hostile or careless user: login CSRF, password guessing, leaked tokens, framing,
oversized, anonymous and slow uploads, decompression bombs and row floods, files that cannot be read,
orphans left by a crash, and programme names that look like mathtext. Each probe failed before its fix.

These tests need no reoffending database: validation runs in a worker without one."""
import socket
import threading
import time
import zipfile
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from justicelab.cli import app as cli
from justicelab.service.accounts import add_user, issue
from justicelab.service.app import create_app
from justicelab.service.guard import HeaderDeadline
from justicelab.service.jobs import FINAL, Settings, sweep, work
from justicelab.service.store import Credential, Job, LoginAttempt, Organisation, Submission, now
from tests.service_client import sign_in as form_sign_in

PASSWORD = "a long enough password"
HEADER = "forename,surname,date_of_birth,sex,intervention_start\n"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A migrated store with two organisations' users, copied for each test; Argon2 at its cheapest
    settings, as every sign-in here costs a hash."""
    from argon2 import PasswordHasher

    from justicelab.service import accounts

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        folder = tmp_path_factory.mktemp("store")
        app = create_app(f"sqlite:///{folder / 'store.db'}", Settings(database=folder / "x", data_dir=folder / "d"))
        with app.state.factory() as s:
            users = {"a": add_user(s, "a@org.test", PASSWORD, organisation="Org A"),
                     "b": add_user(s, "b@org.test", PASSWORD, organisation="Org B")}
            tokens = {k: issue(s, u, "api")[0] for k, u in users.items()}
        app.state.factory.kw["bind"].dispose()
        yield folder / "store.db", tokens


@pytest.fixture()
def service(prepared, tmp_path, monkeypatch):
    import shutil

    from argon2 import PasswordHasher

    from justicelab.service import accounts

    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    shutil.copy(prepared[0], tmp_path / "store.db")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    settings = Settings(database=tmp_path / "no-database.duckdb", data_dir=tmp_path / "data", body_seconds=1.5)
    app = create_app(url, settings)
    return app, app.state.factory, settings, dict(prepared[1]), url


def sign_in(client: TestClient, email: str, password: str = PASSWORD, **headers):
    return form_sign_in(client, email, password, **headers)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def upload(client: TestClient, token: str, name: str, content: bytes, programme: str = "Probe"):
    return client.post("/api/submissions", data={"programme": programme}, files={"file": (name, content)},
                       headers=bearer(token))


# --- signing in ---

def test_a_cross_site_form_cannot_sign_a_victim_in(service):
    app, *_ = service
    victim = TestClient(app)
    # the attacker's page posts their own credentials: no pre-session token, or a foreign Origin
    r = victim.post("/login", data={"email": "a@org.test", "password": PASSWORD}, follow_redirects=False,
                    headers={"Origin": "https://attacker.example"})
    assert r.status_code == 403 and "jl_session" not in victim.cookies
    assert "came from another site" in r.text
    r = victim.post("/login", data={"email": "a@org.test", "password": PASSWORD, "login_csrf": "guessed"},
                    follow_redirects=False)
    assert r.status_code == 403 and "jl_session" not in victim.cookies
    # even with a token pair the attacker fetched, a foreign Origin is refused
    assert sign_in(victim, "a@org.test", Origin="https://attacker.example").status_code == 403
    assert sign_in(victim, "a@org.test", Origin="http://testserver").status_code == 303
    assert "jl_session" in victim.cookies


def test_password_guessing_locks_the_account_then_the_address(service):
    app, factory, *_ = service
    c = TestClient(app)
    for i in range(5):
        r = sign_in(c, "a@org.test", "wrong password %d" % i)
    assert r.status_code == 401 and "try again in 15 minutes" in r.text  # the fifth failure locks
    r = sign_in(c, "a@org.test")  # the right password, too late
    assert r.status_code == 429 and "Too many failed sign-ins from this account" in r.text
    assert "jl_session" not in c.cookies
    assert sign_in(TestClient(app), "b@org.test").status_code == 303  # other accounts are not locked
    with factory() as s:  # 15 minutes later
        s.get(LoginAttempt, "account:a@org.test").locked_until = now() - timedelta(seconds=1)
        s.commit()
    assert sign_in(c, "a@org.test").status_code == 303
    # one address trying many accounts: 20 failures lock the address, whatever the account
    for i in range(20):
        sign_in(c, f"nobody{i}@org.test", "wrong password")
    r = sign_in(c, "b@org.test")
    assert r.status_code == 429 and "from your address" in r.text


def test_disabled_users_and_revoked_or_expired_tokens_stop_working(service):
    app, factory, _, tokens, url = service
    b = TestClient(app)
    assert sign_in(b, "b@org.test").status_code == 303
    assert b.get("/", follow_redirects=False).status_code == 200
    run = CliRunner().invoke(cli, ["service", "revoke-token", "b@org.test", "--store", url])
    assert run.exit_code == 0 and "revoked 1 API tokens" in run.output
    assert TestClient(app).get("/api/submissions", headers=bearer(tokens["b"])).status_code == 401
    assert b.get("/", follow_redirects=False).status_code == 200  # the browser session stays
    run = CliRunner().invoke(cli, ["service", "disable-user", "b@org.test", "--store", url])
    assert run.exit_code == 0 and "1 sessions and tokens ended" in run.output
    assert b.get("/", follow_redirects=False).status_code == 303  # signed out
    assert sign_in(TestClient(app), "b@org.test").status_code == 401
    run = CliRunner().invoke(cli, ["service", "token", "b@org.test", "--store", url])
    assert TestClient(app).get("/api/submissions", headers=bearer(run.output.strip())).status_code == 401
    # tokens expire: 90 days by default, --days otherwise
    api = TestClient(app)
    assert api.get("/api/submissions", headers=bearer(tokens["a"])).status_code == 200
    with factory() as s:
        creds = s.scalars(select(Credential).where(Credential.kind == "api")).all()
        assert all(c.expires is not None and c.expires <= now() + timedelta(days=90) for c in creds)
        for c in creds:
            c.expires = now() - timedelta(seconds=1)
        s.commit()
    assert api.get("/api/submissions", headers=bearer(tokens["a"])).status_code == 401


def test_every_answer_carries_security_headers(service):
    app, _, _, tokens, _ = service
    c = TestClient(app)
    for r in (c.get("/login"), c.get("/published"), c.get("/nowhere"), c.get("/api/submissions"),
              upload(c, tokens["a"], "x.exe", b"MZ")):
        csp = r.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "script-src" not in csp, r.url
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert r.headers["x-frame-options"] == "DENY"


# --- uploads on a real socket ---

@contextmanager
def live(app):
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http=HeaderDeadline))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def answer(sock: socket.socket, limit: float = 10) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    sock.settimeout(limit)
    start, data = time.monotonic(), b""
    while chunk := sock.recv(65536):
        data += chunk
    return data, time.monotonic() - start


def request_head(path: str, length: int | None, token: str | None = None, boundary: str = "b") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: multipart/form-data; boundary={boundary}"]
    lines += [f"Content-Length: {length}"] if length is not None else ["Transfer-Encoding: chunked"]
    lines += [f"Authorization: Bearer {token}"] if token else []
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_uploads_are_refused_before_their_body_is_read(service):
    app, _, settings, tokens, _ = service
    with live(app) as port:
        for token, length, status in ((None, 100_000_000, b"401"), ("guessed", 1000, b"401"),
                                      (tokens["a"], 100_000_000, b"413"), (tokens["a"], None, b"411")):
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(request_head("/api/submissions", length, token))  # headers only, no body sent
                data, _ = answer(sock)
            assert data.split(b" ")[1] == status, data
            assert b"content-security-policy" in data.lower()
        browser = request_head("/submissions", 100_000_000).replace(b"\r\n\r\n", b"\r\nCookie: jl_session=x\r\n\r\n")
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(browser)
            assert answer(sock)[0].split(b" ")[1] == b"401"
    assert not list((settings.data_dir / "uploads").glob("*"))


def test_slow_clients_are_cut_off(service, monkeypatch):
    """Slow-loris: a client dribbling its headers or its body a byte at a time is disconnected."""
    app, _, settings, tokens, _ = service
    monkeypatch.setattr(HeaderDeadline, "HEADER_SECONDS", 1.0)
    with live(app) as port:
        with socket.create_connection(("127.0.0.1", port)) as sock:  # headers at 2 bytes a second
            start = time.monotonic()
            closed = False
            for byte in request_head("/login", 100):
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    closed = True
                    break
                time.sleep(0.5)
                if time.monotonic() - start > 6:
                    break
            data = b"" if closed else answer(sock, 2)[0]
            assert closed or data == b"", data
            assert time.monotonic() - start < 4
        body = b"--b\r\nContent-Disposition: form-data; name=\"programme\"\r\n\r\nslow\r\n--b--\r\n"
        with socket.create_connection(("127.0.0.1", port)) as sock:  # body at 2 bytes a second
            sock.sendall(request_head("/api/submissions", len(body), tokens["a"]))
            start = time.monotonic()
            sock.settimeout(0.5)
            data = b""
            for byte in body:
                try:
                    sock.sendall(bytes([byte]))
                    data += sock.recv(65536)
                except (TimeoutError, socket.timeout):
                    continue
                except OSError:
                    break
                if data:
                    break
            data += answer(sock, 3)[0]
        assert data.split(b" ")[1] == b"408" and b"too slow" in data, data
        assert time.monotonic() - start < settings.body_seconds + 2.5


# --- whatever arrives gets a final answer, quickly, from the worker ---

def xlsx_bomb(path: Path, inflated: int = 80_000_000) -> Path:
    """A tiny workbook whose sheet unpacks to `inflated` bytes (whitespace compresses a thousandfold)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(HEADER.strip().split(","))
    wb.save(path.with_suffix(".seed.xlsx"))
    with zipfile.ZipFile(path.with_suffix(".seed.xlsx")) as seed, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in seed.infolist():
            data = seed.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                with out.open(item.filename, "w") as member:
                    head, tail = data.split(b"<sheetData>")
                    member.write(head + b"<sheetData>")
                    for _ in range(inflated // 10_000_000):
                        member.write(b" " * 10_000_000)
                    member.write(tail)
            else:
                out.writestr(item, data)
    return path


def corpus(tmp: Path) -> dict[str, bytes]:
    """Files a careless or hostile organisation sends: each must end rejected with a reason."""
    from justicelab.submission.template import write_templates

    blank = {p.suffix: p.read_bytes() for p in write_templates(tmp / "template")}
    truncated = blank[".xlsx"][: len(blank[".xlsx"]) // 2]
    return {
        "blank-template.csv": blank[".csv"], "blank-template.xlsx": blank[".xlsx"],
        "empty.csv": b"", "header-only.csv": HEADER.encode(),
        "empty-rows.csv": (HEADER + ",,,,\n" * 200).encode(),
        "flood.csv": (HEADER + "\n" * 4_900_000).encode(),  # 5 MB of blank rows
        "bomb.xlsx": xlsx_bomb(tmp / "bomb.xlsx").read_bytes(),
        "truncated.xlsx": truncated, "zip-not-workbook.xlsx": _zip_of_text(tmp),
        "binary.csv": bytes(range(1, 256)) * 50, "one-column.csv": b"name\nA\nB\n",
    }


def _zip_of_text(tmp: Path) -> bytes:
    with zipfile.ZipFile(tmp / "plain.zip", "w") as z:
        z.writestr("readme.txt", "not a workbook")
    return (tmp / "plain.zip").read_bytes()


def test_every_accepted_upload_reaches_a_final_state_quickly(service, tmp_path):
    app, factory, settings, tokens, _ = service
    files = corpus(tmp_path)
    assert len(files["bomb.xlsx"]) < 1_000_000
    c = TestClient(app)
    ids = {}
    for name, content in files.items():
        start = time.monotonic()
        r = upload(c, tokens["a"], name, content, programme=name)
        assert r.status_code == 201 and r.json()["status"] == "received", (name, r.text)
        assert time.monotonic() - start < 5, name  # the request only stores and queues
        ids[name] = r.json()["id"]
    start = time.monotonic()
    work(factory, settings, once=True, kinds=("validate",))
    took = time.monotonic() - start
    assert took < 60, took  # before: the bomb alone held a worker for 17 minutes
    for name, sid in ids.items():
        got = c.get(f"/api/submissions/{sid}", headers=bearer(tokens["a"])).json()
        assert got["status"] == "rejected", (name, got)
        assert 1 <= len(got["problem_list"]) <= 1001 and got["problem_list"][0]["problem"], name
        assert "\n" not in got["problem_list"][0]["problem"] and "Traceback" not in got["problem_list"][0]["problem"]
    with factory() as s:
        assert {j.state for j in s.scalars(select(Job)).all()} == {"done"}
    bomb = c.get(f"/api/submissions/{ids['bomb.xlsx']}", headers=bearer(tokens["a"])).json()
    assert "unpacks to" in bomb["problem_list"][0]["problem"]


def test_many_problems_are_capped_in_the_store(service):
    app, factory, settings, tokens, _ = service
    rows = "".join(f"Ann,Smith{i},31/02/1980,Female,01/01/2020\n" for i in range(3000))
    sid = upload(TestClient(app), tokens["a"], "errors.csv", (HEADER + rows).encode()).json()["id"]
    work(factory, settings, once=True, kinds=("validate",))
    with factory() as s:
        problems = s.get(Submission, sid).problems
    assert len(problems) == 1001 and "more problems not listed" in problems[-1]["problem"]


def test_the_sweeper_recovers_what_a_crash_left(service):
    import os

    app, factory, settings, tokens, _ = service
    c = TestClient(app)
    kept = upload(c, tokens["a"], "kept.csv", HEADER.encode()).json()["id"]
    lost = upload(c, tokens["a"], "lost.csv", HEADER.encode()).json()["id"]
    with factory() as s:  # as a server killed between storing a submission and queueing its job would
        for job in s.scalars(select(Job)).all():
            s.delete(job)
        s.commit()
        Path(s.get(Submission, lost).path).unlink()
    old, recent = settings.data_dir / "uploads" / ("0" * 32), settings.data_dir / "uploads" / ("1" * 32)
    for folder in (old, recent):
        folder.mkdir(parents=True)
        (folder / "submission.csv.part").write_bytes(b"half an upload")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    assert sweep(factory, settings) == 3
    assert not old.exists() and recent.exists()  # an upload in progress is left alone
    work(factory, settings, once=True, kinds=("validate",))
    with factory() as s:
        assert s.get(Submission, kept).status == "rejected"
        assert s.get(Submission, lost).status == "failed" and "upload the file again" in s.get(Submission, lost).comment
        assert all(sub.status in FINAL for sub in s.scalars(select(Submission)).all())
    assert sweep(factory, settings) == 0  # nothing left to mend


def test_a_mathtext_programme_name_does_not_break_the_forest_plot(service):
    app, factory, *_ = service
    with factory() as s:
        org = s.scalar(select(Organisation))
        for name in (r"$\notacommand$", r"$x^{$", "Cost $5 to $10"):
            s.add(Submission(organisation_id=org.id, uploaded_by=s.scalars(select(Credential.user_id)).first(),
                             programme=name, filename="x.csv", status="published",
                             headline={"difference": -0.05, "ci_low": -0.1, "ci_high": 0.0, "significant": False}))
        s.commit()
    r = TestClient(app).get("/published/forest.png")
    assert r.status_code == 200 and r.content[:4] == b"\x89PNG"
