"""Local evaluations in the service: form -> background job -> result page in the layout -> downloads, for
predicted against actual, cohort tracking and demand; the same numbers as the CLI; organisations isolated;
bad uploads refused by row and column; a failed job run again."""
from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from justicelab.cli import main
from justicelab.engine import DuckDBEngine
from justicelab.local.stats import build_area_cohort
from justicelab.service.accounts import add_user, issue
from justicelab.service.app import create_app
from justicelab.service.jobs import Settings, work
from justicelab.service.store import Audit, Job, LocalEvaluation, Submission, User
from tests.fixtures import d, synthetic_db
from tests.service_client import sign_in
from tests.test_local_evaluation import burst_scheme

PASSWORD = "a long enough password"
NULL_CHECK = "not distinguishable"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return synthetic_db(tmp_path_factory, 60_000, 13)  # the database of tests/test_local_evaluation.py


@pytest.fixture(scope="module")
def service(db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("svc")
    settings = Settings(database=db, data_dir=folder / "data", retention_days=30)
    app = create_app(f"sqlite:///{folder / 'store.db'}", settings)
    with app.state.factory() as s:
        users = {k: add_user(s, f"{k}@org.test", PASSWORD, organisation=f"Org {k.upper()}") for k in ("a", "b")}
        tokens = {k: issue(s, u, "api")[0] for k, u in users.items()}
    return app, settings, tokens


@pytest.fixture(scope="module")
def cohort_2019(db) -> pd.DataFrame:
    """A random 300 of the 2019 national cohort: a null local cohort (nothing was done to them)."""
    with DuckDBEngine(db, read_only=True) as e:
        build_area_cohort(e, d("2019-01-01"), d("2019-12-31"))
        national = e.query("SELECT person_id, reoffended FROM area_measures ORDER BY person_id")
    return national.sample(300, random_state=4)


def browser(app, who: str) -> TestClient:
    client = TestClient(app)
    assert sign_in(client, f"{who}@org.test", PASSWORD).status_code == 303
    return client


def csrf_of(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/local/evaluations").text).group(1)


def ask(client: TestClient, data: dict, file: tuple[str, bytes] | None = None, follow: bool = False):
    files = {"file": (file[0], file[1])} if file else None
    return client.post("/local/evaluations", data={"csrf": csrf_of(client), **data}, files=files,
                       follow_redirects=follow)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def cli_results(args: list[str], out) -> dict:
    assert main(args + ["--out", str(out)]) == 0
    return json.loads(next(p for p in out.glob("*.json")).read_text())


def downloads_match(client: TestClient, base: str, page: str) -> dict:
    """Every download named on the result page opens, and the HTML, xlsx and PDF carry the JSON's figures."""
    names = re.findall(rf'href="{base}/files/([^"]+)"', page)
    assert len(names) == 4, names
    got = {n: client.get(f"{base}/files/{n}") for n in names}
    assert all(r.status_code == 200 for r in got.values())
    results = got[names[0]].json()
    assert names[0].endswith(".json") and results["provenance"]["code_version"]
    html = got[next(n for n in names if n.endswith(".html"))].text
    assert results["title"] in html
    pdf = got[next(n for n in names if n.endswith(".pdf"))].content
    assert pdf[:4] == b"%PDF" and len(pdf) > 1000
    book = load_workbook(io.BytesIO(got[next(n for n in names if n.endswith(".xlsx"))].content))
    cells = {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    assert results["title"] in cells
    return {"results": results, "html": html, "cells": cells}


def test_predicted_vs_actual_journey_matches_the_cli(service, db, cohort_2019, tmp_path):
    app, settings, _ = service
    a = browser(app, "a")
    assert 'action="/local/evaluations"' in a.get("/local/evaluations").text
    r = ask(a, {"kind": "predicted", "title": "Pathways 2019", "from": "2019-01-01", "to": "2019-12-31"},
            ("cohort.csv", csv_bytes(cohort_2019[["person_id"]])))
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    queued = a.get(url)
    assert 'id="status">queued' in queued.text and "Sign out" in queued.text  # inside the service layout
    work(app.state.factory, settings, once=True)
    page = a.get(url).text
    assert 'id="status">done' in page and "Sign out" in page
    assert "regression to the mean" in page and "motivat" in page
    out = downloads_match(a, url, page)
    local = out["results"]["prediction"]["local"]
    assert out["results"]["title"] == "Predicted against actual: Pathways 2019"
    assert local["verdict"] == f"{NULL_CHECK} from predicted" and f"{NULL_CHECK} from predicted" in page
    assert "lower than predicted" not in page  # a null cohort is not declared a success
    m = out["results"]["prediction"]["matched"]["reoffended"]
    said = re.search(r'class="matched-verdict">([^<]+)<', page).group(1)
    assert said == ("lower than the matched comparison" if m["ci_high"] < 0 else "higher than the matched comparison"
                    if m["ci_low"] > 0 else "not distinguishable from the matched comparison")
    assert local["actual"] == pytest.approx(cohort_2019["reoffended"].mean())  # by hand, from the database
    # the CLI on the same people and period, an independent path through the command line
    file = tmp_path / "people.csv"
    cohort_2019[["person_id"]].to_csv(file, index=False)
    cli = cli_results(["local", "report", "--db", str(db), "--people", str(file), "--by", "region",
                       "--from", "2019-01-01", "--to", "2019-12-31", "--no-pdf"], tmp_path / "cli")
    for key in ("local", "local_frequency", "matched", "model", "people_in_cohort"):
        assert out["results"]["prediction"][key] == cli["prediction"][key], key
    assert out["results"]["areas"] == cli["areas"]
    # disclosure: every published count is [c] or a multiple of 5 (no 1 to 10)
    for row in out["results"]["areas"] + out["results"]["trends"]["rows"]:
        assert all(row[c] == "[c]" or row[c] % 5 == 0 for c in ("offenders", "reoffenders", "reoffences"))
    assert out["results"]["prediction"]["people_in_cohort"] % 5 == 0
    numbers = [c for c in out["cells"] if isinstance(c, float)]
    assert any(abs(c - local["actual"]) < 1e-4 for c in numbers) and f"{100 * local['actual']:.1f}%" in out["html"]


def test_tracking_journey_by_api_with_an_xlsx_file(service, db, tmp_path):
    """A null scheme after a burst of offending: the naive fall is 'significant', the service's verdict is not."""
    app, settings, tokens = service
    scheme = burst_scheme(db)
    book = tmp_path / "scheme.xlsx"
    scheme.assign(selection_date=pd.to_datetime(scheme["selection_date"])).to_excel(book, index=False)
    api = TestClient(app)
    auth = {"Authorization": f"Bearer {tokens['a']}"}
    r = api.post("/api/local/evaluations", data={"kind": "tracking", "title": "IOM 2015-16"},
                 files={"file": ("scheme.xlsx", book.read_bytes())}, headers=auth)
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    assert api.get(f"/api/local/evaluations/{eid}", headers=auth).json()["status"] == "queued"
    assert api.get(f"/api/local/evaluations/{eid}/results", headers=auth).status_code == 404  # not yet
    work(app.state.factory, settings, once=True)
    status = api.get(f"/api/local/evaluations/{eid}", headers=auth).json()
    assert status["status"] == "done" and status["files"][0] == "tracking.json"
    results = api.get(f"/api/local/evaluations/{eid}/results", headers=auth).json()
    assert results["naive_high"] < 0  # before/after alone would call it a success
    assert results["effect_low"] <= 0 <= results["effect_high"] and results["verdict"].startswith(NULL_CHECK)
    a = browser(app, "a")
    page = a.get(f"/local/evaluations/{eid}").text
    assert "regression to the mean" in page and NULL_CHECK in page and "motivation" in page
    assert a.get(f"/local/evaluations/{eid}/files/tracking.png").content[:4] == b"\x89PNG"
    out = downloads_match(a, f"/local/evaluations/{eid}", page)
    assert out["results"] == results
    file = tmp_path / "scheme.csv"
    scheme.to_csv(file, index=False)
    cli = cli_results(["local", "track", "--db", str(db), "--people", str(file)], tmp_path / "cli")
    for key in ("effect", "effect_low", "effect_high", "naive_change", "scheme_people", "comparison_people",
                "series", "verdict"):
        assert results[key] == cli[key], key
    assert results["scheme_people"] % 5 == 0


def test_demand_journey_matches_the_cli(service, db, tmp_path):
    app, settings, _ = service
    a = browser(app, "a")
    choice = {"kind": "demand", "level": "local_authority", "area": "Southwark", "from": "2019-01-01",
              "to": "2019-12-31", "baseline_from": "2017-01-01", "baseline_to": "2017-12-31"}
    r = ask(a, choice)
    assert r.status_code == 303, r.text
    work(app.state.factory, settings, once=True)
    page = a.get(r.headers["location"]).text
    assert "Demand on the justice system" in page and "no evidence" in page
    out = downloads_match(a, r.headers["location"], page)
    cli = cli_results(["local", "report", "--db", str(db), "--by", "local_authority", "--area",
                       "local_authority=Southwark", "--from", "2019-01-01", "--to", "2019-12-31", "--baseline-from",
                       "2017-01-01", "--baseline-to", "2017-12-31", "--no-predict", "--no-pdf"], tmp_path / "cli")
    assert out["results"]["demand"] == cli["demand"] and out["results"]["areas"] == cli["areas"]


def test_a_submissions_linked_people_are_a_cohort(service, cohort_2019):
    """An analysed submission's treatment group (the linkage's output file), with an uploaded file, is the cohort."""
    app, settings, _ = service
    a = browser(app, "a")
    with app.state.factory() as s:
        user = s.scalar(select(User).where(User.email == "a@org.test"))
        sub = Submission(organisation_id=user.organisation_id, uploaded_by=user.id, programme="Link workers",
                         filename="x.csv", status="in review")
        s.add(sub)
        s.commit()
        sid = sub.id
    group = settings.data_dir / "work" / sid
    group.mkdir(parents=True)
    cohort_2019[["person_id"]].head(200).assign(intervention_start="2019-01-01").to_csv(group / "treatment_group.csv",
                                                                                      index=False)
    assert "Link workers" in a.get("/local/evaluations").text
    # the submission's 200 people and a file of 150 (50 of them the same people): 300 in all
    r = ask(a, {"kind": "predicted", "submission": sid, "from": "2019-01-01", "to": "2019-12-31"},
            ("more.csv", csv_bytes(cohort_2019[["person_id"]].tail(150))))
    assert r.status_code == 303, r.text
    work(app.state.factory, settings, once=True)
    eid = r.headers["location"].rsplit("/", 1)[1]
    results = a.get(f"/local/evaluations/{eid}/files/results.json").json()
    assert results["prediction"]["people_supplied"] == 300
    assert results["prediction"]["local"]["actual"] == pytest.approx(cohort_2019["reoffended"].mean())
    b = browser(app, "b")  # another organisation cannot use the submission
    r = ask(b, {"kind": "predicted", "submission": sid})
    assert r.status_code == 400 and "choose one of your organisation" in r.text
    with app.state.factory() as s:
        ev = s.get(LocalEvaluation, eid)
        assert ev.people_path is None and not list((settings.data_dir / "local-evaluations" / eid).glob("people*"))


def test_other_organisations_get_404_everywhere(service):
    app, _, tokens = service
    with app.state.factory() as s:
        evs = s.scalars(select(LocalEvaluation)).all()
    assert evs, "the journeys above leave evaluations"
    b, a = browser(app, "b"), browser(app, "a")
    as_b = {"Authorization": f"Bearer {tokens['b']}"}
    api = TestClient(app)
    for ev in evs:
        base = f"/local/evaluations/{ev.id}"
        assert a.get(base).status_code == 200
        for url in (base, f"{base}/files/results.json", f"{base}/files/tracking.json", f"{base}/files/local.pdf",
                    f"{base}/files/tracking.png", f"{base}/files/local.xlsx"):
            assert b.get(url).status_code == 404, url
        assert b.post(f"{base}/rerun", data={"csrf": csrf_of(b)}).status_code == 404
        for url in (f"/api{base}", f"/api{base}/results", f"/api{base}/files/local.html"):
            assert api.get(url, headers=as_b).status_code == 404, url
        assert api.get(f"/api{base}").status_code == 401
        assert ev.id not in b.get("/local/evaluations").text
    assert api.get("/api/local/evaluations", headers=as_b).json() == []
    with app.state.factory() as s:  # an analyst has no organisation: no evaluations to ask for or see
        analyst = issue(s, add_user(s, "analyst@lab.test", PASSWORD, role="analyst"), "api")[0]
    as_analyst = {"Authorization": f"Bearer {analyst}"}
    assert api.post("/api/local/evaluations", data={"kind": "demand"}, headers=as_analyst).status_code == 403
    assert api.get(f"/api/local/evaluations/{evs[0].id}", headers=as_analyst).status_code == 404
    # an upload without credentials is refused before its body is read (the service's Guard)
    assert api.post("/api/local/evaluations", files={"file": ("p.csv", b"person_id\n1\n")}).status_code == 401
    assert TestClient(app).get("/local/evaluations", follow_redirects=False).status_code == 303
    assert b.get("/local/evaluations/../../store.db").status_code == 404
    with app.state.factory() as s:
        actions = [x.action for x in s.scalars(select(Audit)).all()]
    assert "refused local evaluation viewed" in actions and "local evaluation viewed" in actions


BAD = [
    ({"kind": "predicted"}, ("p.csv", b"person_id\n12\nabc\n"), "p.csv row 2, column person_id: 'abc' is not a whole number"),
    ({"kind": "predicted"}, ("p.csv", b"id\n12\n"), "p.csv: no column person_id"),
    ({"kind": "tracking"}, ("s.csv", b"person_id,selection_date\n5,2016-13-01\n"),
     "s.csv row 1, column selection_date: '2016-13-01' is not a date"),
    ({"kind": "tracking"}, ("s.csv", b"person_id\n5\n"), "s.csv: no column selection_date"),
    ({"kind": "tracking"}, ("s.csv", b"person_id,selection_date\n5,2016-01-01\n5,2016-02-01\n"),
     "s.csv row 2, column person_id: 5 appears twice"),
    ({"kind": "predicted"}, ("p.xlsx", b"PK\x03\x04 not really a workbook"), "p.xlsx cannot be read"),
    ({"kind": "predicted"}, ("p.txt", b"person_id\n1\n"), "only .csv or .xlsx"),
    ({"kind": "predicted"}, None, "cohort: choose a submission or upload a file"),
    ({"kind": "predicted", "from": "2019-01-01"}, None, "give both from and to"),
    ({"kind": "demand", "level": "local_authority", "area": "Southwark"}, None, "give both baseline from and baseline to"),
    ({"kind": "demand", "level": "borough", "area": "X"}, None, "demand needs an area"),
    ({"kind": "oracle"}, None, "kind: choose one of"),
    ({"kind": "demand", "level": "region", "area": "London", "baseline_from": "2017-01-01", "baseline_to": "2017-12-31"},
     ("p.csv", b"person_id\n1\n"), "demand is for an area, not a cohort"),
]


def test_bad_requests_are_refused_by_row_and_column_and_nothing_is_queued(service):
    app, settings, tokens = service
    a = browser(app, "a")
    with app.state.factory() as s:
        before = s.query(LocalEvaluation).count()
    for data, file, message in BAD:
        r = ask(a, data, file)
        assert r.status_code == 400 and message in r.text.replace("&#39;", "'"), (message, r.text[-500:])
        assert "Traceback" not in r.text and 'id="evaluation-form"' in r.text  # the form again, with the reason
    assert a.post("/local/evaluations", data={"kind": "demand"}).status_code == 403  # no CSRF token
    auth = {"Authorization": f"Bearer {tokens['a']}"}
    r = TestClient(app).post("/api/local/evaluations", data={"kind": "tracking"},
                             files={"file": ("s.csv", b"person_id,selection_date\nx,2016-01-01\n")}, headers=auth)
    assert r.status_code == 400 and r.json()["error"] == "s.csv row 1, column person_id: 'x' is not a whole number"
    with app.state.factory() as s:
        assert s.query(LocalEvaluation).count() == before
        assert not s.scalars(select(Job).where(Job.kind == "local", Job.state == "queued")).all()
    # a data problem found by the job (a person not on the database) returns it with the reason
    r = ask(a, {"kind": "tracking"}, ("s.csv", b"person_id,selection_date\n999999999,2016-01-01\n"))
    work(app.state.factory, settings, once=True)
    page = a.get(r.headers["location"]).text
    assert 'id="status">returned' in page and "not on the database" in page


def test_a_failed_job_is_retried_and_can_be_run_again(service, cohort_2019, monkeypatch):
    app, settings, _ = service
    a = browser(app, "a")
    r = ask(a, {"kind": "predicted", "from": "2019-01-01", "to": "2019-12-31"},
            ("c.csv", csv_bytes(cohort_2019[["person_id"]])))
    url = r.headers["location"]
    from justicelab.local import evaluation

    real = evaluation.evaluate
    monkeypatch.setattr(evaluation, "evaluate", lambda *args: 1 / 0)  # a fault, three times
    work(app.state.factory, settings, once=True)
    page = a.get(url).text
    assert 'id="status">failed' in page and 'id="rerun"' in page
    monkeypatch.setattr(evaluation, "evaluate", real)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert a.post(f"{url}/rerun", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    work(app.state.factory, settings, once=True)
    assert 'id="status">done' in a.get(url).text


def test_area_statistics_inside_the_layout(service):
    app, _, _ = service
    a = browser(app, "a")
    page = a.get("/local?by=region&start=2019-01-01&end=2019-12-31")
    assert page.status_code == 200 and "Sign out" in page.text and 'id="area-form"' in page.text
    assert "England and Wales" in page.text and "2019-01-01" in page.text
    assert re.findall(r'<th scope="col">([^<]+)</th>', page.text)[:3] == ["region", "offenders", "reoffenders"]
    src = re.search(r'<img src="([^"]+)" alt="Proven reoffending rate by quarterly cohort: England and Wales from \d+%',
                    page.text).group(1).replace("&amp;", "&")
    png = a.get(src)
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert TestClient(app).get(src, follow_redirects=False).status_code == 303  # signed-in users only
    bad = a.get("/local?by=region&start=2019-01-01")
    assert bad.status_code == 400 and "give both from and to" in bad.text and "Sign out" in bad.text


def test_the_migrations_build_the_models_schema(tmp_path):
    """`alembic check` after upgrading an empty store: autogenerate finds nothing, so migration 0004 (local
    evaluations, job.evaluation_id, audit.evaluation_id) and every earlier one are the models' schema."""
    from importlib import resources

    from alembic import command
    from alembic.config import Config

    from justicelab.service.store import migrate

    url = f"sqlite:///{tmp_path / 's.db'}"
    migrate(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("justicelab.service").joinpath("migrations")))
    cfg.set_main_option("sqlalchemy.url", url)
    command.check(cfg)  # raises AutogenerateDiffsDetected otherwise


@given(st.integers(min_value=0, max_value=10_000))
def test_published_counts_are_never_1_to_10(n):
    """Tracking's people counts as published (scheme, matched and comparison people): [c] exactly for 1 to
    10, else a multiple of 5 within 2.5 of the truth."""
    from justicelab.local.run import published_count

    shown = published_count(n)
    if 1 <= n <= 10:
        assert shown == "[c]"
    else:
        assert shown % 5 == 0 and abs(shown - n) <= 2.5


@pytest.mark.slow
def test_a_real_submission_feeds_a_local_evaluation(tmp_path_factory, tmp_path):
    """End to end: a synthetic programme's submission is validated, linked and analysed by the worker; its
    treatment group is then the cohort of predicted against actual and of cohort tracking."""
    from justicelab.data.synth.submission import write_submission

    db = synthetic_db(tmp_path_factory, 200_000, 41)  # the database of tests/test_service.py
    good = write_submission(db, "link-worker", tmp_path / "good.csv", seed=3)["submission"]
    settings = Settings(database=db, data_dir=tmp_path / "data", retention_days=30)
    app = create_app(f"sqlite:///{tmp_path / 'store.db'}", settings)
    with app.state.factory() as s:
        add_user(s, "a@org.test", PASSWORD, organisation="Org A")
    a = browser(app, "a")
    home = a.get("/").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', home).group(1)
    with open(good, "rb") as fh:
        r = a.post("/submissions", data={"programme": "Link workers", "csrf": csrf}, files={"file": ("good.csv", fh)})
    sid = r.url.path.rsplit("/", 1)[1]
    work(app.state.factory, settings, once=True)
    members = pd.read_csv(settings.data_dir / "work" / sid / "treatment_group.csv")
    assert f'value="{sid}"' in a.get("/local/evaluations").text
    urls = [ask(a, {"kind": kind, "submission": sid}).headers["location"] for kind in ("predicted", "tracking")]
    work(app.state.factory, settings, once=True)
    for url in urls:
        assert 'id="status">done' in a.get(url).text
    predicted = a.get(f"{urls[0]}/files/results.json").json()["prediction"]
    assert predicted["people_supplied"] == members["person_id"].nunique()
    tracking = a.get(f"{urls[1]}/files/tracking.json").json()
    assert tracking["scheme_people"] == "[c]" or abs(tracking["scheme_people"] - members["person_id"].nunique()) <= 2.5


def test_the_sweeper_still_mends_submissions_while_a_local_job_waits(service, tmp_path):
    """A local job has no submission (job.submission_id NULL). The sweeper's "waiting with no job" query is
    a NOT IN over the active jobs' submission ids: one NULL there would make it match nothing."""
    from justicelab.service.jobs import sweep

    app, settings, _ = service
    a = browser(app, "a")
    assert ask(a, {"kind": "demand", "level": "region", "area": "London", "baseline_from": "2017-01-01",
                   "baseline_to": "2017-12-31"}).status_code == 303  # queued, not run
    upload = tmp_path / "s.csv"
    upload.write_text("x\n")
    with app.state.factory() as s:
        user = s.scalar(select(User).where(User.email == "a@org.test"))
        sub = Submission(organisation_id=user.organisation_id, uploaded_by=user.id, programme="Lost job",
                         filename="s.csv", status="validated", path=str(upload))
        s.add(sub)
        s.commit()
        sid = sub.id
    sweep(app.state.factory, settings)
    with app.state.factory() as s:
        assert s.scalars(select(Job).where(Job.submission_id == sid)).all(), "the waiting submission got its job"
        s.execute(Job.__table__.delete().where(Job.submission_id == sid))
        s.get(Submission, sid).status = "failed"  # leave nothing for the other tests' workers
        s.commit()
    work(app.state.factory, settings, once=True)  # the demand job runs


@pytest.mark.slow  # a worker process of its own: about 15 s
def test_a_worker_killed_mid_evaluation_is_rerun_to_the_end(service, cohort_2019):
    """The worker process dies (SIGKILL) after writing the outputs, before recording the end: the job is
    claimed again once its heartbeat is stale and the evaluation completes."""
    import os
    import subprocess
    import sys

    app, settings, _ = service
    a = browser(app, "a")
    url = ask(a, {"kind": "predicted", "from": "2019-01-01", "to": "2019-12-31"},
              ("c.csv", csv_bytes(cohort_2019[["person_id"]]))).headers["location"]
    store = f"sqlite:///{settings.data_dir.parent / 'store.db'}"
    done = subprocess.run([sys.executable, "-m", "justicelab.cli", "worker", "--db", str(settings.database), "--data",
                           str(settings.data_dir), "--store", store, "--once"], capture_output=True, timeout=300,
                          env={**os.environ, "JUSTICELAB_CRASH_AT": "local-written"})
    assert done.returncode == -9, done.stderr[-2000:]
    eid = url.rsplit("/", 1)[1]
    with app.state.factory() as s:
        job = s.scalar(select(Job).where(Job.evaluation_id == eid))
        assert job.state == "running" and s.get(LocalEvaluation, eid).status == "running"
        job.heartbeat = job.heartbeat.replace(year=2000)  # as if 30 s had passed without a heartbeat
        s.commit()
    assert 'id="status">running' in a.get(url).text
    work(app.state.factory, settings, once=True)  # the restarted worker
    with app.state.factory() as s:
        job = s.scalar(select(Job).where(Job.evaluation_id == eid))
        assert job.state == "done" and job.attempts == 2
    assert 'id="status">done' in a.get(url).text and a.get(f"{url}/files/local.pdf").content[:4] == b"%PDF"
