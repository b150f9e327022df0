"""P45 employment after release from prison, with a planted effect on reoffending (seed 002; issue 15).

Each person's first release from custody in the window (programme participants aside) may be followed by a
job. The day it starts is drawn from a hazard that depends only on what the database records at release: age,
sentence group and employment in the two years before the index date. Matching on those therefore removes the
confounding (employability drives both earlier employment and reoffending, but reaches the job only through
the recorded history). Time ordering is what makes the naive comparison wrong: a reoffence before the job
would have begun halves the chance of taking it, and a new custodial sentence before then prevents it.

While employed, the reoffending hazard is multiplied by the sentence group's hazard ratio. The careers from
release on are simulated in four coupled worlds that share every random number: without the job's effect;
with it (what the database records); with it ending on the landmark day (the landmark design's
counterfactual); and without the job on its first day, the chance of one going on from then as it would (the
sequential design's counterfactual).
Background employment from the spells generator is removed from the sentence date to a year after release,
so in that year the planted job is the only one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .careers import CUSTODY, MISSING, Careers, Effect, normal_from_uniform, simulate
from .population import day, to_dates
from .programmes import continuation_start, first_per_person, one_year_outcomes
from .records import index_date, offences_per_occasion

SHORT, LONG = "Under 12 months", "12 months or more"


@dataclass(frozen=True)
class JobModel:
    window: tuple[str, str] = ("2015-01-01", "2019-12-31")  # releases whose year after release is planted
    hazard_ratio: dict = field(default_factory=lambda: {SHORT: 0.7, LONG: 0.8})  # while employed
    hire_intercept: float = -6.5  # log daily hazard of starting a job, reference person
    hire_employed_before: float = 1.1
    hire_age: float = -0.02  # per year over 30
    hire_long_sentence: float = -0.3
    after_reoffence: float = 0.5  # chance of still taking a job that would begin after a reoffence
    median_days: float = 200.0
    sigma: float = 1.0
    landmark: int = 91


@dataclass
class PlantedJobs:
    at: np.ndarray  # positions in occ of the releases re-simulated from
    world: Careers  # their careers from release on, with the jobs' effect: what the database records
    spells: tuple[np.ndarray, np.ndarray, np.ndarray]  # person position, start, end (day numbers): all employment
    truth: pd.DataFrame  # one row per release: each world's first reoffence


def eligible_releases(occ: dict, people: dict, taken: np.ndarray, model: JobModel) -> np.ndarray:
    """Positions in `occ` of each person's first release from custody in the window (adults, not taken)."""
    idx = index_date(occ)
    pid = occ["person"]
    ok = ((occ["disposal_type"] == CUSTODY) & (occ["release_date"] != MISSING) & (idx >= day(model.window[0]))
          & (idx <= day(model.window[1])) & ~taken[pid] & ((idx - people["dob"][pid]) >= 18 * 365.25))
    return first_per_person(np.flatnonzero(ok), idx, pid)


def cut_background(spells: tuple, person: np.ndarray, sentenced: np.ndarray, year_end: np.ndarray) -> tuple:
    """Employment spells with nothing held from the sentence date to a year after release, for these people
    (a spell running at sentence ends that day; one starting in the gap is dropped)."""
    who, start, end = spells
    cut_from = np.full(int(who.max(initial=0)) + 1, np.iinfo(np.int64).max)
    cut_to = np.full(len(cut_from), np.iinfo(np.int64).min)
    inside = person < len(cut_from)
    cut_from[person[inside]], cut_to[person[inside]] = sentenced[inside], year_end[inside]
    a, b = cut_from[who], cut_to[who]
    dropped = (start > a) & (start <= b)
    end = np.where((start <= a) & (end > a), a, end)
    keep = ~dropped
    return who[keep], start[keep], end[keep]


def employed_before(spells: tuple, person: np.ndarray, index: np.ndarray, history_days: int = 730) -> np.ndarray:
    """Employed on some day of the two years before the index date (the cohort's days_employed_2y > 0)."""
    who, start, end = spells
    frame = pd.DataFrame({"who": who, "start": start, "end": end})
    at = pd.DataFrame({"who": person, "index": index, "row": np.arange(len(person))})
    m = frame.merge(at, on="who")
    days = np.minimum(m["end"], m["index"]) - np.maximum(m["start"], m["index"] - history_days)
    hit = m.loc[(m["start"] < m["index"]) & (days > 0), "row"].to_numpy()
    out = np.zeros(len(person), bool)
    out[hit] = True
    return out


def _first_custody(c: Careers, n: int, after: np.ndarray) -> np.ndarray:
    """Per start position: the first custodial sentence date after `after` (MISSING-free: a large number)."""
    out = np.full(n, np.iinfo(np.int64).max)
    if c.occ:
        occ = c.occ
        sp = occ["start_pos"]
        hit = (occ["disposal_type"] == CUSTODY) & (occ["disposal_date"] > after[sp])
        np.minimum.at(out, sp[hit], occ["disposal_date"][hit])
    return out


def plant_jobs(careers: Careers, people: dict, taken: np.ndarray, spells: tuple, seed: int, snapshot: int,
               rng: np.random.Generator, model: JobModel = JobModel()) -> PlantedJobs:
    """Jobs after release, their effect in the recorded careers, and the truth of each world."""
    occ = careers.occ
    at = eligible_releases(occ, people, taken, model)
    n = len(at)
    person = occ["person"][at]
    release = index_date(occ)[at]
    sentenced = occ["disposal_date"][at]
    spells = cut_background(spells, person, sentenced, release + 365)
    start = continuation_start(occ, at, offences_per_occasion(careers)[at])
    long = np.nan_to_num(occ["custodial_months"][at]) >= 12
    worked = employed_before(spells, person, release)
    age = (release - people["dob"][person]) / 365.25
    hire = np.exp(model.hire_intercept + model.hire_employed_before * worked + model.hire_age * (age - 30)
                  + model.hire_long_sentence * long)
    r, r_later = rng.random((n, 3)), rng.random((n, 3))
    never = np.full(n, np.iinfo(np.int64).max // 4)

    def world(effect: Effect | None) -> Careers:
        """The careers from release on, coupled: every world draws the same random numbers."""
        return simulate(start, people, np.random.default_rng((seed, 2000)), snapshot, coupled=True, effect=effect)

    untreated = world(None)
    # the same in every world before a job begins: a reoffence halves the chance, custody prevents it
    first_any = _first_offence(untreated, n)
    custody = _first_custody(untreated, n, release)

    def job(after: np.ndarray, u: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A job drawn from the hiring hazard from day `after` on: (hired, first day, last day)."""
        first = after + np.maximum(np.ceil(-np.log1p(-u[:, 0]) / hire), 1).astype(np.int64)
        last = first + np.ceil(model.median_days * np.exp(model.sigma * normal_from_uniform(u[:, 1]))).astype(np.int64)
        hired = eligible & (first - release <= 365) & (first <= snapshot) & (custody > first)
        hired &= (first_any >= first) | (u[:, 2] < model.after_reoffence)
        return hired, np.where(hired, first, never), np.where(hired, last, never)

    hired, job_start, job_end = job(release, r, np.ones(n, bool))
    hr = np.where(long, model.hazard_ratio[LONG], model.hazard_ratio[SHORT])
    treated = world(Effect(hr, 1.0, start=job_start, until=job_end))
    landmark_end = np.minimum(job_end, release + model.landmark + 1)  # employed on days 1..L only
    ended = world(Effect(hr, 1.0, start=job_start, until=np.maximum(landmark_end, job_start)))
    # the sequential design's counterfactual: not hired on that day, and hiring going on as it would
    _, later_start, later_end = job(job_start, r_later, hired)
    later = world(Effect(hr, 1.0, start=later_start, until=later_end))
    y0 = one_year_outcomes(untreated, release)
    y1, yl, yk = (one_year_outcomes(w, release) for w in (treated, ended, later))
    # a new custodial sentence ends the job in the recorded world
    job_end = np.where(hired, np.minimum(job_end, _first_custody(treated, n, release)), MISSING)
    job_start = np.where(hired, job_start, MISSING)
    truth = pd.DataFrame({
        "person_id": person + 1, "release_date": to_dates(release),
        "sentence_group": np.where(long, LONG, SHORT), "hazard_ratio": hr,
        "job_start": to_dates(job_start), "job_end": to_dates(job_end),
        "first_reoffence_day": y1["days_to_first"].to_numpy(),
        "first_reoffence_day_without_job": y0["days_to_first"].to_numpy(),
        "first_reoffence_day_job_ended_at_landmark": yl["days_to_first"].to_numpy(),
        "first_reoffence_day_not_hired_that_day": yk["days_to_first"].to_numpy(),
    })
    h = np.flatnonzero(hired)
    return PlantedJobs(at, treated, (np.concatenate([spells[0], person[h]]), np.concatenate([spells[1], job_start[h]]),
                                     np.concatenate([spells[2], job_end[h]])), truth)


def _first_offence(c: Careers, n: int) -> np.ndarray:
    out = np.full(n, np.iinfo(np.int64).max)
    if c.occ:
        np.minimum.at(out, c.occ["start_pos"], c.occ["first_offence"])
    return out

