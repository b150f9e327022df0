"""Benefit and P45 employment spells from the DWP/HMRC data share.

Spells depend on the same latent employability that lowers the reoffending hazard, so time on
out-of-work benefits and time employed before the index date are informative matching variables
(as the 2013 MoJ/DWP data share found: seed 002).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .population import day, labels, to_dates
from .reference import OUT_OF_WORK_BENEFITS

UC_START = day("2013-04-29")
IB_END = day("2011-03-31")


def _spells(rng, people, rate, median_days, sigma, first_day, snapshot):
    n = len(people["u"])
    count = rng.poisson(rate)
    who = np.repeat(np.arange(n), count)
    adult = people["dob"][who] + 16 * 366
    lo = np.maximum(adult, first_day)
    ok = lo < snapshot
    who, lo = who[ok], lo[ok]
    start = lo + np.floor(rng.random(len(who)) * (snapshot - lo)).astype(np.int64)
    length = np.ceil(median_days * np.exp(sigma * rng.standard_normal(len(who)))).astype(np.int64)
    end = start + length
    return who, start, end


def benefit_spells(people: dict, rng: np.random.Generator, first_day: int, snapshot: int) -> pd.DataFrame:
    rate = np.exp(0.5 - 0.7 * people["employability"])
    who, start, end = _spells(rng, people, rate, 200, 1.0, first_day, snapshot)
    jsa, esa, is_, ib, uc = (OUT_OF_WORK_BENEFITS.index(b) for b in ("JSA", "ESA", "IS", "IB", "UC"))
    r = rng.random(len(who))
    legacy = np.where(r < 0.55, jsa, np.where(r < 0.8, esa, np.where(r < 0.93, is_, ib)))
    legacy = np.where((legacy == ib) & (start > IB_END), esa, legacy)
    legacy = np.where((legacy == esa) & (start < day("2008-10-27")), ib, legacy)
    uc_share = np.clip((start - UC_START) / (5 * 365.25), 0, 0.9)
    kind = np.where(rng.random(len(who)) < uc_share, uc, legacy)
    return spell_frame(who, start, end, snapshot, benefit_type=labels(kind, OUT_OF_WORK_BENEFITS))


def employment_spells(people: dict, rng: np.random.Generator, first_day: int, snapshot: int) -> tuple:
    """P45 spells as (person position, start, end) day numbers: spell_frame makes the table."""
    rate = np.exp(1.25 + 0.8 * people["employability"])
    return _spells(rng, people, rate, 200, 1.2, first_day, snapshot)


def spell_frame(who, start, end, snapshot, **extra) -> pd.DataFrame:
    order = np.lexsort((start, who))
    ongoing = end > snapshot
    frame = pd.DataFrame({"person_id": who + 1, **extra, "start_date": to_dates(start),
                          "end_date": np.where(ongoing, np.datetime64("NaT"), to_dates(end))})
    return frame.iloc[order].reset_index(drop=True)
