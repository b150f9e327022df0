"""Benchmark: the service's three local evaluations on an existing database, request to result.

    python benchmarks/bench_local_service.py --db national.duckdb [--people 1000]

Signs in an organisation's user (a throwaway SQLite store), asks for predicted against actual (a random
cohort of the 2019 national cohort, uploaded as CSV), cohort tracking (people sentenced in 2016 after 3+
offences in the 90 days before, a null scheme) and demand (the largest local authority, 2019 against
2017), then runs the worker. Prints the request's seconds (the upload is read and checked there), each
job's wall and CPU seconds, the verdicts and the peak memory. Not a test: it prints figures.
"""
from __future__ import annotations

import argparse
import re
import resource
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from justicelab.engine import DuckDBEngine
from justicelab.local.stats import build_area_cohort
from justicelab.service.accounts import add_user
from justicelab.service.app import create_app
from justicelab.service.jobs import Settings, claim, run_job
from justicelab.service.store import LocalEvaluation

PASSWORD = "a long enough password"


def cohorts(db: Path, people: int) -> tuple[bytes, bytes, str]:
    from datetime import date

    with DuckDBEngine(db, read_only=True) as e:
        build_area_cohort(e, date(2019, 1, 1), date(2019, 12, 31))
        ids = e.query(f"SELECT person_id FROM area_measures ORDER BY hash(person_id) LIMIT {people}")
        scheme = e.query(f"""
            SELECT person_id, strftime(disposal_date, '%Y-%m-%d') AS selection_date FROM (
              SELECT d.person_id, d.disposal_date,
                     row_number() OVER (PARTITION BY d.person_id ORDER BY d.disposal_date) rn,
                     (SELECT count(*) FROM offence o WHERE o.person_id = d.person_id AND NOT o.is_breach
                        AND o.offence_date < d.disposal_date AND o.offence_date >= d.disposal_date - 90) AS recent
              FROM disposal d WHERE d.disposal_date BETWEEN DATE '2016-01-01' AND DATE '2016-12-31'
                AND d.index_offence_group <> 'Breach of a court order')
            WHERE rn = 1 AND recent >= 3 ORDER BY hash(person_id) LIMIT {people}""")
        biggest = e.query("SELECT local_authority, count(*) AS n FROM area_measures GROUP BY 1 ORDER BY 2 DESC LIMIT 1")
    return ids.to_csv(index=False).encode(), scheme.to_csv(index=False).encode(), biggest.iloc[0, 0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--people", type=int, default=1000)
    args = ap.parse_args()
    people, scheme, area = cohorts(args.db, args.people)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database=args.db, data_dir=Path(tmp) / "data")
        app = create_app(f"sqlite:///{tmp}/store.db", settings)
        with app.state.factory() as s:
            add_user(s, "a@org.test", PASSWORD, organisation="Org A")
        client = TestClient(app)
        token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"email": "a@org.test", "password": PASSWORD, "login_csrf": token})
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/local/evaluations").text).group(1)
        asks = [({"kind": "predicted", "from": "2019-01-01", "to": "2019-12-31"}, ("cohort.csv", people)),
                ({"kind": "tracking"}, ("scheme.csv", scheme)),
                ({"kind": "demand", "level": "local_authority", "area": area, "from": "2019-01-01",
                  "to": "2019-12-31", "baseline_from": "2017-01-01", "baseline_to": "2017-12-31"}, None)]
        for data, file in asks:
            t = time.perf_counter()
            r = client.post("/local/evaluations", data={"csrf": csrf, **data}, files={"file": file} if file else None,
                            follow_redirects=False)
            print(f"request {data['kind']}: HTTP {r.status_code}, {time.perf_counter() - t:.2f} s")
        while (job := claim(app.state.factory, "bench")) is not None:
            wall, cpu = time.perf_counter(), time.process_time()
            run_job(app.state.factory, settings, job)
            with app.state.factory() as s:
                ev = s.get(LocalEvaluation, job.evaluation_id)
                print(f"job {ev.kind}: {ev.status}, {time.perf_counter() - wall:.1f} s wall, "
                      f"{time.process_time() - cpu:.1f} s CPU; {ev.headline or ev.comment}")
        with app.state.factory() as s:
            assert all(e.status == "done" for e in s.scalars(select(LocalEvaluation)))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
