"""Fictitious programmes with planted effects, and the ground truth a real database never has.

Participants are chosen on observed risk and needs at an index event (so matching on observed
characteristics can recover the effect). From that index date each participant's career is simulated
twice with the same random numbers: once with the programme's effect (what the database records) and
once without (the counterfactual). Their difference is the true effect on the treated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from .careers import BREACH, CAUTION, COMMUNITY, CUSTODY, SUSPENDED, Careers, Effect, Start, simulate
from .population import day, to_dates
from .records import ALL_PRISONS, index_date

FOLLOW_UP_DAYS = 365
WAITING_DAYS = 183


@dataclass(frozen=True)
class Programme:
    name: str
    title: str
    organisation: str
    description: str
    disposal_types: tuple[int, ...]
    window: tuple[str, str]  # index dates the programme worked with
    hazard_ratio: float
    offences_ratio: float
    participants_per_million: int | None  # None: every eligible person takes part (a prison pilot)
    regions: tuple[str, ...] | None = None
    prisons: tuple[str, ...] | None = None
    male_only: bool = False
    max_custodial_months: float | None = None
    ogrs_weight: float = 1.0
    needs_weight: float = 0.4
    start_offset: tuple[int, int] = (0, 60)  # intervention start, days after the index date
    duration: tuple[int, int] = (60, 240)


PROGRAMMES: tuple[Programme, ...] = (
    Programme(
        "link-worker", "Pathways Link Worker Service", "Pathways Link Workers",
        "Link workers help people under probation supervision with complex needs to navigate housing, "
        "benefits, health and employment services, combining advocacy, practical support and mentoring.",
        (COMMUNITY, SUSPENDED), ("2015-01-01", "2017-12-31"), 0.80, 0.80, 650,
        regions=("Yorkshire and the Humber", "North West", "South East"), ogrs_weight=1.5, needs_weight=0.5),
    Programme(
        "prison-mentoring", "Inside Out Peer Mentoring", "Inside Out Mentors",
        "Trained peer mentors who have served sentences themselves support prisoners in the months before "
        "release and meet them at the gate.",
        (CUSTODY,), ("2015-01-01", "2017-12-31"), 0.90, 0.95, 900, ogrs_weight=0.8, needs_weight=0.3,
        start_offset=(-150, -30), duration=(60, 200)),
    Programme(
        "through-the-gate", "Nenebridge Through the Gate", "Fenland Resettlement Partnership",
        "Every man released from HMP Nenebridge after a sentence of under 12 months is offered resettlement "
        "support from the prison gate: accommodation, benefits, family and employment.",
        (CUSTODY,), ("2015-01-01", "2018-12-31"), 0.75, 0.90, None, prisons=("HMP Nenebridge",),
        male_only=True, max_custodial_months=12, start_offset=(-30, 0), duration=(90, 365)),
    Programme(
        "peer-mentoring", "London Community Peer Mentors", "Community Peer Mentors London",
        "Volunteer mentors meet people on community sentences weekly to build motivation and routines.",
        (COMMUNITY, SUSPENDED), ("2015-01-01", "2017-12-31"), 1.00, 1.00, 300,
        regions=("London",), ogrs_weight=0.5, needs_weight=0.2),
)


def by_name(name: str) -> Programme:
    for p in PROGRAMMES:
        if p.name == name:
            return p
    from ...errors import JusticeLabError

    raise JusticeLabError(f"unknown programme {name!r}; choose one of: {', '.join(p.name for p in PROGRAMMES)}")


def select_participants(prog: Programme, occ: dict, assess: dict, people: dict, person: pd.DataFrame,
                        prison: np.ndarray, taken: np.ndarray, rng: np.random.Generator, n_people: int) -> np.ndarray:
    """Positions (in `occ`) of the index occasions of the programme's participants."""
    idx = index_date(occ)
    pid = occ["person"]
    age = (idx - people["dob"][pid]) / 365.25
    elig = (np.isin(occ["disposal_type"], prog.disposal_types) & (idx >= day(prog.window[0]))
            & (idx <= day(prog.window[1])) & (age >= 17) & ~taken[pid])
    if prog.regions:
        regions = person["region"].array
        elig &= np.isin(regions.codes[pid], regions.categories.get_indexer(list(prog.regions)))
    if prog.prisons:
        elig &= np.isin(prison, [ALL_PRISONS.index(name) for name in prog.prisons]) & ~occ["released_from_court"]
    if prog.male_only:
        elig &= people["male"][pid]
    if prog.max_custodial_months:
        elig &= np.nan_to_num(occ["custodial_months"], nan=1e9) < prog.max_custodial_months
    cand = np.flatnonzero(elig)
    r = rng.random(len(cand))
    if len(cand) == 0:  # a small database may have nobody eligible: the programme has no participants
        return cand
    if prog.participants_per_million is None:
        chosen = cand
    else:
        needs = sum(assess[c].astype(int) for c in assess if c.startswith("need_"))[cand]
        ogrs = np.clip(assess["ogrs_score"][cand], 0.01, 0.99)
        score = (prog.ogrs_weight * np.log(ogrs / (1 - ogrs)) + prog.needs_weight * (needs - 4)
                 - 1.5 * ~occ["assessed"][cand])
        target = max(prog.participants_per_million * n_people / 1e6, 20.0)
        # expected number of distinct people chosen ~ target; first occasions per person dominate
        if (1 / (1 + np.exp(-(60 + score)))).sum() < 1.15 * target:  # fewer eligible than wanted: take all
            return first_per_person(cand, idx, pid)
        alpha = brentq(lambda a: (1 / (1 + np.exp(-(a + score)))).sum() - 1.15 * target, -60, 60)
        chosen = cand[r < 1 / (1 + np.exp(-(alpha + score)))]
    return first_per_person(chosen, idx, pid)


def first_per_person(chosen: np.ndarray, idx: np.ndarray, pid: np.ndarray) -> np.ndarray:
    """One index event per person: the earliest chosen."""
    if len(chosen) == 0:
        return chosen
    order = np.lexsort((idx[chosen], pid[chosen]))
    chosen = chosen[order]
    first = np.r_[True, pid[chosen][1:] != pid[chosen][:-1]]
    return chosen[first]


def continuation_start(occ: dict, at: np.ndarray, n_offences: np.ndarray) -> Start:
    custody = occ["disposal_type"][at] == CUSTODY
    order = np.isin(occ["disposal_type"][at], (COMMUNITY, SUSPENDED))
    return Start(
        person=occ["person"][at], clock=index_date(occ)[at], fresh=np.zeros(len(at), bool),
        prior_occasions=occ["prior_occasions"][at] + 1, prior_offences=occ["prior_offences"][at] + n_offences,
        prior_custody=occ["prior_custody"][at] + custody, after_custody=custody,
        last_order=np.where(order, occ["disposal_date"][at], -np.inf),
        last_months=np.nan_to_num(occ["custodial_months"][at]))


def one_year_outcomes(c: Careers, index: np.ndarray, follow_up: int = FOLLOW_UP_DAYS,
                      waiting: int = WAITING_DAYS) -> pd.DataFrame:
    """Reoffending in the year (or `follow_up` days) after `index` (per start position), by the official
    counting rules."""
    occ, off = c.occ, c.off
    n = len(index)
    out = pd.DataFrame({"reoffences": np.zeros(n, int), "days_to_first": np.full(n, np.nan), "events": np.zeros(n, int)})
    if not off or len(off["occ_id"]) == 0:
        return out
    pos_of = np.empty(occ["occ_id"].max() + 1, np.int64)
    pos_of[occ["occ_id"]] = np.arange(len(occ["occ_id"]))
    p = pos_of[off["occ_id"]]
    start = occ["start_pos"][p]
    days = off["offence_date"] - index[start]
    proven = occ["disposal_date"][p] - index[start]
    counted = (days >= 1) & (days <= follow_up) & (proven <= follow_up + waiting) & (off["group"] != BREACH)
    frame = pd.DataFrame({"start": start[counted], "days": days[counted]})
    agg = frame.groupby("start")["days"].agg(["count", "min"])
    out.loc[agg.index, "reoffences"] = agg["count"].to_numpy()
    out.loc[agg.index, "days_to_first"] = agg["min"].to_numpy().astype(float)
    # reconviction events (payment by results): court occasions, so cautions drop out and an occasion counts once
    court = counted & (occ["disposal_type"][p] != CAUTION)
    occasions = pd.DataFrame({"start": start[court], "occ": off["occ_id"][court]}).drop_duplicates()
    per_start = occasions.groupby("start").size()
    out.loc[per_start.index, "events"] = per_start.to_numpy()
    return out


def run_programme(prog: Programme, occ: dict, at: np.ndarray, offences_per_occ: np.ndarray, people: dict,
                  seed: tuple[int, ...], snapshot: int, rng: np.random.Generator):
    """Re-simulate participants from their index date with and without the programme (coupled)."""
    start = continuation_start(occ, at, offences_per_occ[at])
    idx = start.clock
    lo, hi = prog.start_offset
    i_start = idx + rng.integers(lo, hi + 1, len(at))
    i_end = i_start + rng.integers(prog.duration[0], prog.duration[1] + 1, len(at))
    # the effect runs for a year from the intervention's start (from release, if that is later)
    effect_from = np.maximum(i_start, idx)
    effect = Effect(prog.hazard_ratio, prog.offences_ratio, start=effect_from, until=effect_from + FOLLOW_UP_DAYS)
    treated = simulate(start, people, np.random.default_rng(seed), snapshot, coupled=True, effect=effect)
    untreated = simulate(start, people, np.random.default_rng(seed), snapshot, coupled=True, effect=None)
    y1, y0 = one_year_outcomes(treated, idx), one_year_outcomes(untreated, idx)
    # reoffending before the intervention began is the same in both worlds (the effect starts later)
    before_start = (y0["days_to_first"].to_numpy() < (effect_from - idx)) & y0["days_to_first"].notna().to_numpy()
    participants = pd.DataFrame({
        "programme": prog.name, "person_id": occ["person"][at] + 1, "disposal_id": at,  # position; mapped later
        "index_date": to_dates(idx), "intervention_start": to_dates(i_start), "intervention_end": to_dates(i_end),
        "reoffended_treated": y1["reoffences"].to_numpy() > 0, "reoffended_untreated": y0["reoffences"].to_numpy() > 0,
        "reoffences_treated": y1["reoffences"].to_numpy().astype(np.int32),
        "reoffences_untreated": y0["reoffences"].to_numpy().astype(np.int32),
        "reoffended_before_start": before_start,
        "reconviction_events_treated": y1["events"].to_numpy().astype(np.int32),
        "reconviction_events_untreated": y0["events"].to_numpy().astype(np.int32),
    })
    # two-year truths too (the analyses' follow_up_years: 2 option, with the same six-month waiting period)
    z1, z0 = one_year_outcomes(treated, idx, 2 * FOLLOW_UP_DAYS), one_year_outcomes(untreated, idx, 2 * FOLLOW_UP_DAYS)
    effects = pd.concat([_true_effects(prog, y1, y0),
                         _true_effects(prog, y1[~before_start], y0[~before_start], "_analysable"),
                         _true_effects(prog, z1, z0, "_2y"),
                         _true_effects(prog, z1[~before_start], z0[~before_start], "_2y_analysable")],
                        ignore_index=True)
    return treated, participants, effects


def _true_effects(prog: Programme, y1: pd.DataFrame, y0: pd.DataFrame, suffix: str = "") -> pd.DataFrame:
    """True average effects on the treated; suffix "_analysable": only participants who had not reoffended
    before their intervention began (the population a Data Lab analysis keeps)."""
    rows = []
    for measure, f in (
        ("reoffending_rate", lambda y: (y["reoffences"] > 0).mean()),
        ("reoffending_frequency", lambda y: y["reoffences"].mean()),
        ("days_to_first_reoffence", lambda y: y["days_to_first"].mean()),
        ("reconviction_events", lambda y: y["events"].mean()),
    ):
        t, c = float(f(y1)), float(f(y0))
        rows.append({"programme": prog.name, "measure": measure + suffix, "participants": len(y1),
                     "treated_value": t, "untreated_value": c, "true_effect": t - c})
    return pd.DataFrame(rows)
