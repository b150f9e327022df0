"""Data maturity: how much of a cohort's final count of reconviction events a snapshot already holds.

Events are counted for offences in the 12 months after release that are convicted by day 548. Before
day 548 some are still to come. The typical share present at each age (days since release) comes from
the most recent releases whose count is final on the snapshot date: of all their events, the share
convicted by that day. A cohort's expected completeness is the mean of that share over its members' ages.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..engine import Engine, run_steps
from ..measures.rules import Rules
from .cohort import build_register
from .contract import Contract
from .events import reconviction_events_steps


def completeness_curve(engine: Engine, contract: Contract, as_of: date, rules: Rules = Rules()) -> np.ndarray:
    """share[a] = share of final events convicted by day a after release (a = 0..last_proven_day), from the
    eligible releases (any prison) in the year before the last one whose count is final on `as_of`."""
    last = as_of - timedelta(days=rules.last_proven_day)
    build_register(engine, contract, last - timedelta(days=364), last, "maturity_reference", population="any")
    engine.create_table("pbr_cohort", """SELECT person_id, index_date AS release_date FROM maturity_reference
                                         WHERE reason IS NULL""")
    run_steps(engine, reconviction_events_steps(rules, contract.outcome.cautions_count))
    days = engine.query("SELECT proven_day FROM reconviction_event_list")["proven_day"].to_numpy()
    if len(days) == 0:
        return np.ones(rules.last_proven_day + 1)
    counts = np.bincount(np.clip(days, 0, rules.last_proven_day), minlength=rules.last_proven_day + 1)
    return np.cumsum(counts) / counts.sum()


def maturity(release_dates: pd.Series, as_of: date, curve: np.ndarray, rules: Rules = Rules(),
             filling: bool = False) -> dict:
    """For one group of releases: whether its count is final, and the typical share present if not. A
    cohort still filling has no final date yet (its last member is not known): only a "not before"."""
    ages = (pd.Timestamp(as_of) - pd.to_datetime(release_dates)).dt.days.clip(lower=0).to_numpy()
    complete = bool((ages >= rules.last_proven_day).all()) and not filling if len(ages) else False
    share = float(curve[np.minimum(ages, rules.last_proven_day)].mean()) if len(ages) else 0.0
    last = pd.to_datetime(release_dates).max() if len(ages) else None
    final_on = (last + pd.Timedelta(days=rules.last_proven_day)).date() if last is not None else None
    not_before = as_of + timedelta(days=rules.last_proven_day + 1)
    return {"final": complete, "typical_share_present": share, "members_with_final_count": int(
        (ages >= rules.last_proven_day).sum()),
        "count_final_on": None if filling or final_on is None else final_on.isoformat(),
        "final_not_before": not_before.isoformat() if filling else None}
