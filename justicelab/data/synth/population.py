"""People: demographics, names, PNC ids, aliases and the unobserved traits that drive their careers."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...identifiers import PNC_CHECK, pnc_check_letter  # noqa: F401 (re-exported)
from .reference import AREAS, ETHNICITY, NATIONALITY, REGIONS, local_authorities, nicknames, rare_surnames, word_list

EPOCH = np.datetime64("1970-01-01", "D")
RARE_SURNAME_SHARE = 0.45  # people whose surname is outside the common-name list


def day(iso: str) -> int:
    return int((np.datetime64(iso, "D") - EPOCH).astype(np.int64))


def to_dates(days: np.ndarray) -> np.ndarray:
    """Day numbers to datetime64[D]; negative sentinel values become NaT."""
    days = np.asarray(days)
    out = (EPOCH + days.astype("timedelta64[D]")).astype("datetime64[D]")
    return np.where(days < -100000, np.datetime64("NaT"), out) if days.dtype.kind == "i" else out


def format_pnc(year2: np.ndarray, serial: np.ndarray) -> pd.Series:
    check = pd.Series(pnc_check_letter(year2, serial))
    return pd.Series(year2).astype(str).str.zfill(2) + "/" + pd.Series(serial).astype(str) + check


def _pick_names(rng: np.random.Generator, names: tuple[str, ...], categories: pd.Index, size: int,
                offset: float = 4.0) -> np.ndarray:
    """Codes (into `categories`) of names drawn with Zipf-like frequencies."""
    return categories.get_indexer(list(names))[_zipf_codes(rng, len(names), size, offset)]


def labels(codes: np.ndarray, categories) -> pd.Categorical:
    """A string column from integer codes (-1 for missing): cheap to build, sort and write."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=pd.Index(list(categories)))


def _zipf_codes(rng: np.random.Generator, n_items: int, size: int, offset: float = 4.0) -> np.ndarray:
    w = 1.0 / (np.arange(n_items) + offset)
    return rng.choice(n_items, size=size, p=w / w.sum())


def _categorical(rng: np.random.Generator, shares: dict[str, float], size: int) -> pd.Categorical:
    p = np.array(list(shares.values()), float)
    return labels(rng.choice(len(p), size=size, p=p / p.sum()), shares)


def make_people(n: int, rng: np.random.Generator, first_day: int, last_day: int) -> dict[str, np.ndarray]:
    """Person-level arrays. u (propensity) and employability are latent: never written to the database."""
    u = rng.standard_normal(n)
    employability = -0.35 * u + np.sqrt(1 - 0.35**2) * rng.standard_normal(n)
    male = rng.random(n) < 0.85
    first_offence = rng.integers(first_day, last_day + 1, n)
    age_first = np.clip(10 + rng.gamma(1.6, 9.0, n) * np.exp(-0.25 * u), 10, 80)
    dob = first_offence - np.round(age_first * 365.25).astype(np.int64) - rng.integers(0, 365, n)
    dob = np.minimum(dob, first_offence - 10 * 366)
    la_idx = home_areas(rng.random(n), u)
    return {
        "u": u, "employability": employability, "male": male, "dob": dob, "first_offence": first_offence,
        "ethnicity": _categorical(rng, ETHNICITY, n), "nationality": _categorical(rng, NATIONALITY, n),
        "la_idx": la_idx,
    }


AREA_TILT = 0.8  # how strongly latent risk u sorts people towards more deprived local authorities


def home_areas(v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Local authority codes from one uniform per person: the region from the regions' shares (as before
    areas existed, so everyone keeps their region), then, within it, an authority with probability
    proportional to size x exp(AREA_TILT x deprivation x u), so deprived areas house riskier people."""
    las = local_authorities()
    region_share = np.array([REGIONS[r][0] / len(REGIONS[r][1]) for r, _ in las])
    cdf = np.cumsum(region_share / region_share.sum())
    cdf /= cdf[-1]
    la = np.empty(len(v), np.int64)
    first = 0
    for region, (_, names) in REGIONS.items():
        last = first + len(names)
        lo, hi = (cdf[first - 1] if first else 0.0), cdf[last - 1]
        rows = np.flatnonzero((v >= lo) & (v < hi)) if last < len(las) else np.flatnonzero(v >= lo)
        size = np.array([AREAS[x][2] for x in names], float)
        tilt = np.array([AREAS[x][3] for x in names], float)
        weight = size * np.exp(AREA_TILT * np.outer(u[rows], tilt))
        within = np.cumsum(weight, axis=1)
        within /= within[:, -1:]
        w = np.clip((v[rows] - lo) / (hi - lo), 0.0, np.nextafter(1.0, 0.0))
        la[rows] = first + np.minimum((within <= w[:, None]).sum(axis=1), len(names) - 1)
        first = last
    return la


def person_table(people: dict[str, np.ndarray], rng: np.random.Generator) -> pd.DataFrame:
    n = len(people["u"])
    male = people["male"]
    males, females, surnames = word_list("forenames_male"), word_list("forenames_female"), word_list("surnames")
    forenames = pd.Index(list(dict.fromkeys(males + females)))
    forename = labels(np.where(male, _pick_names(rng, males, forenames, n), _pick_names(rng, females, forenames, n)),
                      forenames)
    rare = rare_surnames()
    all_surnames = pd.Index(list(dict.fromkeys(surnames + rare)))
    common = _pick_names(rng, surnames, all_surnames, n, offset=20.0)
    tail = all_surnames.get_indexer(list(rare))[rng.integers(0, len(rare), n)]
    surname = labels(np.where(rng.random(n) < RARE_SURNAME_SHARE, tail, common), all_surnames)
    year = (people["first_offence"] // 365.25 + 1970).astype(np.int64)
    # unique serials within each year of first arrest
    order = np.lexsort((rng.random(n), year))
    serial = np.empty(n, np.int64)
    _, starts, counts = np.unique(year[order], return_index=True, return_counts=True)
    rank = np.arange(n) - np.repeat(starts, counts)
    serial[order] = 10_000 + rank * 37 + rng.integers(0, 37, n)
    las = local_authorities()
    return pd.DataFrame({
        "person_id": np.arange(1, n + 1, dtype=np.int64),
        "pnc_id": format_pnc(year % 100, serial),
        "forename": forename,
        "surname": surname,
        "date_of_birth": to_dates(people["dob"]),
        "gender": labels(np.where(male, 0, 1), ["M", "F"]),
        "ethnicity": people["ethnicity"],
        "nationality": people["nationality"],
        "region": labels(pd.Index(list(REGIONS)).get_indexer([r for r, _ in las])[people["la_idx"]], REGIONS),
        "local_authority": labels(people["la_idx"], [la for _, la in las]),
    })


def alias_table(person: pd.DataFrame, rng: np.random.Generator, share: float = 0.25) -> pd.DataFrame:
    """Other identities people have given: nicknames, other surnames, slightly different birth dates."""
    n = len(person)
    count = np.where(rng.random(n) < share, 1 + rng.poisson(0.3, n), 0)
    idx = np.repeat(np.arange(n), count)
    m = len(idx)
    r = rng.random((m, 4))
    # forenames: a nickname where the name has one (vectorised over the name categories)
    fore = person["forename"].array
    nick = nicknames()
    base_names = list(fore.categories)
    extended = pd.Index(list(dict.fromkeys(base_names + [a for alts in nick.values() for a in alts])))
    width = max(len(a) for a in nick.values())
    alt_codes = np.full((len(base_names), width), -1)
    n_alts = np.zeros(len(base_names), np.int64)
    for c, name in enumerate(base_names):
        alts = nick.get(name, ())
        n_alts[c] = len(alts)
        alt_codes[c, :len(alts)] = extended.get_indexer(list(alts))
    code = extended.get_indexer(base_names)[fore.codes[idx]]
    use = (r[:, 0] < 0.35) & (n_alts[fore.codes[idx]] > 0)
    pick = np.floor(r[:, 3] * np.maximum(n_alts[fore.codes[idx]], 1)).astype(np.int64)
    code = np.where(use, alt_codes[fore.codes[idx], pick], code)
    surnames = person["surname"].array
    s_code = surnames.codes[idx].astype(np.int64)
    new_surname = r[:, 1] < 0.35
    s_code[new_surname] = _zipf_codes(rng, len(surnames.categories), int(new_surname.sum()), offset=8.0)
    dob = person["date_of_birth"].to_numpy().astype("datetime64[D]")[idx]
    shift_kind = rng.integers(0, 3, m)
    shift = np.where(shift_kind == 0, 1, np.where(shift_kind == 1, 365, -31))
    dob = np.where(r[:, 2] < 0.3, dob + shift.astype("timedelta64[D]"), dob)
    return pd.DataFrame({
        "person_id": person["person_id"].to_numpy()[idx],
        "forename": labels(code, extended),
        "surname": labels(s_code, surnames.categories),
        "date_of_birth": dob,
    })
