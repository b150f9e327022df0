"""The service as separate processes on loopback, as deployed: `justicelab serve --workers 0` and
`justicelab worker`. Killed anywhere (SIGKILL, server and worker, at each stage), it ends with every
submission in a final state exactly once; under one organisation's bombs and floods, another's pages
stay quick. Slow: they run real analyses and real processes."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from justicelab.service.accounts import add_user, issue
from justicelab.service.jobs import FINAL, Settings, sweep
from justicelab.service.store import Job, Submission, connect, migrate
from tests.test_service import db, good_file  # noqa: F401 (the same synthetic database and submission)
from tests.service_client import sign_in
from tests.test_service_abuse import HEADER, xlsx_bomb

pytestmark = pytest.mark.slow
PASSWORD = "a long enough password"


@pytest.fixture()
def deployment(db, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    migrate(url)
    _, factory = connect(url)
    with factory() as s:
        users = {"a": add_user(s, "a@org.test", PASSWORD, organisation="Org A"),
                 "b": add_user(s, "b@org.test", PASSWORD, organisation="Org B")}
        tokens = {k: issue(s, u, "api")[0] for k, u in users.items()}
    return url, factory, Settings(database=db, data_dir=tmp_path / "data"), tokens


def _cli(*args: str, crash: str | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "JUSTICELAB_CRASH_AT"}
    if crash:
        env["JUSTICELAB_CRASH_AT"] = crash
    return subprocess.Popen([sys.executable, "-m", "justicelab.cli", *args], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def server(deployment, crash: str | None = None):
    """`justicelab serve` in its own process on a free loopback port; SIGKILLed on exit if still alive."""
    url, _, settings, _ = deployment
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = _cli("serve", "--db", str(settings.database), "--data", str(settings.data_dir), "--store", url,
                "--port", str(port), "--workers", "0", crash=crash)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            httpx.get(f"{base}/login", timeout=2)
            break
        except httpx.TransportError:
            assert proc.poll() is None and time.time() < deadline, "the server did not start"
            time.sleep(0.3)
    try:
        yield base, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)


def upload(base: str, token: str, path: Path, programme: str, name: str | None = None):
    with httpx.Client(timeout=60) as c:
        return c.post(f"{base}/api/submissions", headers={"Authorization": f"Bearer {token}"},
                      data={"programme": programme}, files={"file": (name or path.name, path.read_bytes())})


def worker(deployment, crash: str | None = None, timeout: float = 300) -> int:
    url, _, settings, _ = deployment
    proc = _cli("worker", "--db", str(settings.database), "--data", str(settings.data_dir), "--store", url,
                "--once", crash=crash)
    try:
        return proc.wait(timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_killed_anywhere_every_submission_ends_exactly_once(deployment, good_file, tmp_path):
    url, factory, settings, tokens = deployment
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Ann,Smith,31/02/1980,Female,01/01/2020\n")
    # the server, killed after writing an upload's file, after recording it, and mid-body
    for stage in ("upload-written", "upload-committed"):
        with server(deployment, crash=stage) as (base, proc):
            with pytest.raises(httpx.TransportError):
                upload(base, tokens["a"], bad, f"server {stage}")
            assert proc.wait(30) == -signal.SIGKILL
    with server(deployment) as (base, proc):
        content = good_file.read_bytes()
        port = int(base.rsplit(":", 1)[1])
        head = (f"POST /api/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tokens['a']}\r\n"
                f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {len(content) + 200}\r\n\r\n"
                f"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"g.csv\"\r\n\r\n")
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(head.encode() + content[: len(content) // 2])
            time.sleep(0.5)
            os.killpg(proc.pid, signal.SIGKILL)
    # a server that stays up takes an upload that workers are killed at each stage of, and one to refuse
    worker_stages = ("validated", "linked", "analysed", "reported")
    with server(deployment) as (base, _):
        acknowledged = {}
        for name in ("analysed in spite of kills", "refused"):
            r = upload(base, tokens["a"], bad if name == "refused" else good_file, name)
            assert r.status_code == 201, r.text
            acknowledged[name] = r.json()["id"]
        # workers killed at each stage; the next one takes over once the heartbeat is stale
        for stage in worker_stages:
            assert worker(deployment, crash=stage) == -signal.SIGKILL, stage
            with factory() as s:
                s.execute(update(Job).where(Job.state == "running").values(heartbeat=datetime(2000, 1, 1)))
                s.commit()
        assert worker(deployment) == 0
        assert sweep(factory, settings, grace=timedelta(0)) >= 1  # the file of the upload killed before recording
        assert sweep(factory, settings, grace=timedelta(0)) == 0
        with httpx.Client(timeout=30) as c:
            listed = c.get(f"{base}/api/submissions", headers={"Authorization": f"Bearer {tokens['a']}"}).json()
    with factory() as s:
        subs = s.scalars(select(Submission)).all()
        jobs = s.scalars(select(Job)).all()
    names = sorted(x.programme for x in subs)
    # exactly once: the upload recorded before the kill is there (though its client saw no answer), the
    # ones killed earlier are not, and nothing is doubled
    assert names == sorted(["server upload-committed", *acknowledged]), names
    assert {x["id"] for x in listed} == {x.id for x in subs}
    for sub in subs:
        assert sub.status in FINAL, (sub.programme, sub.status)
        mine = [j for j in jobs if j.submission_id == sub.id]
        assert sorted(j.kind for j in mine) == (["validate"] if sub.status == "rejected" else ["analyse", "validate"])
        assert all(j.state == "done" for j in mine), [(j.kind, j.state) for j in mine]
    assert {x.programme: x.status for x in subs} == {"analysed in spite of kills": "in review", "refused": "rejected",
                                                     "server upload-committed": "rejected"}
    assert all(x.personal_data_deleted for x in subs if x.status == "in review")
    on_disk = {p.name for p in (settings.data_dir / "uploads").iterdir()}
    assert on_disk <= {x.id for x in subs}  # no orphan files
    assert not list((settings.data_dir / "uploads").rglob("*.part"))


def test_one_users_bombs_do_not_slow_another_users_pages(deployment, good_file, tmp_path):
    """Loopback, bounded: 10 hostile uploads (bombs, floods, oversized) from one organisation, one worker
    validating them, while another organisation's user loads pages every 0.1 s for 40 s at most."""
    url, factory, settings, tokens = deployment
    bomb = xlsx_bomb(tmp_path / "bomb.xlsx")
    flood = tmp_path / "flood.csv"
    flood.write_bytes((HEADER + "\n" * 4_900_000).encode())
    blank_rows = tmp_path / "blank.xlsx"
    _blank_rows_workbook(blank_rows, 49_000)
    oversized = tmp_path / "big.csv"
    oversized.write_bytes(b"x" * 6_000_000)
    hostile = [bomb, flood, oversized] * 3 + [blank_rows]
    latencies, stop = [], threading.Event()
    with server(deployment) as (base, _):
        b = httpx.Client(base_url=base, timeout=30)
        assert sign_in(b, "b@org.test", PASSWORD).status_code == 303

        def pages():
            while not stop.is_set():
                start = time.monotonic()
                assert b.get("/").status_code == 200
                latencies.append(time.monotonic() - start)
                time.sleep(0.1)
        reader = threading.Thread(target=pages)
        reader.start()
        proc = _cli("worker", "--db", str(settings.database), "--data", str(settings.data_dir), "--store", url)
        started = time.monotonic()
        try:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(4) as pool:
                answers = list(pool.map(lambda p: refused_or(upload, base, tokens["a"], p, f"hostile {p.name}"), hostile))
            assert sorted({r if isinstance(r, int) else r.status_code for r in answers}) == [201, 413], answers
            ids = [r.json()["id"] for r in answers if not isinstance(r, int) and r.status_code == 201]
            mine = upload(base, tokens["b"], good_file, "an honest upload")
            assert mine.status_code == 201
            while time.monotonic() - started < 40:
                with factory() as s:
                    if all(s.get(Submission, i).status in FINAL for i in ids):
                        break
                time.sleep(0.5)
            drained = time.monotonic() - started
        finally:
            stop.set()
            reader.join(30)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
    with factory() as s:
        assert all(s.get(Submission, i).status == "rejected" for i in ids)
    latencies.sort()
    print(f"\n{len(latencies)} page loads while {len(ids)} hostile uploads were validated in {drained:.1f} s: "
          f"median {1000 * latencies[len(latencies) // 2]:.0f} ms, max {1000 * latencies[-1]:.0f} ms")
    assert drained < 40 and len(latencies) > 20
    assert latencies[-1] < 1.0


def refused_or(call, *args):
    """The answer, or 413 when the server refused so early that the client was still sending."""
    try:
        return call(*args)
    except httpx.TransportError:
        return 413


def _blank_rows_workbook(path: Path, rows: int) -> None:
    """A workbook of a header and `rows` rows of empty-string cells: small to send, slow to read naively."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Submission")
    ws.append(HEADER.strip().split(","))
    for _ in range(rows):
        ws.append(["", "", "", "", ""])
    wb.save(path)
