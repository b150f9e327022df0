"""Prison leavers with a planted effect of employment on reoffending: the test bed for the landmark design.

A day-by-day simulation of the year after release (vectorised over people). Observed at release: age,
previous offences, employment before custody, sentence group. Every day a person may reoffend (a
front-loaded hazard raised by their history) and, if not in custody, start P45 employment (a hazard
raised by previous employment, lowered by age and history). A first reoffence sends half of the
reoffenders back into custody for 60-240 days and halves their chance of getting a job afterwards:
the time ordering that makes "employed at some point in the year" partly a consequence of not
reoffending. Once employed, the reoffending hazard is multiplied by the planted hazard ratio of the
person's sentence group. All confounding is through the observed characteristics, so a design that
gets the time ordering right can recover the truth by matching on them.

Truths, from coupled worlds that share every random number:
* landmark: among people not reoffended by day L and employed by then, reoffending on days L+1..365 as
  it happened minus the same had they not been employed from day L+1 (the same history to day L; later
  employment following its natural course);
* naive: among people employed at any time in the year, one-year reoffending as it happened minus the
  same in a world without employment.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SHORT, LONG = "Under 12 months", "12 months or more"


@dataclass(frozen=True)
class LeaverModel:
    hazard_ratio: dict = field(default_factory=lambda: {SHORT: 0.7, LONG: 0.8})  # while employed
    base_reoffend: float = -4.9  # log daily hazard at day 1 for a reference person
    shape: float = 0.8  # Weibull-like shape: risk highest just after release
    base_employ: float = -6.6  # log daily hazard of starting employment
    recall_share: float = 0.5  # reoffenders back in custody
    landmark: int = 91


def _people(n: int, rng: np.random.Generator) -> pd.DataFrame:
    short = rng.random(n) < 0.6
    age = np.clip(np.round(18 + rng.gamma(2.0, 7.0, n)), 18, 70)
    prior = rng.poisson(np.exp(1.2 + 0.4 * rng.standard_normal(n)))
    worked = (rng.random(n) < 1 / (1 + np.exp(-(-0.3 - 0.08 * prior + 0.02 * (age - 30))))).astype(int)
    months = np.where(short, rng.uniform(1, 12, n), rng.uniform(12, 60, n))
    return pd.DataFrame({"person_id": np.arange(1, n + 1), "age": age, "previous_offences": prior,
                         "employed_before": worked, "custodial_months": months.round(1),
                         "sentence_group": np.where(short, SHORT, LONG)})


def _world(x: pd.DataFrame, model: LeaverModel, u_r: np.ndarray, u_e: np.ndarray, recall: np.ndarray,
           stay: np.ndarray, employ: bool = True, end_jobs_at: int | None = None,
           skip_first_hire: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """First reoffence day and employment start day (0 = none in the year) for one world. skip_first_hire:
    each person's first hire does not happen and hiring goes on as it would (the sequential design's
    counterfactual)."""
    n = len(x)
    risk = np.exp(model.base_reoffend + 0.25 * np.log1p(x["previous_offences"].to_numpy())
                  - 0.02 * (x["age"].to_numpy() - 30) - 0.3 * (x["sentence_group"].to_numpy() == LONG)
                  - 0.3 * x["employed_before"].to_numpy())
    hire = np.exp(model.base_employ + 1.0 * x["employed_before"].to_numpy() - 0.015 * (x["age"].to_numpy() - 30)
                  - 0.1 * np.log1p(x["previous_offences"].to_numpy()))
    hr = x["sentence_group"].map(model.hazard_ratio).to_numpy()
    reoff, start = np.zeros(n, np.int64), np.zeros(n, np.int64)
    free_from = np.zeros(n, np.int64)
    skipped = np.zeros(n, bool)
    for t in range(1, 366):
        if t - 1 == end_jobs_at:  # the coupled world: every job held on day L ends with it
            start[:] = 0
        shape = model.shape * t ** (model.shape - 1)
        employed = start > 0
        h = risk * shape * np.where(employed, hr, 1.0)
        new = (reoff == 0) & (u_r[t - 1] < 1 - np.exp(-h))
        reoff[new] = t
        free_from[new & recall] = t + stay[new & recall]
        if employ:
            g = hire * np.where(reoff > 0, 0.5, 1.0)
            can = (start == 0) & (t >= free_from)
            hired = can & (u_e[t - 1] < 1 - np.exp(-g))
            if skip_first_hire:
                hired, skipped = hired & skipped, skipped | hired
            start[hired] = t
    return reoff, start


def simulate_leavers(n: int = 20_000, seed: int = 1, model: LeaverModel = LeaverModel()) -> tuple[pd.DataFrame, dict]:
    """The prison leavers (as the database would show them) and the true effects by sentence group."""
    rng = np.random.default_rng(seed)
    x = _people(n, rng)
    u_r = rng.random((365, n), dtype=np.float32)
    u_e = rng.random((365, n), dtype=np.float32)
    recall = rng.random(n) < model.recall_share
    stay = rng.integers(60, 241, n)
    reoff, start = _world(x, model, u_r, u_e, recall, stay)
    reoff0, _ = _world(x, model, u_r, u_e, recall, stay, employ=False)
    L = model.landmark
    # coupled world for the landmark truth: the same until day L, then nobody employed on day L+1
    # (later employment follows its natural course)
    reoff_l, _ = _world(x, model, u_r, u_e, recall, stay, end_jobs_at=L)
    reoff_s, _ = _world(x, model, u_r, u_e, recall, stay, skip_first_hire=True)
    frame = x.assign(days_to_first_reoffence=np.where(reoff > 0, reoff, np.nan),
                     days_to_employment=np.where(start > 0, start, np.nan),
                     days_to_custody=np.where((reoff > 0) & recall, reoff, np.nan))
    at_risk = (reoff == 0) | (reoff > L)
    exposed = at_risk & (start > 0) & (start <= L)
    after = (reoff > L).astype(float)
    after_cf = (reoff_l > L).astype(float)
    free, free_cf = days_free(reoff, L), days_free(reoff_l, L)
    employed_year = start > 0
    # sequential: hired on day t <= 300 while free of reoffending (employment/sequential.py)
    hired_at_risk = (start > 0) & (start <= 300) & ((reoff == 0) | (reoff >= start))
    truth = {}
    for group in (SHORT, LONG):
        g = (x["sentence_group"] == group).to_numpy()
        e, y, s = exposed & g, employed_year & g, hired_at_risk & g
        truth[group] = {
            "landmark": float(after[e].mean() - after_cf[e].mean()), "landmark_people": int(e.sum()),
            "landmark_days_free": float(free[e].mean() - free_cf[e].mean()),
            "naive": float((reoff[y] > 0).mean() - (reoff0[y] > 0).mean()), "naive_people": int(y.sum()),
            "sequential": float(reoffended_after(reoff, 0)[s].mean() - reoffended_after(reoff_s, 0)[s].mean()),
            "sequential_people": int(s.sum()),
            "sequential_days_free": float(days_free(reoff, 0)[s].mean() - days_free(reoff_s, 0)[s].mean()),
            "hazard_ratio": model.hazard_ratio[group]}
    return frame, truth


def day_of(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A day-after-release column with 0 for none (no reoffence, job or custody in the year)."""
    return frame[column].fillna(0).to_numpy()


def reoffended_after(first_reoffence: np.ndarray, day: int) -> np.ndarray:
    """A first reoffence on days day+1..365 (day 0: at any time in the year); 0 stands for none."""
    return (first_reoffence > day) & (first_reoffence <= 365)


def days_free(first_reoffence: np.ndarray, landmark: int) -> np.ndarray:
    """Days from the landmark to the first reoffence, or to day 365 for people who do not reoffend by then
    (the restricted mean time to first reoffence: longer is better)."""
    day = np.where((first_reoffence > 0) & (first_reoffence <= 365), first_reoffence, 366)
    return (day - 1 - landmark).astype(float)
