"""Reconviction events counted by hand on a built database (each person one rule)."""
import pandas as pd

from justicelab.engine import DuckDBEngine, run_steps
from justicelab.pbr.events import reconviction_events_steps
from tests.fixtures import Fixture, d, plus

REL = d("2012-06-01")


def test_reconviction_event_rules():
    f = Fixture()
    for p in range(1, 8):
        f.person(p)
        f.disposal(p, d("2012-03-01"), "custody", months=6, release=REL)
    # 1: two offences proven on one occasion: one event; a second occasion: two events in all
    f.disposal(1, plus(REL, 100), "fine_discharge", offences=[(plus(REL, 20), "summary"), (plus(REL, 25), "summary")])
    f.disposal(1, plus(REL, 200), "community_order", offences=[(plus(REL, 150), "either_way")])
    # 2: a caution does not count
    f.disposal(2, plus(REL, 40), "caution", offences=[(plus(REL, 30), "summary")])
    # 3: offence on day 366: outside the 12 months
    f.disposal(3, plus(REL, 400), "fine_discharge", offences=[(plus(REL, 366), "summary")])
    # 4: offence on day 365 convicted on day 548: counts; 5: convicted on day 549: does not
    f.disposal(4, plus(REL, 548), "fine_discharge", offences=[(plus(REL, 365), "summary")])
    f.disposal(5, plus(REL, 549), "fine_discharge", offences=[(plus(REL, 300), "summary")])
    # 6: committed before release (in prison), convicted after: not an event
    f.disposal(6, plus(REL, 60), "custody", months=3, release=plus(REL, 100), offences=[(plus(REL, -20), "summary")])
    # 7: a breach of licence is not an offence
    f.disposal(7, plus(REL, 50), "fine_discharge", offences=[(plus(REL, 40), "summary")], breach=True)
    engine = f.register(DuckDBEngine())
    engine.register("pbr_cohort_raw", pd.DataFrame({"person_id": range(1, 8), "release_date": [REL] * 7}))
    engine.create_table("pbr_cohort", "SELECT person_id, CAST(release_date AS DATE) AS release_date FROM pbr_cohort_raw")
    run_steps(engine, reconviction_events_steps())
    got = engine.query("SELECT person_id, events FROM reconviction_events ORDER BY person_id")
    assert dict(zip(got["person_id"], got["events"])) == {1: 2, 2: 0, 3: 0, 4: 1, 5: 0, 6: 0, 7: 0}
    # a contract where cautions count: person 2's caution becomes an event; the list gives proven days
    run_steps(engine, reconviction_events_steps(cautions_count=True))
    got = engine.query("SELECT person_id, events FROM reconviction_events ORDER BY person_id")
    assert dict(zip(got["person_id"], got["events"]))[2] == 1
    days = engine.query("SELECT person_id, proven_day FROM reconviction_event_list ORDER BY person_id, proven_day")
    assert days.groupby("person_id")["proven_day"].apply(list).to_dict() == {1: [100, 200], 2: [40], 4: [548]}
