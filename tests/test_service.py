"""The data lab service: isolation between organisations, validation shown row by row, the review flow,
security checks, and a worker killed mid-analysis whose job completes after restart."""
import os
import re
from contextlib import contextmanager
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from justicelab.data.synth.submission import write_submission
from justicelab.service.accounts import add_user, issue
from justicelab.service.app import create_app
from justicelab.service.jobs import Settings, work
from justicelab.service.store import Audit, Job, Submission
from tests.fixtures import chromium_path, synthetic_db
from tests.service_client import browser_sign_in, launch_chromium, sign_in

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return synthetic_db(tmp_path_factory, 200_000, 41)


@pytest.fixture(scope="module")
def good_file(db, tmp_path_factory):
    return write_submission(db, "link-worker", tmp_path_factory.mktemp("sub") / "good.csv", seed=3)["submission"]


@pytest.fixture(scope="session")
def pg_cluster():
    from tests.pg_cluster import cluster

    with cluster() as prefix:
        yield prefix


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """The service store, chosen by URL: a SQLite file, or a fresh database on a throwaway PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    from tests.pg_cluster import new_database

    return new_database(request.getfixturevalue("pg_cluster"))


@pytest.fixture()
def service(db, tmp_path, store_url):
    url = store_url
    settings = Settings(database=db, data_dir=tmp_path / "data")
    app = create_app(url, settings)
    factory = app.state.factory
    with factory() as s:
        users = {"a": add_user(s, "a@org.test", PASSWORD, organisation="Org A"),
                 "b": add_user(s, "b@org.test", PASSWORD, organisation="Org B"),
                 "analyst": add_user(s, "analyst@lab.test", PASSWORD, role="analyst")}
        tokens = {k: issue(s, u, "api")[0] for k, u in users.items()}
    return app, factory, settings, tokens, url


def browser(app, who: str) -> TestClient:
    client = TestClient(app)
    r = sign_in(client, f"{who}@{'lab' if who == 'analyst' else 'org'}.test", PASSWORD)
    assert r.status_code == 303
    return client


def csrf_of(client: TestClient, url: str = "/") -> str:
    import re
    return re.search(r'name="csrf" value="([^"]+)"', client.get(url).text).group(1)


def api_upload(app, token, path: Path, programme="Link workers"):
    with TestClient(app) as c:
        with open(path, "rb") as fh:
            return c.post("/api/submissions", data={"programme": programme}, files={"file": (path.name, fh, "text/csv")},
                          headers={"Authorization": f"Bearer {token}"})


def test_organisations_see_only_their_own(service, good_file):
    app, factory, _, tokens, _ = service
    r = api_upload(app, tokens["a"], good_file)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    api = TestClient(app)
    as_b = {"Authorization": f"Bearer {tokens['b']}"}
    assert api.get(f"/api/submissions/{sid}", headers=as_b).status_code == 404
    assert api.get(f"/api/submissions/{sid}/report/report.pdf", headers=as_b).status_code == 404
    assert api.get("/api/submissions", headers=as_b).json() == []
    assert api.get(f"/api/submissions/{sid}").status_code == 401
    assert api.get(f"/api/submissions/{sid}", headers={"Authorization": "Bearer guessed"}).status_code == 401
    b = browser(app, "b")
    for url in (f"/submissions/{sid}", f"/submissions/{sid}/problems.csv", f"/submissions/{sid}/report/report.html",
                f"/submissions/{sid}/report/../../store.db", f"/published/{sid}/report.html"):
        assert b.get(url).status_code == 404, url
    assert sid not in b.get("/").text
    a = TestClient(app)
    assert a.get(f"/submissions/{sid}", follow_redirects=False).status_code == 303  # not signed in
    assert browser(app, "a").get(f"/submissions/{sid}").status_code == 200
    with factory() as s:
        actions = [x.action for x in s.scalars(select(Audit)).all()]
    assert actions.count("refused viewed") >= 1 and "uploaded" in actions and "viewed" in actions


def test_problems_are_shown_row_by_row_and_refused_files_are_kept(service, good_file, tmp_path):
    app, factory, _, tokens, _ = service
    rows = pd.read_csv(good_file, dtype=str)
    rows.loc[4, "date_of_birth"] = "31/02/1980"
    rows.loc[9, "surname"] = "=HYPERLINK(\"http://x\")"
    bad = tmp_path / "with_errors.csv"
    rows.to_csv(bad, index=False)
    a = browser(app, "a")
    with open(bad, "rb") as fh:
        r = a.post("/submissions", data={"programme": "Errors", "csrf": csrf_of(a)}, files={"file": ("with_errors.csv", fh)})
    assert r.status_code == 200 and "received" in r.text  # stored and queued; a worker validates it
    sid = r.url.path.rsplit("/", 1)[1]
    work(factory, service[2], once=True, kinds=("validate",))
    r = a.get(f"/submissions/{sid}")
    assert "31/02/1980" in r.text and "is not a real date" in r.text
    assert "=HYPERLINK" not in a.get(f"/submissions/{sid}/problems.csv").text.replace("'=HYPERLINK", "")
    few = tmp_path / "few.csv"
    rows.head(20).to_csv(few, index=False)
    r = api_upload(app, tokens["a"], few)
    work(factory, service[2], once=True, kinds=("validate",))
    r = TestClient(app).get(f"/api/submissions/{r.json()['id']}", headers={"Authorization": f"Bearer {tokens['a']}"})
    assert r.json()["status"] == "rejected"
    with factory() as s:
        sub = s.get(Submission, r.json()["id"])
        assert Path(sub.path).exists() and "60" in sub.problems[0]["problem"]


def test_security_checks(service, good_file, tmp_path):
    app, _, settings, tokens, _ = service
    a = browser(app, "a")
    with open(good_file, "rb") as fh:  # no CSRF token: refused
        assert a.post("/submissions", data={"programme": "x"}, files={"file": ("g.csv", fh)}).status_code == 403
    exe = tmp_path / "payload.xlsx"
    exe.write_bytes(b"not a zip at all")
    assert api_upload(app, tokens["a"], exe).status_code == 400
    big = tmp_path / "big.csv"
    big.write_bytes(b"a," * (settings.max_upload_bytes // 2 + 10))
    assert api_upload(app, tokens["a"], big).status_code == 413
    assert api_upload(app, tokens["analyst"], good_file).status_code == 403  # analysts do not submit
    api_upload(app, tokens["a"], good_file, programme="<script>alert(1)</script>")
    page = browser(app, "a").get("/").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert TestClient(app).get("/review", follow_redirects=False).status_code == 303
    assert a.get("/review").status_code == 403


def test_release_flow_and_retention(service, good_file):
    app, factory, settings, tokens, _ = service
    a = browser(app, "a")
    with open(good_file, "rb") as fh:
        r = a.post("/submissions", data={"programme": "Pathways link workers", "csrf": csrf_of(a)},
                   files={"file": ("good.csv", fh)})
    sid = r.url.path.rsplit("/", 1)[1]
    assert "received" in r.text
    work(factory, settings, once=True)
    status = a.get(f"/api/submissions/{sid}", headers={"Authorization": f"Bearer {tokens['a']}"}).json()
    assert status["status"] == "in review", status
    assert a.get(f"/submissions/{sid}/report/report.pdf").status_code == 404  # not released yet
    analyst = browser(app, "analyst")
    assert "Pathways link workers" in analyst.get("/review").text
    assert analyst.get(f"/submissions/{sid}/report/report.html").status_code == 200
    assert analyst.post(f"/review/{sid}", data={"action": "release", "comment": "Clear result."},
                        follow_redirects=False).status_code == 403  # CSRF
    r = analyst.post(f"/review/{sid}", data={"action": "release", "comment": "Clear result.",
                                             "csrf": csrf_of(analyst, "/review")}, follow_redirects=False)
    assert r.status_code == 303
    pdf = a.get(f"/submissions/{sid}/report/report.pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    check_public_files(TestClient(app), sid, Path(factory().get(Submission, sid).report_dir))
    public = TestClient(app).get("/published?q=pathways")
    assert "Pathways link workers" in public.text and "Org A" in public.text
    assert TestClient(app).get("/published/forest.png").content[:4] == b"\x89PNG"
    with factory() as s:
        sub = s.get(Submission, sid)
        assert sub.personal_data_deleted and sub.path is None  # retention 0: deleted after analysis
    assert not (settings.data_dir / "uploads" / sid / "submission.csv").exists()


def check_public_files(client: TestClient, sid: str, report_dir: Path) -> None:
    """Everything under /published/{id}/ is the disclosure-controlled copy: no cell of 1 to 10 people in
    results.json, the annex or the report's sentences, no exact ages, no draft file reachable."""
    import io
    import json
    import re

    from openpyxl import load_workbook

    from tests.test_report_public import small

    draft = json.loads((report_dir / "results.json").read_text())
    public = client.get(f"/published/{sid}/results.json").json()
    assert small(public) == [] and "contact" not in public["programme"]
    html = client.get(f"/published/{sid}/report.html").text
    # counts of people; "as many as 10 people" in a chart's description is a difference per 100, not a count
    counted = re.findall(r"(?<!as many as )(\d+) (?:people|person) (?:\(|were|was|could)|\((\d+) people"
                         r"|for (\d+) people", html)
    assert len(counted) >= 4 and [n for n in map(max, counted) if 0 < int(n) < 11] == []
    ages = re.search(r"Aged (\d+) to (\d+)", html).groups()
    assert ages != (str(draft["analyses"][0]["profile"]["age_min"]), str(draft["analyses"][0]["profile"]["age_max"])) \
        or draft["analyses"][0]["profile"]["age_min"] in (18, 21, 25, 30)
    annex = load_workbook(io.BytesIO(client.get(f"/published/{sid}/annex.xlsx").content), read_only=True)
    for sheet in annex.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        for i, header in enumerate(rows):
            for j, title in enumerate(header):
                if isinstance(title, str) and (title.startswith("Number in") or title == "People"):
                    cells = [r[j] for r in rows[i + 1:] if j < len(r) and isinstance(r[j], (int, float))]
                    assert all(c == 0 or c >= 11 for c in cells), (sheet.title, title, cells)
    assert client.get(f"/published/{sid}/report.pdf").content[:4] == b"%PDF"
    for name in ("../results.json", "public/results.json", "charts/../../results.json", "linkage.csv"):
        assert client.get(f"/published/{sid}/{name}").status_code == 404, name


def test_killed_worker_job_completes_after_restart(service, good_file):
    app, factory, settings, tokens, url = service
    sid = api_upload(app, tokens["a"], good_file).json()["id"]
    work(factory, settings, once=True, kinds=("validate",))
    cmd = [sys.executable, "-m", "justicelab.cli", "worker", "--db", str(settings.database), "--data",
           str(settings.data_dir), "--store", url, "--once"]
    proc = subprocess.Popen(cmd, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        with factory() as s:
            job = s.scalar(select(Job).where(Job.submission_id == sid, Job.kind == "analyse"))
            if job.state == "running":
                break
        time.sleep(0.2)
    time.sleep(2)  # mid-analysis
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with factory() as s:
        job = s.scalar(select(Job).where(Job.submission_id == sid, Job.kind == "analyse"))
        assert job.state == "running" and s.get(Submission, sid).status in ("validated", "linked")
        job.heartbeat = job.heartbeat.replace(year=2000)  # as if 30 s had passed without a heartbeat
        s.commit()
    work(factory, settings, once=True)  # the restarted worker
    with factory() as s:
        job = s.scalar(select(Job).where(Job.submission_id == sid, Job.kind == "analyse"))
        assert job.state == "done" and job.attempts == 2 and job.kind == "analyse"
        assert s.get(Submission, sid).status == "in review"


@contextmanager
def live_server(app):
    """The app on a free loopback port, in a thread."""
    import socket
    import threading

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def connections_seen(url: str):
    """On PostgreSQL, samples the number of other server connections to the store while the block runs."""
    import threading

    seen: list[int] = [0]
    if not url.startswith("postgresql"):
        yield seen
        return
    import psycopg

    stop = threading.Event()

    def sample():
        with psycopg.connect(url, autocommit=True) as conn:
            while not stop.wait(0.05):
                seen.append(conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                         "AND pid <> pg_backend_pid()").fetchone()[0])
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(10)


def test_load_on_loopback(service, good_file):
    """50 concurrent uploads and 200 concurrent status reads against a real server: no error, nothing lost."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    app, factory, settings, tokens, url = service
    auth = {"Authorization": f"Bearer {tokens['a']}"}
    content = Path(good_file).read_bytes()

    def upload(i):
        with httpx.Client(timeout=120) as c:
            return c.post(f"{base}/api/submissions", headers=auth, data={"programme": f"load {i}"},
                          files={"file": (f"load{i}.csv", content, "text/csv")})

    def read(i):
        with httpx.Client(timeout=120) as c:
            return c.get(f"{base}/api/submissions/{ids[i % 50]}", headers=auth)
    with live_server(app) as base, connections_seen(url) as seen:
        with ThreadPoolExecutor(50) as pool:
            uploads = list(pool.map(upload, range(50)))
        assert [r.status_code for r in uploads] == [201] * 50
        ids = [r.json()["id"] for r in uploads]
        with ThreadPoolExecutor(200) as pool:
            reads = list(pool.map(read, range(200)))
    assert [r.status_code for r in reads] == [200] * 200
    if url.startswith("postgresql"):  # a bounded pool: never more than 2 x POOL_SIZE server connections
        from justicelab.service.store import POOL_SIZE

        assert 1 <= max(seen) <= 2 * POOL_SIZE, max(seen)
    assert all(r.json()["status"] == "received" for r in reads)
    with factory() as s:
        stored = s.scalars(select(Submission).where(Submission.programme.like("load %"))).all()
        jobs = s.scalars(select(Job)).all()
    assert sorted(x.id for x in stored) == sorted(ids) and all(Path(x.path).exists() for x in stored)
    assert len({j.submission_id for j in jobs} & set(ids)) == 50
    # a restarted service (a new app on the same store) has every submission
    listed = TestClient(create_app(url, settings)).get("/api/submissions", headers=auth).json()
    assert {x["id"] for x in listed} >= set(ids)


@pytest.mark.browser
def test_browser_journey(service, good_file, tmp_path):
    """Playwright driving Debian's Chromium: sign in, upload a file with errors and see them, upload a good
    file, an analyst releases the report, the organisation downloads it. Screenshots: test-artefacts/."""
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    app, factory, settings, _, _ = service
    art = Path(__file__).resolve().parent.parent / "test-artefacts"
    art.mkdir(exist_ok=True)
    rows = pd.read_csv(good_file, dtype=str)
    rows.loc[4, "date_of_birth"] = "31/02/1980"
    bad = tmp_path / "with_errors.csv"
    rows.to_csv(bad, index=False)
    with live_server(app) as base, sync_playwright() as pw:
        browser_ = launch_chromium(pw, chromium)

        def sign_in(email):
            return browser_sign_in(browser_, base, email, PASSWORD, accept_downloads=True)
        org = sign_in("a@org.test")
        org.fill("#programme", "Link workers (errors)")
        org.set_input_files("#file", str(bad))
        org.click("#upload")
        assert org.inner_text("#status") == "received"
        work(factory, settings, once=True, kinds=("validate",))
        org.reload()
        assert "is not a real date" in org.inner_text("#problems")
        org.screenshot(path=str(art / "service_1_problems.png"), full_page=True)
        org.goto(f"{base}/")
        org.fill("#programme", "Pathways link workers")
        org.set_input_files("#file", str(good_file))
        org.click("#upload")
        work(factory, settings, once=True, kinds=("validate",))
        org.reload()
        assert org.inner_text("#status") == "validated"
        sid = org.url.rsplit("/", 1)[1]
        work(factory, settings, once=True)
        analyst = sign_in("analyst@lab.test")
        analyst.click("text=Pathways link workers")
        analyst.fill("#comment", "Checked: a clear result.")
        analyst.screenshot(path=str(art / "service_2_review.png"), full_page=True)
        analyst.click("#release")
        org.goto(f"{base}/submissions/{sid}")
        assert org.inner_text("#status") == "published"
        with org.expect_download() as download:
            org.click("text=report.pdf")
        saved = tmp_path / "downloaded.pdf"
        download.value.save_as(saved)
        assert saved.read_bytes()[:4] == b"%PDF"
        org.screenshot(path=str(art / "service_3_published.png"), full_page=True)
        browser_.close()


def test_long_names_and_nul_characters_are_handled(service, good_file):
    """PostgreSQL refuses NUL in text and names over the column's 200 characters: a clear 400 or a trimmed
    name, never a 500, on either store."""
    app, factory, _, tokens, _ = service
    api = TestClient(app)
    auth = {"Authorization": f"Bearer {tokens['a']}"}
    content = Path(good_file).read_bytes()
    r = api.post("/api/submissions", headers=auth, data={"programme": "Mentoring"},
                 files={"file": ("n" * 300 + ".csv", content, "text/csv")})
    assert r.status_code == 201, r.text
    with factory() as s:
        name = s.get(Submission, r.json()["id"]).filename
    assert len(name) == 200 and name == "n" * 196 + ".csv"
    r = api.post("/api/submissions", headers=auth, data={"programme": "Men\x00toring"},
                 files={"file": ("good.csv", content, "text/csv")})
    assert r.status_code == 400 and "programme: contains a NUL character" in r.json()["error"]
    assert sign_in(TestClient(app), "a\x00@org.test", PASSWORD).status_code == 400
    a = browser(app, "a")
    for url in ("/submissions/%00", "/submissions/" + "f" * 300, "/published/%00/report.html"):
        assert a.get(url).status_code == 404, url


def test_database_errors_leave_no_data_in_the_log(service, good_file, tmp_path, caplog):
    """A database refusing the submission's INSERT (programme, file name) or UPDATE (the problems, which
    quote the file's values): the user gets a 500 page, the log gets ids, types and places only."""
    import logging

    from sqlalchemy import text

    app, factory, settings, tokens, url = service
    rows = pd.read_csv(good_file, dtype=str)
    rows.loc[4, "date_of_birth"] = "31/02/1980"
    bad = tmp_path / "Qwertyfile.csv"
    rows.to_csv(bad, index=False)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="sqlalchemy")
    for when in ("INSERT", "UPDATE"):
        with factory() as s:
            if url.startswith("postgresql"):
                s.execute(text("CREATE OR REPLACE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                               "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"))
                s.execute(text(f"CREATE TRIGGER refuse BEFORE {when} ON submission FOR EACH ROW EXECUTE FUNCTION refuse()"))
            else:
                s.execute(text(f"CREATE TRIGGER refuse BEFORE {when} ON submission BEGIN SELECT RAISE(ABORT, 'refused'); END"))
            s.commit()
        with TestClient(app, raise_server_exceptions=False) as c, open(bad, "rb") as fh:
            r = c.post("/api/submissions", data={"programme": "Secret Qwertyprogramme"},
                       files={"file": (bad.name, fh, "text/csv")}, headers={"Authorization": f"Bearer {tokens['a']}"})
        if when == "INSERT":
            assert r.status_code == 500 and "Qwerty" not in r.text
        else:  # the upload is stored; the worker's validation (which writes the problems) is refused
            assert r.status_code == 201, r.text
            work(factory, settings, once=True, kinds=("validate",))
        with factory() as s:
            s.execute(text("DROP TRIGGER refuse" + (" ON submission" if url.startswith("postgresql") else "")))
            s.commit()
    assert caplog.text.count("unexpected error on POST /api/submissions") == 1  # the errors did reach the log
    assert re.search(r"job \d+ failed: \w+ at ", caplog.text), caplog.text[-2000:]  # the worker's error: type and place
    for secret in ("Qwerty", "31/02/1980", "1980"):
        assert secret not in caplog.text


def _migrate_after(barrier, url: str) -> None:
    from justicelab.service.store import migrate

    barrier.wait()
    migrate(url)


def test_migrations_started_together_run_once(store_url):
    """Four processes released at the same instant on an empty store: without the lock most fail
    (alembic_version UniqueViolation, 'table already exists'); with it all succeed."""
    import multiprocessing

    from sqlalchemy import create_engine, inspect

    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_migrate_after, args=(barrier, store_url)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    assert {"submission", "job", "audit", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.slow
def test_first_start_migrates_once(db, tmp_path, store_url):
    """serve and three workers started together on an empty store: all start (the migration runs once,
    under the lock); then 'justicelab service migrate' finds nothing to do."""
    import socket

    import httpx
    from sqlalchemy import create_engine, text

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = os.environ | {"JUSTICELAB_STORE": store_url}
    cli = [sys.executable, "-m", "justicelab.cli"]
    common = ["--db", str(db), "--data", str(tmp_path / "data")]
    serve = subprocess.Popen([*cli, "serve", *common, "--port", str(port), "--workers", "0"], env=env,
                             start_new_session=True)
    workers = [subprocess.Popen([*cli, "worker", *common, "--once"], env=env, stderr=subprocess.PIPE, text=True)
               for _ in range(3)]
    try:
        results = [(w.wait(180), w.stderr.read()) for w in workers]
        ready, deadline = None, time.time() + 120
        while time.time() < deadline and serve.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert serve.poll() is None, "serve stopped"
        assert ready is not None and ready.status_code == 200 and ready.json() == {"status": "ready"}
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(30)
    assert [code for code, _ in results] == [0, 0, 0], [err[-500:] for _, err in results]
    again = subprocess.run([*cli, "service", "migrate", "--store", store_url], capture_output=True, text=True)
    assert again.returncode == 0 and "latest schema" in again.stdout
    engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_sign_out_cookies_and_health(service):
    app, _, settings, _, _ = service
    a = browser(app, "a")
    assert a.post("/logout", data={"csrf": csrf_of(a, "/published")}, follow_redirects=False).status_code == 303
    plain = sign_in(TestClient(app), "a@org.test", PASSWORD).headers["set-cookie"]
    https = sign_in(TestClient(app, base_url="https://testserver"), "a@org.test", PASSWORD)
    settings.secure_cookies = True
    forced = sign_in(TestClient(app), "a@org.test", PASSWORD).headers["set-cookie"]
    assert "secure" not in plain.lower() and "secure" in https.headers["set-cookie"].lower()
    assert "secure" in forced.lower()
    c = TestClient(app)
    assert c.get("/healthz").json() == {"status": "ok"} and c.get("/readyz").status_code == 200
    import shutil

    shutil.rmtree(settings.data_dir)
    assert c.get("/readyz").status_code == 503


def test_backup_and_restore(service, good_file, tmp_path):
    """The commands in docs/deploy.md: a backup restored into an empty store holds the same submissions
    and accounts (pg_dump/pg_restore, or SQLite's online backup)."""
    app, factory, settings, tokens, url = service
    sid = api_upload(app, tokens["a"], good_file).json()["id"]
    if url.startswith("postgresql"):
        from tests.pg_cluster import _binary, new_database

        dump = tmp_path / "store.dump"
        subprocess.run([_binary("pg_dump"), "--format=custom", f"--file={dump}", url], check=True)
        restored = new_database(url.rsplit("/", 1)[0] + "/")
        subprocess.run([_binary("pg_restore"), "--no-owner", f"--dbname={restored}", str(dump)], check=True)
    else:
        backup = tmp_path / "backup.db"
        subprocess.run([sys.executable, "-c", "import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup("
                        "sqlite3.connect(sys.argv[2]))", url.removeprefix("sqlite:///"), str(backup)], check=True)
        restored = f"sqlite:///{backup}"
    again = create_app(restored, settings)
    listed = TestClient(again).get("/api/submissions", headers={"Authorization": f"Bearer {tokens['a']}"}).json()
    assert [x["id"] for x in listed] == [sid]
    assert browser(again, "analyst").get("/review").status_code == 200
