"""Turning simulated occasions into database rows: disposals, offences, assessments."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import NEEDS
from .careers import BREACH, CUSTODY, GROUP_NAMES, MISSING, Careers
from .population import labels, to_dates
from .reference import BREACH_GROUP, DISPOSAL_TYPES, OFFENCE_CLASSES, PRISONS, REGIONS

# need -> (intercept, weight on latent propensity u, weight on -employability)
NEED_MODEL = {
    "need_accommodation": (-0.9, 0.6, 0.3), "need_ete": (-0.3, 0.4, 1.0), "need_finance": (-0.1, 0.5, 0.6),
    "need_relationships": (-0.3, 0.5, 0.2), "need_lifestyle": (0.0, 0.8, 0.2), "need_drugs": (-0.7, 0.8, 0.4),
    "need_alcohol": (-0.8, 0.4, 0.2), "need_emotional": (-0.4, 0.4, 0.3), "need_thinking": (0.3, 0.7, 0.2),
    "need_problem_solving": (-0.1, 0.6, 0.2), "need_coping": (-0.1, 0.5, 0.3), "need_attitudes": (-0.8, 0.7, 0.1),
}
assert tuple(NEED_MODEL) == tuple(c for c, _ in NEEDS)


def ogrs_logit(occ: dict[str, np.ndarray], male: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """OGRS-style two-year score from observed history only (the real OGRS3 uses age, sex, Copas rate)."""
    return (-1.5 + 0.8 * np.log1p(occ["prior_occasions"]) + 0.3 * male - 0.035 * (occ["age"] - 30)
            + 0.3 * (occ["disposal_type"] == CUSTODY) + 0.3 * noise)


def assessments(occ: dict[str, np.ndarray], people: dict[str, np.ndarray],
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Assessment values for every occasion (used for selection); rows exist only where `assessed`."""
    n = len(occ["person"])
    pid = occ["person"]
    u, e = people["u"][pid], people["employability"][pid]
    out = {"ogrs_score": np.round(1 / (1 + np.exp(-ogrs_logit(occ, people["male"][pid], rng.standard_normal(n)))), 3)}
    r = rng.random((n, len(NEED_MODEL)))
    for j, (col, (a, bu, be)) in enumerate(NEED_MODEL.items()):
        out[col] = r[:, j] < 1 / (1 + np.exp(-(a + bu * u - be * e + 0.15 * np.log1p(occ["prior_occasions"]))))
    out["need_thinking"] |= out["need_problem_solving"] & out["need_coping"]
    out["assessment_date"] = occ["disposal_date"] - np.floor(occ["assess_u"] * 28).astype(np.int64)
    return out


def index_date(occ: dict[str, np.ndarray]) -> np.ndarray:
    """Release date for custody, otherwise the disposal date (the official index date)."""
    return np.where(occ["disposal_type"] == CUSTODY, occ["release_date"], occ["disposal_date"])


def build_tables(careers: Careers, assess: dict[str, np.ndarray], person: pd.DataFrame) -> dict[str, pd.DataFrame]:
    occ, off = careers.occ, careers.off
    order = np.lexsort((occ["occ_id"], occ["disposal_date"], occ["person"]))
    disposal_id = np.empty(len(order), np.int64)
    disposal_id[order] = np.arange(1, len(order) + 1)
    pid = occ["person"]
    dtype = occ["disposal_type"]
    custody = dtype == CUSTODY

    prison = prison_codes(person["region"].array.codes[pid], occ["prison_u"])
    crown = custody & (occ["custodial_months"] > 6) | (occ["principal_class"] == 0)
    la_codes = person["local_authority"].array.codes[pid].astype(np.int64)
    court_names = [f"{la}{kind}" for la in person["local_authority"].array.categories
                   for kind in (" Magistrates' Court", " Crown Court")]
    disposal = pd.DataFrame({
        "disposal_id": disposal_id,
        "person_id": pid + 1,
        "disposal_date": to_dates(occ["disposal_date"]),
        "disposal_type": labels(dtype, DISPOSAL_TYPES),
        "custodial_months": occ["custodial_months"],
        "release_date": to_dates(np.where(custody, occ["release_date"], MISSING)),
        "prison": labels(np.where(custody, prison, -1), ALL_PRISONS),
        "released_from_court": pd.arrays.BooleanArray(occ["released_from_court"].astype(bool), ~custody),
        "court": labels(np.where(dtype == 0, -1, la_codes * 2 + crown), court_names),
        "index_offence_group": labels(occ["principal_group"], GROUP_NAMES),
        "index_offence_class": labels(occ["principal_class"], OFFENCE_CLASSES),
        "sexual_offence": occ["sexual"],
    }).iloc[order].reset_index(drop=True)

    # offences: join to their occasion by occ_id (occ_ids are 0..n-1 in occasion order)
    pos_of = np.empty(occ["occ_id"].max() + 1, np.int64)
    pos_of[occ["occ_id"]] = np.arange(len(occ["occ_id"]))
    p = pos_of[off["occ_id"]]
    is_breach = off["group"] == BREACH
    offence = pd.DataFrame({
        "person_id": off["person"] + 1,
        "disposal_id": disposal_id[p],
        "offence_date": to_dates(off["offence_date"]),
        "proven_date": to_dates(occ["disposal_date"][p]),
        "offence_group": labels(np.where(is_breach, len(GROUP_NAMES), off["group"]), GROUP_NAMES + (BREACH_GROUP,)),
        "offence_class": labels(off["class"], OFFENCE_CLASSES),
        "is_breach": is_breach,
        "led_to_custody": custody[p],
    })
    o2 = np.lexsort((off["offence_date"], disposal_id[p]))
    offence = offence.iloc[o2].reset_index(drop=True)
    offence.insert(0, "offence_id", np.arange(1, len(offence) + 1, dtype=np.int64))

    a = np.flatnonzero(occ["assessed"])
    assessment = pd.DataFrame({"person_id": pid[a] + 1, "assessment_date": to_dates(assess["assessment_date"][a]),
                               **{k: v[a] for k, v in assess.items() if k != "assessment_date"}})
    assessment = assessment.iloc[np.lexsort((disposal_id[a],))].reset_index(drop=True)
    assessment.insert(0, "assessment_id", np.arange(1, len(assessment) + 1, dtype=np.int64))
    occ_to_disposal = np.full(int(occ["occ_id"].max()) + 1, -1, np.int64)
    occ_to_disposal[occ["occ_id"]] = disposal_id
    return {"disposal": disposal, "offence": offence, "assessment": assessment, "occ_to_disposal": occ_to_disposal}


ALL_PRISONS = tuple(p for region in REGIONS for p in PRISONS[region])


def prison_codes(region_code: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Most prisoners are held in their home region (three prisons each); some anywhere."""
    home = r < 0.85
    slot = np.where(home, np.floor(r / 0.85 * 3), np.floor((r - 0.85) / 0.15 * len(ALL_PRISONS))).astype(np.int64)
    return np.where(home, region_code * 3 + np.minimum(slot, 2), np.minimum(slot, len(ALL_PRISONS) - 1))


def occ_pos(occ: dict, occ_ids: np.ndarray) -> np.ndarray:
    pos_of = np.empty(int(occ["occ_id"].max()) + 1, np.int64)
    pos_of[occ["occ_id"]] = np.arange(len(occ["occ_id"]))
    return pos_of[occ_ids]


def offences_per_occasion(careers: Careers) -> np.ndarray:
    """Proven offences of each occasion, in `occ` order (a continuation starts its count from them)."""
    return np.bincount(occ_pos(careers.occ, careers.off["occ_id"]), minlength=len(careers.occ["occ_id"]))
