"""Benefit histories that begin with an initial JSA claim: prison leavers and the general claimant population.

Seed 002 (MoJ/DWP data share, 2013): prison leavers who claim JSA after release leave their initial claim
as fast as the average JSA claimant (about 10% of both still on it at 52 weeks), but over the three years
from that claim spend 57% of the time on an out-of-work benefit against 42% for the average claimant:
they come back onto benefits (often ESA or IS) sooner and stay longer.

The model is a two-state renewal process from the initial claim: a JSA spell (log-normal, the same for
both groups, so that about 10% last beyond 364 days), then alternating gaps off benefits and later
spells (JSA, ESA, IS, or UC for spells after its roll-out). Prison leavers have shorter gaps, more
ESA/IS and a smaller chance of leaving benefits for good after each spell; the figures in
`CLAIMANTS` and `PRISON_LEAVERS` were tuned against tests/test_employment.py's calibration bounds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .population import day, labels, to_dates
from .reference import OUT_OF_WORK_BENEFITS

UC_START = day("2013-04-29")
HORIZON = 3 * 365 + 30  # a history runs a little beyond the three years the analysis looks at


@dataclass(frozen=True)
class ClaimModel:
    initial_median: float = 101.0  # days; sigma 1.0 puts 10% of initial claims beyond 364 days
    initial_sigma: float = 1.0
    gap_median: float = 125.0  # days off benefits between spells
    gap_sigma: float = 1.2
    exit_for_good: float = 0.20  # after each spell, chance of no further claim in the horizon
    later_mix: tuple[float, float, float] = (0.6, 0.25, 0.15)  # JSA, ESA, IS shares of later spells
    later_median: dict = None  # days, by benefit type

    def median_of(self, kind: str) -> float:
        return (self.later_median or {"JSA": 110.0, "ESA": 300.0, "IS": 250.0, "UC": 160.0})[kind]


CLAIMANTS = ClaimModel()
PRISON_LEAVERS = ClaimModel(gap_median=110.0, gap_sigma=1.1, exit_for_good=0.16, later_mix=(0.5, 0.33, 0.17),
                            later_median={"JSA": 120.0, "ESA": 380.0, "IS": 300.0, "UC": 200.0})


def claim_histories(starts: np.ndarray, model: ClaimModel, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Spells (owner index, benefit code, start day, end day inclusive) from each initial JSA claim day."""
    n = len(starts)
    jsa, esa, is_, uc = (OUT_OF_WORK_BENEFITS.index(b) for b in ("JSA", "ESA", "IS", "UC"))
    who = [np.arange(n)]
    kinds = [np.full(n, jsa)]
    length = np.ceil(model.initial_median * np.exp(model.initial_sigma * rng.standard_normal(n))).astype(np.int64)
    spell_start = [starts.astype(np.int64)]
    spell_end = [starts + length - 1]
    clock = spell_end[0].copy()
    alive = np.ones(n, bool)
    medians = np.array([model.median_of(b) for b in ("JSA", "ESA", "IS", "UC")])
    while True:
        alive &= (rng.random(n) >= model.exit_for_good) & (clock < starts + HORIZON)
        if not alive.any():
            break
        idx = np.flatnonzero(alive)
        gap = np.ceil(model.gap_median * np.exp(model.gap_sigma * rng.standard_normal(len(idx)))).astype(np.int64)
        begin = clock[idx] + 1 + gap
        pick = rng.choice(3, size=len(idx), p=np.array(model.later_mix) / sum(model.later_mix))
        uc_share = np.clip((begin - UC_START) / (5 * 365.25), 0, 0.9)
        pick = np.where(rng.random(len(idx)) < uc_share, 3, pick)
        dur = np.ceil(medians[pick] * np.exp(0.9 * rng.standard_normal(len(idx)))).astype(np.int64)
        who.append(idx)
        kinds.append(np.array([jsa, esa, is_, uc])[pick])
        spell_start.append(begin)
        spell_end.append(begin + dur - 1)
        clock[idx] = begin + dur - 1
        alive[idx[begin > starts[idx] + HORIZON]] = False
    return (np.concatenate(who), np.concatenate(kinds), np.concatenate(spell_start), np.concatenate(spell_end))


def spell_frame(id_column: str, ids: np.ndarray, kinds: np.ndarray, start: np.ndarray, end: np.ndarray,
                snapshot: int) -> pd.DataFrame:
    """Spells as table rows: nothing after the snapshot, ongoing spells with an empty end date."""
    keep = start <= snapshot
    ids, kinds, start, end = ids[keep], kinds[keep], start[keep], end[keep]
    order = np.lexsort((start, ids))
    return pd.DataFrame({
        id_column: ids[order], "benefit_type": labels(kinds[order], OUT_OF_WORK_BENEFITS),
        "start_date": to_dates(start[order]),
        "end_date": np.where(end[order] > snapshot, np.datetime64("NaT"), to_dates(end[order]))})


def general_claimants(n: int, rng: np.random.Generator, first: str, last: str, snapshot: int) -> pd.DataFrame:
    """`claimant_benefit_spell`: n claimants (not offenders) whose initial JSA claims fall uniformly in
    [first, last]; ids 1..n, a separate numbering from person_id (the sample is not linked to the PNC)."""
    starts = day(first) + np.floor(rng.random(n) * (day(last) - day(first))).astype(np.int64)
    who, kinds, s, e = claim_histories(starts, CLAIMANTS, rng)
    return spell_frame("claimant_id", who + 1, kinds, s, e, snapshot)


def prison_leaver_claims(disposal: pd.DataFrame, rng: np.random.Generator, share: float, first: str, last: str,
                         snapshot: int) -> pd.DataFrame:
    """Benefit spells of prison leavers who claim JSA after release: for each person's first release in
    [first, last], with probability `share` an initial JSA claim 0-60 days later and its history."""
    rel = disposal.loc[disposal["release_date"].notna(), ["person_id", "release_date"]]
    rel = rel[(rel["release_date"] >= pd.Timestamp(first)) & (rel["release_date"] <= pd.Timestamp(last))]
    rel = rel.sort_values(["person_id", "release_date"]).drop_duplicates("person_id")
    chosen = rel[rng.random(len(rel)) < share]
    release = ((chosen["release_date"].to_numpy().astype("datetime64[D]") - np.datetime64("1970-01-01", "D"))
               .astype(np.int64))
    starts = release + rng.integers(0, 61, len(release))
    who, kinds, s, e = claim_histories(starts, PRISON_LEAVERS, rng)
    return spell_frame("person_id", chosen["person_id"].to_numpy()[who], kinds, s, e, snapshot)
