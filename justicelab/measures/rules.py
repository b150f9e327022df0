"""The counting rules of the proven reoffending measure, each with its source.

Sources: Ministry of Justice, *Guide to Proven Reoffending Statistics* (2019), section 2.1
("Definitions for the measurement of proven reoffending"), and the Justice Data Lab methodology
annex; seed 003 summarises the definition ("Proven reoffending is that which results in a court
conviction or caution"). docs/measures.md restates each rule with a worked example.
"""
from __future__ import annotations

from dataclasses import dataclass

BREACH_GROUP = "Breach of a court order"


@dataclass(frozen=True)
class Rules:
    follow_up_days: int = 365
    """R2. Offences committed on days 1..365 after the index date count; the index date itself does
    not (offences that day belong to the index proceedings). Source: Guide 2.1, 'one year follow-up'."""

    waiting_days: int = 183
    """R3. An offence counts only if proven (conviction or caution) by day follow_up + waiting after the
    index date: the six-month waiting period, taken as 183 days. Source: Guide 2.1, 'waiting period'."""

    adults_only: bool = True
    """R5. The adult cohort is people aged 18 or over on the index date (completed years)."""

    assessment_lookback_days: int = 365
    """C1. Risk and needs come from the latest assessment made between this many days before the index
    disposal and the index date (JDL: 'recorded near to the time of their original conviction')."""

    history_days: int = 730
    """C2. Benefit and employment histories are measured over this many days before the index date
    (the two-year window of the MoJ/DWP data share analysis, seed 002)."""

    @property
    def last_proven_day(self) -> int:
        return self.follow_up_days + self.waiting_days


# The remaining rules are structural and live in the SQL of measures/cohort.py:
# R1. Index event: release from custody (index date = release date), or a court disposal or caution
#     (index date = disposal date). The first such event in the period is the index event; ties on the
#     same day go to the lower disposal id. Breach-only occasions and custody with no release yet are
#     not index events. Source: Guide 2.1 'offender cohort' and 'index offence'.
# R4. Breaches of court orders or licences are never proven reoffences. Source: Guide 2.1 (breaches
#     are excluded because they are not new offences).
# R6. Offences committed before the index date but proven after it are not reoffences (they were
#     committed outside the follow-up). Source: Guide 2.1.
# R7. Each proven offence counts once towards frequency; several offences proven on one occasion all
#     count. Custodial sentences count occasions (disposals), not offences.
# R8. The first reoffence is the earliest offence date; ties go to the earlier proven date, then the
#     lower offence id. Its class gives the court outcome and its disposal the custody measure.
