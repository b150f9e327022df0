"""Cohort tracking for schemes like IOM: proven offences per person per month before and after
selection, against a comparison group with the same pre-selection trajectory.

People are picked for such schemes after a recent burst of offending. Bursts subside whatever anyone
does (regression to the mean), so a naive before/after comparison shows a fall even for a scheme that
does nothing. The comparison here takes, from everyone sentenced or cautioned in the same window,
people whose offending in the 3, 12 and 24 months before their own sentence looked the same (exact
strata on those counts, sex, age band and whether the occasion was custody) and weights them to the
scheme's strata; the scheme's effect is its before/after change minus theirs.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..engine import Engine, Step, run_steps
from ..errors import JusticeLabError
from ..measures.cohort import age_in_years, index_events_step
from .intervals import Z95

CAVEAT = (
    "People join schemes like IOM after a burst of offending, and bursts subside whatever anyone does "
    "(regression to the mean): the naive before/after fall is shown only to be discounted. The comparison "
    "people had the same offending in the 24 months before their own sentence or caution, so their fall is "
    "what the scheme's people would have shown without it, as far as the records can tell; motivation to "
    "change, which the records do not show, can still make a scheme look better than it is.")
MONTH = 30.4375
MONTHS = 24  # tracked before and after selection
FOLLOW = 12  # months compared before and after


def events_step(start: date, end: date, snapshot: date) -> Step:
    """Candidate events: each adult's first sentence or caution in the window whose 24 months after
    (plus six months for offences to be proven) end by the snapshot."""
    def sql(d):
        return f"""
        SELECT person_id, disposal_id, event_date, disposal_type, age, gender FROM (
          SELECT e.person_id, e.disposal_id, e.disposal_date AS event_date, e.disposal_type,
                 {age_in_years('p.date_of_birth', 'e.disposal_date')} AS age, p.gender,
                 row_number() OVER (PARTITION BY e.person_id ORDER BY e.disposal_date, e.disposal_id) AS rn
          FROM index_events e JOIN person p USING (person_id)
          WHERE e.disposal_date BETWEEN DATE '{start.isoformat()}' AND DATE '{end.isoformat()}'
            AND {d.add_days('e.disposal_date', int(MONTHS * MONTH) + 183)} <= DATE '{snapshot.isoformat()}')
        WHERE rn = 1 AND age >= 18"""
    return Step("tracking_events", sql)


def monthly_offences(engine: Engine, events: str = "tracking_events") -> pd.DataFrame:
    """Proven offences (not breaches) per person per month from -24 to +23 around each event, counted in
    the engine; month 0 is days 1 to 30 after the event, month -1 the 30 days before it (the event day's
    own offences belong to the event)."""
    d = engine.dialect
    days = d.days_between("t.event_date", "o.offence_date")
    long = engine.query(f"""
        SELECT person_id, month, count(*) AS offences FROM (
          SELECT t.person_id,
                 CAST(floor(CASE WHEN {days} > 0 THEN ({days} - 1) / {MONTH} ELSE {days} / {MONTH} END) AS INTEGER)
                   AS month
          FROM {events} t JOIN offence o ON o.person_id = t.person_id
          WHERE NOT o.is_breach AND o.offence_date <> t.event_date
            AND o.offence_date BETWEEN {d.add_days('t.event_date', -int(MONTHS * MONTH) - 1)}
                                   AND {d.add_days('t.event_date', int(MONTHS * MONTH) + 1)})
        WHERE month BETWEEN {-MONTHS} AND {MONTHS - 1}
        GROUP BY 1, 2""")
    ids = engine.query(f"SELECT person_id FROM {events} ORDER BY person_id")["person_id"]
    wide = long.pivot(index="person_id", columns="month", values="offences").reindex(
        index=ids, columns=range(-MONTHS, MONTHS)).fillna(0).astype(np.int32)
    return wide


def build_tracking(engine: Engine, start: date, end: date, snapshot: date) -> pd.DataFrame:
    """One row per candidate: its event, covariates and 48 monthly offence counts (columns -24..23)."""
    run_steps(engine, [index_events_step(), events_step(start, end, snapshot)])
    events = engine.query("SELECT * FROM tracking_events ORDER BY person_id").set_index("person_id")
    return events.join(monthly_offences(engine))


def scheme_events_step() -> Step:
    """The scheme's people (table `scheme`: person_id, event_date = selection date) with the same
    covariates as the candidates; 'custody' is the type of their latest sentence on or before selection."""
    return Step("scheme_events", f"""
        SELECT s.person_id, CAST(NULL AS BIGINT) AS disposal_id, s.event_date,
               coalesce(l.disposal_type, 'none') AS disposal_type,
               {age_in_years('p.date_of_birth', 's.event_date')} AS age, p.gender
        FROM scheme s JOIN person p USING (person_id)
        LEFT JOIN (SELECT * FROM (
            SELECT s2.person_id, d.disposal_type,
                   row_number() OVER (PARTITION BY s2.person_id ORDER BY d.disposal_date DESC, d.disposal_id DESC) AS rn
            FROM scheme s2 JOIN disposal d ON d.person_id = s2.person_id AND d.disposal_date <= s2.event_date) x
          WHERE rn = 1) l ON l.person_id = s.person_id""")


def scheme_and_pool(engine: Engine, scheme: pd.DataFrame, snapshot: date) -> tuple[pd.DataFrame, pd.Series]:
    """Monthly offences of a scheme's people (person_id, event_date) and of the comparison pool (everyone
    else sentenced or cautioned between the first and last selection dates)."""
    engine.register_typed("scheme", scheme[["person_id", "event_date"]], {"person_id": "BIGINT", "event_date": "DATE"})
    run_steps(engine, [scheme_events_step()])
    mine = engine.query("SELECT * FROM scheme_events ORDER BY person_id").set_index("person_id")
    mine = mine.join(monthly_offences(engine, "scheme_events"))
    if len(mine) < len(scheme):
        raise JusticeLabError(f"{len(scheme) - len(mine)} of the scheme's people are not on the database")
    pool = build_tracking(engine, pd.Timestamp(scheme["event_date"].min()).date(),
                          pd.Timestamp(scheme["event_date"].max()).date(), snapshot)
    pool = pool[~pool.index.isin(mine.index)]
    frame = pd.concat([mine, pool])
    treated = pd.Series(np.r_[np.ones(len(mine), bool), np.zeros(len(pool), bool)], index=frame.index)
    return frame, treated


def strata(frame: pd.DataFrame) -> pd.Series:
    """The pre-selection trajectory and who the person is, coarsened into exact-matching strata."""
    m = frame[list(range(-MONTHS, 0))].to_numpy()
    recent, year, older = m[:, -3:].sum(1), m[:, -12:-3].sum(1), m[:, :-12].sum(1)
    parts = [np.minimum(recent, 4), np.digitize(year, [1, 3, 6]), np.digitize(older, [1, 3, 6]),
             np.digitize(frame["age"].to_numpy(), [25, 35, 50]), (frame["gender"] == "M").to_numpy().astype(int),
             (frame["disposal_type"] == "custody").to_numpy().astype(int)]
    return pd.Series(["-".join(map(str, row)) for row in zip(*parts)], index=frame.index)


def _change(frame: pd.DataFrame) -> np.ndarray:
    """Each person's offences per month in the year after minus the year before."""
    before = frame[list(range(-FOLLOW, 0))].to_numpy().mean(1)
    after = frame[list(range(0, FOLLOW))].to_numpy().mean(1)
    return after - before


def track(frame: pd.DataFrame, treated: pd.Series) -> dict:
    """Naive before/after for the scheme, and the same against the trajectory-matched comparison
    (difference in differences), each with a 95% interval; plus the monthly series for a chart."""
    if treated.sum() < 20:
        raise JusticeLabError(f"the scheme's cohort has {int(treated.sum())} people: at least 20 are needed")
    s = strata(frame)
    t, c = frame[treated], frame[~treated]
    n_t = s[treated].value_counts()
    n_c = s[~treated].value_counts()
    matched_t = s[treated].isin(n_c.index)
    weights = (n_t / n_c).reindex(s[~treated]).fillna(0).to_numpy()
    if matched_t.sum() < 20:
        raise JusticeLabError("fewer than 20 of the scheme's people have anyone with the same pre-selection "
                              "trajectory to compare with")
    d_t_all = _change(t)
    naive = float(d_t_all.mean())
    naive_half = Z95 * d_t_all.std(ddof=1) / np.sqrt(len(d_t_all))
    d_t, d_c = _change(t[matched_t.to_numpy()]), _change(c)
    mean_c = float(np.sum(weights * d_c) / weights.sum())
    var_c = float(np.sum(weights ** 2 * (d_c - mean_c) ** 2) / weights.sum() ** 2)
    did = float(d_t.mean()) - mean_c
    did_half = Z95 * np.sqrt(d_t.var(ddof=1) / len(d_t) + var_c)
    months = list(range(-MONTHS, MONTHS))
    series = pd.DataFrame({
        "month": months,
        "scheme": t[months].to_numpy().mean(0),
        "comparison": (weights[:, None] * c[months].to_numpy()).sum(0) / weights.sum(),
    })
    return {
        "scheme_people": int(treated.sum()), "matched_people": int(matched_t.sum()),
        "comparison_people": int((weights > 0).sum()),
        "naive_change": naive, "naive_low": naive - naive_half, "naive_high": naive + naive_half,
        "effect": did, "effect_low": did - did_half, "effect_high": did + did_half,
        "series": series,
    }
